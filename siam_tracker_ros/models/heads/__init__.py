"""Heads: cross-correlations, RPN heads (UP-channel, depthwise, multi-level) and SiamMask's
mask correlation + refinement, with PySOT's module layout (keys ``rpn_head.*``,
``mask_head.*``, ``refine_head.*``)."""
