"""Debug overlay: a tracking result drawn on a copy of the frame (node ~/debug_image, demo video).

Pure OpenCV; frames are (H, W, 3) uint8 BGR; boxes ``box_xywh`` float pixels.
"""
from __future__ import annotations

from typing import Optional, Sequence

import cv2
import numpy as np

from ..core.types import TrackResult, TrackState

# BGR colours per state: green tracking, yellow uncertain, red lost/searching.
STATE_COLOURS = {
    TrackState.IDLE: (160, 160, 160),
    TrackState.TRACKING: (0, 200, 0),
    TrackState.UNCERTAIN: (0, 200, 255),
    TrackState.LOST: (0, 0, 255),
    TrackState.SEARCHING: (0, 0, 255),
}


def draw_result(frame: np.ndarray, result: Optional[TrackResult], label: str = "",
                ground_truth_xywh: Optional[Sequence[float]] = None,
                mask_alpha: float = 0.35) -> np.ndarray:
    """Copy of ``frame`` with the mask (tinted), the box or rotated polygon, and a caption
    ``label state score``; ``ground_truth_xywh`` (if finite) is drawn thin in white."""
    canvas = np.ascontiguousarray(frame).copy()
    if ground_truth_xywh is not None and np.all(np.isfinite(ground_truth_xywh)):
        x, y, w, h = (int(round(v)) for v in ground_truth_xywh)
        cv2.rectangle(canvas, (x, y), (x + w - 1, y + h - 1), (255, 255, 255), 1)
    state = TrackState.IDLE if result is None else result.state
    colour = STATE_COLOURS[state]
    if result is not None and result.is_target_visible:
        if result.mask is not None and result.mask.shape[:2] == canvas.shape[:2]:
            tint = canvas.copy()
            tint[result.mask.astype(bool)] = colour
            canvas = cv2.addWeighted(tint, mask_alpha, canvas, 1.0 - mask_alpha, 0.0)
        if result.polygon is not None:
            pts = np.round(np.asarray(result.polygon, np.float64)).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(canvas, [pts], True, colour, 2)
        else:
            x, y, w, h = (int(round(v)) for v in result.bbox_xywh)
            cv2.rectangle(canvas, (x, y), (x + w - 1, y + h - 1), colour, 2)
    caption = f"{label} {state.name}" + ("" if result is None else f" {result.score:.2f}")
    cv2.putText(canvas, caption.strip(), (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3,
                cv2.LINE_AA)
    cv2.putText(canvas, caption.strip(), (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, colour, 1,
                cv2.LINE_AA)
    return canvas


def box_mask(frame_hw: Sequence[int], result: TrackResult) -> np.ndarray:
    """(H, W) uint8 0/1 mask filling the result's polygon (rotated box) or axis-aligned box; used
    when the model has no mask head."""
    mask = np.zeros((int(frame_hw[0]), int(frame_hw[1])), np.uint8)
    if result.polygon is not None:
        pts = np.round(np.asarray(result.polygon, np.float64)).astype(np.int32).reshape(-1, 1, 2)
        cv2.fillPoly(mask, [pts], 1)
    else:
        x, y, w, h = result.bbox_xywh
        x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
        x1, y1 = min(mask.shape[1], int(round(x + w))), min(mask.shape[0], int(round(y + h)))
        if x1 > x0 and y1 > y0:
            mask[y0:y1, x0:x1] = 1
    return mask
