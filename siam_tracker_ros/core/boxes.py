"""Box helpers shared by tracking, evaluation, training and the tools: IoU and the template
context side.

Boxes are ``x, y, w, h`` (0-based pixels, (x, y) top-left). A box is *valid* when it is finite
with w > 0 and h > 0.

The context side of a target of size ``(w, h)`` is PySOT's ``s_z = sqrt((w + p)(h + p))`` with
``p = context_amount * (w + h)``: the side (frame px) of the square template window. The
expression order is fixed here (trackers' parity with PySOT depends on it bit for bit).
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import numpy as np


# ------------------------------------------------------------------------------ IoU
def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two xywh boxes (0 when the union is empty)."""
    ax, ay, aw, ah = (float(v) for v in a)
    bx, by, bw, bh = (float(v) for v in b)
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def as_boxes(boxes) -> np.ndarray:
    """``boxes`` as an (N, 4) float64 array (a single (4,) box becomes (1, 4)); ValueError
    for any other shape."""
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"boxes must be (N, 4) x,y,w,h, got shape {arr.shape}")
    return arr


def valid_boxes(boxes) -> np.ndarray:
    """(N,) bool: finite rows with w > 0 and h > 0."""
    arr = as_boxes(boxes)
    with np.errstate(invalid="ignore"):
        return np.isfinite(arr).all(axis=1) & (arr[:, 2] > 0) & (arr[:, 3] > 0)


def clip_boxes(boxes, bound_wh: Tuple[float, float]) -> np.ndarray:
    """Boxes (N, 4) xywh clipped to the image [0, W] x [0, H] (new array; w/h may become <= 0)."""
    arr = as_boxes(boxes)
    x0 = np.clip(arr[:, 0], 0, bound_wh[0])
    y0 = np.clip(arr[:, 1], 0, bound_wh[1])
    x1 = np.clip(arr[:, 0] + arr[:, 2], 0, bound_wh[0])
    y1 = np.clip(arr[:, 1] + arr[:, 3], 0, bound_wh[1])
    return np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)


def iou_xywh(boxes_a, boxes_b, bound_wh: Optional[Tuple[float, float]] = None) -> np.ndarray:
    """(N,) IoU of box pairs (N, 4) xywh (a single (4,) box broadcasts). Pairs with an invalid
    box give 0. ``bound_wh`` clips both boxes to the image first (GOT-10k / VOT)."""
    a, b = as_boxes(boxes_a), as_boxes(boxes_b)
    a, b = np.broadcast_arrays(a, b)
    if bound_wh is not None:
        a, b = clip_boxes(a, bound_wh), clip_boxes(b, bound_wh)
    ok = valid_boxes(a) & valid_boxes(b)
    out = np.zeros(a.shape[0])
    if not ok.any():
        return out
    a, b = a[ok], b[ok]
    iw = np.maximum(0.0, np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2]) - np.maximum(a[:, 0], b[:, 0]))
    ih = np.maximum(0.0, np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3]) - np.maximum(a[:, 1], b[:, 1]))
    inter = iw * ih
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    out[ok] = np.clip(inter / union, 0.0, 1.0)
    return out


# ------------------------------------------------------------------------------ context side
def context_side(size_wh: Sequence[float], context_amount: float = 0.5) -> float:
    """Template context side ``s_z`` (frame px, float64) of a target of ``size_wh``."""
    w, h = float(size_wh[0]), float(size_wh[1])
    pad = context_amount * (w + h)
    return math.sqrt((w + pad) * (h + pad))


def context_sides(w: np.ndarray, h: np.ndarray, context_amount) -> np.ndarray:
    """Element-wise ``s_z`` of arrays ``w``, ``h`` in their own dtype (pass a ``context_amount``
    of that dtype, e.g. ``np.float32(0.5)``, to stay in float32)."""
    pad = context_amount * (w + h)
    return np.sqrt((w + pad) * (h + pad))
