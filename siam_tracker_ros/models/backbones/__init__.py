"""Backbones with PySOT's module layout (state_dict keys ``backbone.*`` load unchanged).

Every backbone's ``forward(x)`` returns a tuple of feature maps, one per ``used_layers``
entry (AlexNet: one), and exposes ``out_channels`` (tuple, per output) and ``stride`` (8).
"""
