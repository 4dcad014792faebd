"""The label set-up shared by every head's target assignment (:mod:`.targets` for anchors and
SiamFC maps, :mod:`.point_targets` for point heads): the crop coordinates of the score-map
cells, the random subset of candidates kept per pair, and the {-1, 0, 1} label map.

Cell ``i`` (either axis) of an (S, S) map looks at crop coordinate
``centre + (i - S // 2) * stride`` with ``centre = (instance_size - 1) / 2``, the crop pixel the
tracker's state centre maps to (offset 0 of the tracker's anchors / points).
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

IGNORE, BACKGROUND, TARGET = -1, 0, 1
_NONE = np.empty(0, dtype=np.int64)


def crop_centre(instance_size: int) -> float:
    """Crop coordinate of the state centre: ``(instance_size - 1) / 2``."""
    return (instance_size - 1) / 2.0


def cell_grid(score_size: int, stride: int, instance_size: int) -> np.ndarray:
    """(S,) float64 crop coordinates of the cells of one axis (the same for x and y)."""
    return crop_centre(instance_size) + (np.arange(score_size) - score_size // 2) * stride


def pick(rng: np.random.Generator, flat_indices: np.ndarray, limit: int) -> np.ndarray:
    """``flat_indices`` when at most ``limit``, else a random subset of ``limit`` of them."""
    if flat_indices.size <= limit:
        return flat_indices
    return rng.choice(flat_indices, size=limit, replace=False)


def label_map(shape: Tuple[int, ...], positives: np.ndarray = _NONE,
              negatives: np.ndarray = _NONE) -> np.ndarray:
    """int64 map of ``shape``: TARGET at the flat ``positives``, then BACKGROUND at the flat
    ``negatives``, IGNORE elsewhere."""
    cls = np.full(shape, IGNORE, dtype=np.int64)
    flat = cls.reshape(-1)
    flat[positives] = TARGET
    flat[negatives] = BACKGROUND
    return cls
