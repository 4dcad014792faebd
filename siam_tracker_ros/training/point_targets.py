"""Label assignment of point-based (anchor-free, "BAN") heads such as NanoTrack's / SiamBAN's.

The head emits, at every cell (y, x) of an (S, S) map, a fore/background score and four
distances (left, top, right, bottom) from the cell's point to the box edges, in search-crop
pixels. Cell ``i`` (either axis) looks at crop coordinate ``centre + (i - S // 2) * stride``
with ``centre = (instance_size - 1) / 2`` (the crop pixel the tracker's state centre maps to,
as in :mod:`.targets`): the tracker's point grid ``-(S // 2) * stride + i * stride`` around
the state centre, so labels are exactly what the tracker's decoding reads.

The rule (SiamBAN's ellipse labels): a point is **positive** when it lies inside the ellipse
centred on the box with semi-axes ``pos_ellipse * (w, h)`` (a quarter of the box by default),
**negative** when it lies outside the ellipse with semi-axes ``neg_ellipse * (w, h)`` (the
box's inscribed ellipse), ignored in between. With ``force_nearest_positive`` a thin or small
box whose inner ellipse holds no point gets its nearest point inside the inscribed ellipse
as the one positive (else such pairs would teach the head nothing but background). At most
``pos_num`` positives and ``total_num - pos_num`` negatives are kept per pair (random subset). For a negative pair
(the search crop shows another object) only the points within the other object's inner
ellipse are labelled, as background, at most ``neg_num`` of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Tuple

import numpy as np

from .labels import cell_grid, label_map, pick


@dataclass(frozen=True)
class PointTargetConfig:
    """Sampling of point labels (see the module docstring)."""

    pos_num: int = 16
    total_num: int = 64
    neg_num: int = 16
    pos_ellipse: float = 0.25
    neg_ellipse: float = 0.5
    force_nearest_positive: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.pos_num <= self.total_num or self.neg_num <= 0:
            raise ValueError("need 0 < pos_num <= total_num and neg_num > 0")
        if not 0 < self.pos_ellipse <= self.neg_ellipse:
            raise ValueError(f"need 0 < pos_ellipse <= neg_ellipse, got {self.pos_ellipse}, "
                             f"{self.neg_ellipse}")


def point_grid(score_size: int, stride: int, instance_size: int) -> np.ndarray:
    """(S,) float32 crop coordinates of the points of one axis (the same for x and y)."""
    return cell_grid(score_size, stride, instance_size).astype(np.float32)


def _ellipse_distance(grid: np.ndarray, box_xyxy: Sequence[float], fraction: float) -> np.ndarray:
    """(S, S) normalised squared distance of every point to the box centre: < 1 inside the
    ellipse with semi-axes ``fraction * (w, h)``."""
    x0, y0, x1, y1 = (float(v) for v in box_xyxy)
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    ax = max(fraction * (x1 - x0), 1e-6)
    ay = max(fraction * (y1 - y0), 1e-6)
    dx = ((grid - cx) / ax) ** 2
    dy = ((grid - cy) / ay) ** 2
    return dy[:, None] + dx[None, :]


def ltrb_targets(grid: np.ndarray, box_xyxy: Sequence[float]) -> np.ndarray:
    """(4, S, S) float32 distances (left, top, right, bottom) from every point to the box
    edges, crop pixels (negative where the point lies outside the box)."""
    x0, y0, x1, y1 = (float(v) for v in box_xyxy)
    size = grid.size
    px = np.broadcast_to(grid[None, :], (size, size))
    py = np.broadcast_to(grid[:, None], (size, size))
    return np.stack([px - x0, py - y0, x1 - px, y1 - py]).astype(np.float32)


def point_targets(grid: np.ndarray, box_xyxy: Sequence[float], positive: bool,
                  config: PointTargetConfig, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Labels of one pair on the (S, S) point map whose axis coordinates are ``grid``.

    Returns ``cls`` (1, S, S) int64 in {-1 ignore, 0 background, 1 target} and ``ltrb``
    (4, S, S) float32 regression targets (zeros for a negative pair; only read where
    ``cls == 1``).
    """
    size = grid.size
    inner = _ellipse_distance(grid, box_xyxy, config.pos_ellipse) < 1.0
    if not positive:
        chosen = pick(rng, np.flatnonzero(inner), config.neg_num)
        return label_map((1, size, size), negatives=chosen), np.zeros((4, size, size), dtype=np.float32)
    middle = _ellipse_distance(grid, box_xyxy, config.neg_ellipse)
    outer = middle > 1.0
    pos = np.flatnonzero(inner)
    if pos.size == 0 and config.force_nearest_positive:
        nearest = int(np.argmin(middle))
        if middle.reshape(-1)[nearest] < 1.0:
            pos = np.array([nearest])
    pos = pick(rng, pos, config.pos_num)
    neg = pick(rng, np.flatnonzero(outer), config.total_num - config.pos_num)
    return label_map((1, size, size), pos, neg), ltrb_targets(grid, box_xyxy)
