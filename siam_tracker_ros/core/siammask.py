"""SiamMask tracking, exact to PySOT's ``SiamMaskTracker``, composed over :class:`SiamRPNTracker`.

Each frame runs the SiamRPN step unchanged (box, score, state), then refines the mask of the
selected score position: the 127x127 mask (sigmoid of the refinement logits) covers that
position's exemplar window in the frame, is warped back into the full frame, thresholded at
``mask_threshold``, and the rotated box around the largest contour becomes the polygon (the
state box when the largest contour has area <= 100 px).
"""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np
import torch

from .errors import ConfigError
from .mask_projection import exemplar_window_xywh, mask_geometry, warp_mask_to_frame
from .siamrpn import (ComposedOverSiamRPN, SearchOutcome, SiamRPNTracker,
                      state_box_xywh)
from .torch_device import synchronize
from .types import TrackResult


class SiamMaskTracker(ComposedOverSiamRPN):
    """SiamMask over a SiamRPN tracker whose model has a mask refinement head.

    TrackResult: ``bbox_xywh`` = the RPN box (PySOT's), ``polygon`` (4, 2) float32 corners,
    ``mask`` (H, W) uint8 0/1, ``theta`` the rotated box's angle (radians, counter-clockwise,
    in [-pi/4, pi/4)). Implements SearchableTracker by delegating to the SiamRPN tracker
    (proposals carry no mask).
    """

    def __init__(self, rpn: SiamRPNTracker) -> None:
        if not getattr(rpn.model, "has_mask", False):
            raise ConfigError("SiamMaskTracker needs a model with a mask refinement head")
        super().__init__(rpn)

    def track(self, frame: np.ndarray) -> TrackResult:
        """SiamRPN step, then the mask, polygon and rotation of this frame."""
        outcome, result = self.rpn.track_step(frame)
        self.add_mask(frame.shape[:2], outcome, result)
        return result

    def add_mask(self, frame_hw: Sequence[int], outcome: SearchOutcome,
                 result: TrackResult) -> None:
        """Fill ``result``'s mask, polygon and theta (and the mask parity fields in extras)
        from the refinement at ``outcome``'s selected position."""
        rpn, cfg = self.rpn, self.rpn.track_cfg
        _, row, col = outcome.best_ays
        t0 = time.perf_counter()
        with torch.inference_mode():
            logits = rpn.model.mask_refine(outcome.outputs["mask_context"], (row, col))
            prob = logits.float().sigmoid().squeeze()
            side = cfg.mask_output_size
            mask = prob.view(side, side).cpu().numpy()
        synchronize(rpn.device)
        t1 = time.perf_counter()
        window = exemplar_window_xywh(outcome.center_xy, outcome.crop.side,
                                      outcome.instance_size, cfg.exemplar_size, cfg.base_size,
                                      rpn.anchor_cfg.stride, (row, col))
        mask_prob = warp_mask_to_frame(mask, window, frame_hw)
        geometry = mask_geometry(mask_prob, cfg.mask_threshold, state_box_xywh(rpn.state))
        t2 = time.perf_counter()
        result.mask = geometry.mask
        result.polygon = geometry.polygon
        result.theta = geometry.theta
        timings = result.extras["timings_ms"]
        timings["head"] += (t1 - t0) * 1000.0
        timings["postprocess"] += (t2 - t1) * 1000.0
        result.extras.update({
            "polygon": [float(v) for v in geometry.polygon.reshape(-1)],
            "polygon_from_mask": geometry.from_mask,
            "mask_sum": int(geometry.mask.sum(dtype=np.int64)),
            "mask_prob_sum": float(mask_prob.sum(dtype=np.float64)),
            "refine_pos": [row, col],
        })
