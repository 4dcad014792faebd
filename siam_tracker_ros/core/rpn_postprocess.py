"""RPN head outputs -> the selected target candidate, computed exactly as PySOT computes it.

Pipeline (one search window, score map S x S, A anchors, N = A * S * S, flat order
(anchor, y, x)): foreground softmax -> box decoding against the anchors -> scale and aspect
ratio penalty -> cosine-window blend -> first maximum.

Dtypes follow PySOT run under NumPy 1.x (value-based casting): scores, decoded boxes and
penalties are float32 (float64 scalars such as ``scale_z`` are rounded to float32 before they
meet a float32 array), the blended selection score is float64 (the window is float64), the
learning rate is float64. The casts are written out so that NumPy 2 computes the same bits.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np
import torch

from .anchors import cosine_window, generate_anchors
from .boxes import context_side, context_sides

_F32 = np.float32


def foreground_score(cls: torch.Tensor) -> np.ndarray:
    """(1, 2A, S, S) logits ``[bg x A, fg x A]`` -> (N,) float32 foreground softmax.

    Computed with torch on the tensor's device, in float32, on the same (N, 2) layout PySOT
    uses (so the result is bit-identical to PySOT's).
    """
    pairs = cls.float().permute(1, 2, 3, 0).contiguous().view(2, -1).permute(1, 0)
    return torch.softmax(pairs, dim=1)[:, 1].cpu().numpy()


def loc_deltas(loc: torch.Tensor) -> np.ndarray:
    """(1, 4A, S, S) regression ``[dx x A, dy x A, dw x A, dh x A]`` -> (4, N) float32 copy."""
    return loc.float().permute(1, 2, 3, 0).contiguous().view(4, -1).cpu().numpy().copy()


def decode_boxes(deltas: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """(4, N) deltas + (N, 4) anchors (cx, cy, w, h) -> (4, N) float32 boxes (cx, cy, w, h)
    in crop pixels relative to the crop centre: ``cx = dx * aw + ax``, ``w = exp(dw) * aw``."""
    deltas = np.asarray(deltas, dtype=_F32)
    boxes = np.empty_like(deltas)
    boxes[0] = deltas[0] * anchors[:, 2] + anchors[:, 0]
    boxes[1] = deltas[1] * anchors[:, 3] + anchors[:, 1]
    with np.errstate(over="ignore"):
        boxes[2] = np.exp(deltas[2]) * anchors[:, 2]
        boxes[3] = np.exp(deltas[3]) * anchors[:, 3]
    return boxes


def _change(ratio: np.ndarray) -> np.ndarray:
    return np.maximum(ratio, _F32(1.0) / ratio)


def shape_penalty(boxes: np.ndarray, size_wh: Sequence[float], scale_z: float,
                  penalty_k: float) -> np.ndarray:
    """(N,) float32 ``exp(-(r_c * s_c - 1) * k)``: scale change ``s_c`` of each box's context
    side against the current size (both in crop pixels) and aspect-ratio change ``r_c``."""
    w, h = float(size_wh[0]), float(size_wh[1])
    target_side = _F32(context_side((w * scale_z, h * scale_z), 0.5))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s_c = _change(context_sides(boxes[2], boxes[3], _F32(0.5)) / target_side)
        r_c = _change(_F32(w / h) / (boxes[2] / boxes[3]))
        return np.exp(-(r_c * s_c - _F32(1.0)) * _F32(penalty_k))


@dataclass
class Selection:
    """The chosen candidate of one score map.

    best_idx: flat index (anchor, y, x). score: (N,) float32 foreground softmax. boxes: (4, N)
    float32 decoded boxes (crop px, relative to the crop centre). penalty: (N,) float32.
    pscore: (N,) float64 selection score (penalised, window-blended).
    """

    best_idx: int
    score: np.ndarray
    boxes: np.ndarray
    penalty: np.ndarray
    pscore: np.ndarray

    @property
    def best_score(self) -> float:
        """Raw foreground probability at the selected index (not penalised)."""
        return float(self.score[self.best_idx])

    def lr(self, base_lr: float) -> float:
        """Size-smoothing rate ``penalty * score * LR`` at the selected index (float64)."""
        return float(_F32(self.penalty[self.best_idx] * self.score[self.best_idx])) * base_lr

    def offset_xywh(self, scale_z: float) -> np.ndarray:
        """(4,) float32 selected box in frame pixels: (dx, dy) from the crop centre, (w, h)."""
        return self.boxes[:, self.best_idx] / _F32(scale_z)


class ScoreMapDecoder:
    """Anchors + cosine window for one score-map size, and the selection on that map."""

    def __init__(self, score_size: int, stride: int, ratios: Sequence[float],
                 scales: Sequence[float]) -> None:
        self.score_size = int(score_size)
        self.anchors = generate_anchors(self.score_size, stride, ratios, scales)
        self.anchor_num = len(ratios) * len(scales)
        self.window = cosine_window(self.score_size, self.anchor_num)

    def unravel(self, flat_index: int) -> Tuple[int, int, int]:
        """Flat index -> (anchor, y, x)."""
        a, y, x = np.unravel_index(int(flat_index),
                                   (self.anchor_num, self.score_size, self.score_size))
        return int(a), int(y), int(x)

    def decode(self, deltas: np.ndarray) -> np.ndarray:
        """(4, N) head regression -> (4, N) float32 boxes (cx, cy, w, h), crop px."""
        return decode_boxes(deltas, self.anchors)

    def select(self, score: np.ndarray, deltas: np.ndarray, size_wh: Sequence[float],
               scale_z: float, penalty_k: float, window_influence: float) -> Selection:
        """Decode, penalise, blend with the window and take the first maximum."""
        if score.shape[0] != self.window.shape[0]:
            raise ValueError(f"score map has {score.shape[0]} positions, the decoder expects "
                             f"{self.window.shape[0]} ({self.anchor_num} x {self.score_size}^2)")
        boxes = self.decode(deltas)
        penalty = shape_penalty(boxes, size_wh, scale_z, penalty_k)
        pscore32 = (penalty * score) * _F32(1.0 - window_influence)
        pscore = pscore32.astype(np.float64) + self.window * float(window_influence)
        best = int(np.argmax(pscore))
        return Selection(best, score, boxes, penalty, pscore)

    def local_maxima(self, selection: Selection, count: int) -> List[int]:
        """Flat indices of up to ``count`` other local maxima of the selection score.

        Per position the best anchor is taken; a position is a local maximum if no 8-neighbour
        beats it; the selected position itself is excluded. Ordered best first.
        """
        if count <= 0:
            return []
        s = self.score_size
        pscore = selection.pscore.reshape(self.anchor_num, s, s)
        best_anchor = np.argmax(pscore, axis=0)
        peak = np.take_along_axis(pscore, best_anchor[None], axis=0)[0]
        padded = np.pad(peak, 1, mode="constant", constant_values=-np.inf)
        neighbours = np.max(np.stack([padded[dy:dy + s, dx:dx + s]
                                      for dy in range(3) for dx in range(3)
                                      if (dy, dx) != (1, 1)]), axis=0)
        is_peak = peak >= neighbours
        _, by, bx = self.unravel(selection.best_idx)
        is_peak[by, bx] = False
        ys, xs = np.nonzero(is_peak)
        order = np.argsort(-peak[ys, xs], kind="stable")[:count]
        return [int(best_anchor[ys[i], xs[i]]) * s * s + int(ys[i]) * s + int(xs[i])
                for i in order]


def point_grid(score_size: int, stride: int) -> np.ndarray:
    """(S*S, 2) float32 (x, y) offsets of the score-map cells from the crop centre, row-major
    (y outer): ``-(S // 2) * stride + stride * i`` on both axes (NanoTrack / SiamBAN; for even
    S the grid runs from ``-S/2 * stride`` to ``(S/2 - 1) * stride``, not symmetric)."""
    size = int(score_size)
    coords = (-(size // 2) * int(stride) + int(stride) * np.arange(size)).astype(np.float32)
    xs, ys = np.meshgrid(coords, coords)
    return np.stack([xs.reshape(-1), ys.reshape(-1)], axis=1)


def decode_points(distances: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(4, N) float32 distances (left, top, right, bottom) from each grid point + (N, 2) points
    -> (4, N) float32 boxes (cx, cy, w, h) relative to the crop centre (the input is not
    modified)."""
    distances = np.asarray(distances, dtype=_F32)
    x1 = points[:, 0] - distances[0]
    y1 = points[:, 1] - distances[1]
    x2 = points[:, 0] + distances[2]
    y2 = points[:, 1] + distances[3]
    return np.stack([(x1 + x2) * _F32(0.5), (y1 + y2) * _F32(0.5), x2 - x1, y2 - y1])


class PointScoreMapDecoder(ScoreMapDecoder):
    """Anchor-free (point-based) variant: one candidate per cell, boxes from the distances to
    the cell's grid point (:func:`point_grid`); penalty, window and selection as for anchors."""

    def __init__(self, score_size: int, stride: int) -> None:
        self.score_size = int(score_size)
        self.stride = int(stride)
        self.points = point_grid(self.score_size, self.stride)
        self.anchor_num = 1
        self.window = cosine_window(self.score_size, 1)

    def decode(self, deltas: np.ndarray) -> np.ndarray:
        return decode_points(deltas, self.points)
