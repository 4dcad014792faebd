"""Distractor-aware re-ranking of candidates (the idea of DaSiamRPN, Zhu et al. ECCV 2018).

While the target is tracked confidently, the runner-up peaks of the search response
(``Proposal.distractors``: high-scoring look-alikes away from the target) are remembered as
small appearance descriptors. Candidates are then re-ranked by

    adjusted_i = min(score_i, score_first) - weight * max_j sim(d_j, c_i)

where ``score_first`` is the score of the candidate the tracker itself selected (so an
alternative can only win by looking *less* like a remembered distractor, never by raw score
alone, which keeps the tracker's motion prior), ``d_j`` the remembered distractors and ``sim``
the zero-mean normalised correlation of descriptors in [-1, 1] (negative clipped to 0).
A candidate is *distractor-like* when it resembles a remembered distractor more than the
target's own descriptor (taken at initialisation) by ``reject_margin``; re-detection never
accepts such a candidate. An exact copy of the target resembles both equally, so it is neither
penalised more than the target nor rejected: appearance cannot separate copies.

The descriptor is tracker-independent (:func:`appearance_descriptor`: coarse intensity and
colour-opponent layout of the candidate box), so this works over any
:class:`SearchableTracker`, including when the tracker's own features cannot tell a
look-alike from the target.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .boxes import box_iou  # noqa: F401 (used below and by callers of this module)
from .crop import channel_mean, crop_patch

BoxXYWH = Tuple[float, float, float, float]


def appearance_descriptor(frame: np.ndarray, box_xywh: Sequence[float], grid: int = 4,
                          pad_bgr: Sequence[float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """(3 * grid * grid,) float32 unit-norm descriptor of the box's square patch (side
    ``sqrt(w h)``, cropped with THE crop to ``8 * grid`` px): per cell of a ``grid`` x ``grid``
    layout the mean intensity (minus the patch mean) and the colour opponents R-G and
    (R+G)/2-B. Coarse cells make it tolerant to a few pixels of misalignment; the opponents
    keep the hue. Zero vector for a flat grey patch."""
    x, y, w, h = (float(v) for v in box_xywh)
    side = max(1, int(round(math.sqrt(max(w, 1.0) * max(h, 1.0)))))
    cell = 8
    patch, _ = crop_patch(frame, (x + w / 2.0 - 0.5, y + h / 2.0 - 0.5), side, cell * grid, pad_bgr)
    means = patch.astype(np.float32).reshape(grid, cell, grid, cell, 3).mean(axis=(1, 3)) / 255.0
    blue, green, red = means[..., 0], means[..., 1], means[..., 2]
    intensity = (blue + green + red) / 3.0
    vec = np.concatenate([(intensity - intensity.mean()).ravel(), (red - green).ravel(),
                          (0.5 * (red + green) - blue).ravel()]).astype(np.float32)
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 1e-6 else np.zeros_like(vec)


@dataclass(frozen=True)
class Candidate:
    """One candidate position: box (xywh frame px), tracker score in [0, 1], its score after
    re-ranking, and whether it looks more like a remembered distractor than like the target."""

    box_xywh: BoxXYWH
    score: float
    adjusted: float
    distractor_like: bool = False


class DistractorMemory:
    """Remembers up to ``capacity`` distractor descriptors and re-ranks candidates.

    ``weight``: strength of the distractor penalty; ``min_score``: a runner-up is remembered
    only when its tracker score reaches it; ``max_overlap``: and when its IoU with the target
    box is below this; ``merge_similarity``: a new distractor this similar to a remembered one
    replaces it instead of taking a new slot.
    """

    def __init__(self, capacity: int = 4, weight: float = 0.5, min_score: float = 0.5,
                 max_overlap: float = 0.2, merge_similarity: float = 0.95,
                 descriptor_grid: int = 4, reject_margin: float = 0.05) -> None:
        self.capacity = int(capacity)
        self.reject_margin = float(reject_margin)
        self._target: Optional[np.ndarray] = None
        self.weight = float(weight)
        self.min_score = float(min_score)
        self.max_overlap = float(max_overlap)
        self.merge_similarity = float(merge_similarity)
        self.descriptor_grid = int(descriptor_grid)
        self._pad_bgr: Tuple[float, float, float] = (0.0, 0.0, 0.0)
        self._items: List[np.ndarray] = []

    def __len__(self) -> int:
        return len(self._items)

    def reset(self, frame: Optional[np.ndarray] = None,
              target_box: Optional[Sequence[float]] = None) -> None:
        """Forget every distractor; take the padding colour from ``frame`` and the target's
        descriptor from ``target_box`` on it when given."""
        self._items = []
        self._target = None
        if frame is not None:
            self._pad_bgr = tuple(float(v) for v in channel_mean(frame))
            if target_box is not None:
                self._target = self.describe(frame, target_box)

    def describe(self, frame: np.ndarray, box_xywh: Sequence[float]) -> np.ndarray:
        return appearance_descriptor(frame, box_xywh, self.descriptor_grid, self._pad_bgr)

    def similarity(self, descriptor: np.ndarray) -> float:
        """Largest similarity (clipped at 0) of ``descriptor`` to a remembered distractor."""
        if not self._items:
            return 0.0
        return max(0.0, float(np.max(np.stack(self._items) @ descriptor)))

    def update(self, frame: np.ndarray, target_box: Sequence[float],
               distractors: Sequence[Tuple[Sequence[float], float]]) -> int:
        """Remember the runner-ups of a confident frame; returns how many were taken."""
        taken = 0
        for box, score in distractors:
            if score < self.min_score or box_iou(box, target_box) >= self.max_overlap:
                continue
            desc = self.describe(frame, box)
            if self._items:
                sims = np.stack(self._items) @ desc
                k = int(np.argmax(sims))
                if sims[k] >= self.merge_similarity:
                    self._items[k] = desc
                    taken += 1
                    continue
            self._items.append(desc)
            if len(self._items) > self.capacity:
                self._items.pop(0)
            taken += 1
        return taken

    def rerank(self, frame: np.ndarray, candidates: Sequence[Tuple[Sequence[float], float]],
               anchor_first: bool = True) -> List[Candidate]:
        """Candidates ``[(box, score), ...]`` sorted by the adjusted score, best first (ties
        keep the input order). ``anchor_first``: the first candidate is the tracker's own
        choice and caps the others' scores (tracking); False = plain scores (re-detection
        over several windows). Without remembered distractors the order is unchanged."""
        if not candidates:
            return []
        first_score = float(candidates[0][1])
        out = []
        for index, (box, score) in enumerate(candidates):
            capped = float(score)
            if anchor_first and index > 0:
                capped = min(capped, first_score)
            penalty, like = 0.0, False
            if self._items:
                desc = self.describe(frame, box)
                sim = self.similarity(desc)
                penalty = self.weight * sim
                if self._target is not None:
                    like = sim > max(0.0, float(self._target @ desc)) + self.reject_margin
            out.append((capped - penalty, -index, Candidate(tuple(float(v) for v in box), float(score),
                                                            capped - penalty, like)))
        out.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [item[2] for item in out]
