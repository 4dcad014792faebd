"""Label assignment: RPN anchor targets (SiamRPN's rule) and SiamFC response-map labels.

Coordinates are search-crop pixels with integer pixel centres; the crop centre
``(instance_size - 1) / 2`` (127 for 255 px) is offset 0 of the tracker's anchors
(:func:`siam_tracker_ros.core.anchors.generate_anchors`). Arrays are laid out like the network
outputs: anchors (A, S, S), flat order (anchor, y, x).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Tuple

import numpy as np

from ..core.anchors import generate_anchors
from .labels import cell_grid, crop_centre, label_map, pick


@dataclass(frozen=True)
class RPNTargetConfig:
    """SiamRPN's sampling rule: IoU > ``thr_high`` positive, < ``thr_low`` negative, at most
    ``pos_num`` positives and ``total_num`` labelled anchors per positive pair, ``neg_num``
    negatives within ``neg_radius_cells`` of the object for a negative pair. With
    ``force_best_positive`` the best anchor counts as positive when no anchor passes
    ``thr_high`` but it overlaps more than ``thr_low`` (targets of extreme aspect)."""

    thr_high: float = 0.6
    thr_low: float = 0.3
    pos_num: int = 16
    total_num: int = 64
    neg_num: int = 16
    neg_radius_cells: int = 3
    force_best_positive: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.thr_low <= self.thr_high <= 1.0:
            raise ValueError(f"need 0 <= thr_low <= thr_high <= 1, got {self.thr_low}, {self.thr_high}")
        if not 0 < self.pos_num <= self.total_num or self.neg_num <= 0 or self.neg_radius_cells < 0:
            raise ValueError("need 0 < pos_num <= total_num, neg_num > 0, neg_radius_cells >= 0")


def anchor_boxes_cxcywh(score_size: int, stride: int, ratios: Sequence[float],
                        scales: Sequence[float], instance_size: int) -> np.ndarray:
    """(A, S, S, 4) float32 anchors ``(cx, cy, w, h)`` in search-crop pixels."""
    anchors = generate_anchors(score_size, stride, ratios, scales).astype(np.float32)
    num = anchors.shape[0] // (score_size * score_size)
    anchors = anchors.reshape(num, score_size, score_size, 4).copy()
    centre = crop_centre(instance_size)
    anchors[..., 0] += centre
    anchors[..., 1] += centre
    return anchors


def iou_with_box(anchors_cxcywh: np.ndarray, box_xyxy: Sequence[float]) -> np.ndarray:
    """IoU (..., ) of every anchor (..., 4 cxcywh) with one ``box_xyxy``."""
    ax0 = anchors_cxcywh[..., 0] - anchors_cxcywh[..., 2] / 2
    ay0 = anchors_cxcywh[..., 1] - anchors_cxcywh[..., 3] / 2
    ax1 = anchors_cxcywh[..., 0] + anchors_cxcywh[..., 2] / 2
    ay1 = anchors_cxcywh[..., 1] + anchors_cxcywh[..., 3] / 2
    bx0, by0, bx1, by1 = (float(v) for v in box_xyxy)
    iw = np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0, None)
    ih = np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0, None)
    inter = iw * ih
    union = anchors_cxcywh[..., 2] * anchors_cxcywh[..., 3] + (bx1 - bx0) * (by1 - by0) - inter
    return (inter / np.maximum(union, 1e-12)).astype(np.float32)


def encode_deltas(anchors_cxcywh: np.ndarray, box_xyxy: Sequence[float]) -> np.ndarray:
    """(4, ...) float32 regression targets ``(dx, dy, log dw, log dh)``: the inverse of the
    tracker's decoding ``cx = dx * aw + ax``, ``w = exp(dw) * aw``."""
    bx0, by0, bx1, by1 = (float(v) for v in box_xyxy)
    tcx, tcy = (bx0 + bx1) / 2, (by0 + by1) / 2
    tw, th = max(bx1 - bx0, 1e-3), max(by1 - by0, 1e-3)
    ax, ay, aw, ah = (anchors_cxcywh[..., i] for i in range(4))
    return np.stack([(tcx - ax) / aw, (tcy - ay) / ah, np.log(tw / aw), np.log(th / ah)]).astype(np.float32)


