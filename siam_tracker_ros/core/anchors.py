"""RPN anchors and the cosine window of a score map, laid out as PySOT lays them out.

Flat index order everywhere is (anchor, y, x): index = a * S * S + y * S + x.
Anchor centres sit on the stride grid of the search crop, relative to the crop centre
(``-(S // 2) * stride ... +(S // 2) * stride``, crop pixels). Anchor sizes use PySOT's
integer truncation: ``ws = int(sqrt(stride**2 / ratio))``, ``hs = int(ws * ratio)``, size
``(ws * scale, hs * scale)`` (ratios 0.33/0.5/1/2/3, scale 8 -> 104x32, 88x40, 64x64, 40x80,
32x96).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def base_anchor_sizes(stride: int, ratios: Sequence[float], scales: Sequence[float]) -> np.ndarray:
    """(A, 2) float32 anchor (w, h) in crop pixels, ratio-major then scale (A = R * S)."""
    area = stride * stride
    sizes = []
    for ratio in ratios:
        ws = int(math.sqrt(area * 1.0 / ratio))
        hs = int(ws * ratio)
        for scale in scales:
            sizes.append((ws * scale, hs * scale))
    return np.asarray(sizes, dtype=np.float32).reshape(-1, 2)


def generate_anchors(score_size: int, stride: int, ratios: Sequence[float],
                     scales: Sequence[float]) -> np.ndarray:
    """(A * S * S, 4) float32 anchors ``(cx, cy, w, h)`` in (anchor, y, x) order.

    Centres are offsets from the crop centre in crop pixels: ``cx = -(S // 2) * stride +
    stride * x`` (same for y); (w, h) from :func:`base_anchor_sizes`.
    """
    sizes = base_anchor_sizes(stride, ratios, scales)
    num = sizes.shape[0]
    origin = -(score_size // 2) * stride
    grid = origin + stride * np.arange(score_size, dtype=np.int64)
    xx, yy = np.meshgrid(grid, grid)            # xx[y, x] = grid[x], yy[y, x] = grid[y]
    anchors = np.empty((num, score_size * score_size, 4), dtype=np.float32)
    anchors[:, :, 0] = xx.reshape(1, -1).astype(np.float32)
    anchors[:, :, 1] = yy.reshape(1, -1).astype(np.float32)
    anchors[:, :, 2] = sizes[:, 0:1]
    anchors[:, :, 3] = sizes[:, 1:2]
    return anchors.reshape(-1, 4)


def cosine_window(score_size: int, anchor_num: int) -> np.ndarray:
    """(A * S * S,) float64 Hanning window ``outer(hanning(S), hanning(S))`` tiled per anchor
    (endpoints 0, maximum at the centre)."""
    hanning = np.hanning(score_size)
    return np.tile(np.outer(hanning, hanning).reshape(-1), anchor_num)