def rpn_targets(anchors_cxcywh: np.ndarray, box_xyxy: Sequence[float], positive: bool,
                config: RPNTargetConfig, rng: np.random.Generator,
                stride: int = 8) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels of one pair.

    Returns ``cls`` (A, S, S) int64 in {-1 ignore, 0 background, 1 target}, ``delta``
    (4, A, S, S) float32 and ``delta_weight`` (A, S, S) float32 (``1 / num_pos`` on positives,
    so the box loss averages over a pair's positives). For a negative pair only up to
    ``neg_num`` anchors around the other object's centre are labelled (background).
    """
    shape = anchors_cxcywh.shape[:-1]
    delta_weight = np.zeros(shape, dtype=np.float32)
    if not positive:
        delta = np.zeros((4,) + shape, dtype=np.float32)
        size = shape[-1]
        centre = (float(box_xyxy[0]) + float(box_xyxy[2])) / 2, (float(box_xyxy[1]) + float(box_xyxy[3])) / 2
        grid_x = anchors_cxcywh[0, 0, :, 0]
        grid_y = anchors_cxcywh[0, :, 0, 1]
        col = int(np.argmin(np.abs(grid_x - centre[0])))
        row = int(np.argmin(np.abs(grid_y - centre[1])))
        r = config.neg_radius_cells
        region = np.zeros(shape, dtype=bool)
        region[:, max(0, row - r):min(size, row + r + 1), max(0, col - r):min(size, col + r + 1)] = True
        chosen = pick(rng, np.flatnonzero(region), config.neg_num)
        return label_map(shape, negatives=chosen), delta, delta_weight
    delta = encode_deltas(anchors_cxcywh, box_xyxy)
    overlap = iou_with_box(anchors_cxcywh, box_xyxy).reshape(-1)
    pos = np.flatnonzero(overlap > config.thr_high)
    if pos.size == 0 and config.force_best_positive:
        best = int(np.argmax(overlap))
        if overlap[best] > config.thr_low:
            pos = np.array([best])
    neg = np.flatnonzero(overlap < config.thr_low)
    pos = pick(rng, pos, config.pos_num)
    neg = pick(rng, neg, config.total_num - pos.size)
    cls = label_map(shape, pos, neg)
    if pos.size:
        delta_weight.reshape(-1)[pos] = 1.0 / pos.size
    return cls, delta, delta_weight


def siamfc_targets(score_size: int, stride: int, instance_size: int, box_xyxy: Sequence[float],
                   positive: bool, radius_px: float = 16.0) -> Tuple[np.ndarray, np.ndarray]:
    """SiamFC labels of a (S, S) response map whose cell (y, x) looks at crop point
    ``centre + (x - S // 2, y - S // 2) * stride``.

    Returns ``labels`` (S, S) float32 (1 within ``radius_px`` crop pixels of the object centre
    for a positive pair, else 0) and balanced ``weights`` (S, S) float32 (half the total weight
    on positives, half on negatives; all on negatives for a negative pair; weights sum to 1).
    """
    grid = cell_grid(score_size, stride, instance_size)
    cx = (float(box_xyxy[0]) + float(box_xyxy[2])) / 2
    cy = (float(box_xyxy[1]) + float(box_xyxy[3])) / 2
    dist = np.hypot(grid[None, :] - cx, grid[:, None] - cy)
    labels = ((dist <= radius_px) & positive).astype(np.float32)
    weights = np.zeros_like(labels)
    npos, nneg = float(labels.sum()), float((labels == 0).sum())
    if npos > 0:
        weights[labels == 1] = 0.5 / npos
        weights[labels == 0] = 0.5 / nneg
    else:
        weights[:] = 1.0 / labels.size
    return labels, weights
