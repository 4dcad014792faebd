"""Appearance verification of a learned tracker's candidates (calibrated confidence).

A small Siamese network trained on a CPU localises well but scores almost anything
object-like near 1: after a shot cut, or while the target is out of view, it keeps a
confident box on another object, and a follow-me controller never hears "lost". This wrapper
keeps the base tracker's boxes and replaces its confidence by

    confidence = base_score * appearance

where ``appearance`` in [0, 1] is the parameter-free model's calibrated match (the
``model`` the builder passes in, :mod:`siam_tracker_ros.models.parameter_free`: zero-mean normalised correlation of fixed
intensity / colour-opponent / gradient-orientation features with the *first-frame* template,
mapped linearly from ``confidence_floor`` -> 0 to ``confidence_ceil`` -> 1). The match is the
best one within a small window around the candidate (``search_margin`` network px each side,
one scale: the candidate's own box), so a box a few pixels off still verifies.

Templates: the first frame's (kept for good) and up to ``memory`` recent ones, taken every
``update_every`` tracked frames whose base score and appearance are both high
(``update_min_base_score``, ``update_min_appearance``); a candidate's appearance is its best
match over them. Gradual change (rotation, scale, light) is followed, an abrupt change (a shot
cut, another object, the target gone) is not: those frames never update the memory.
It works over any :class:`~siam_tracker_ros.core.tracker.SearchableTracker`: tracking frames,
and every proposal re-detection evaluates, are verified the same way, so the long-term
wrapper's thresholds apply to the verified confidence.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import List, Optional, Sequence

import numpy as np

from .config import RuntimeOptions
from .siamfc import CorrelationModel, SearchFeatureCache, SiamFCConfig, SiamFCTracker
from .tracker import DelegatingTracker, Proposal, SearchableTracker, TargetState
from .types import TrackResult


@dataclass(frozen=True)
class VerifierConfig:
    """The ``verifier:`` section of a tracker YAML.

    search_margin: network px searched around a candidate on each side (multiple of 4: the
      verification features' cell); 0 = score the candidate's own window only.
    confidence_floor / confidence_ceil: raw correlation -> appearance in [0, 1] (linear ramp).
    context_weight: template weight of the context band around the target (1 = plain SiamFC).
    min_base_score: a base score below this is kept as is (no verification needed to reject).
    memory: recent templates kept besides the first frame's (0 = first frame only).
    update_every: tracked frames between template updates.
    update_min_base_score / update_min_appearance: what a frame needs to become a template.
    min_target_px: the verifier abstains (appearance 1, the base score is kept) for a target
      whose initial box has sqrt(w * h) below this many frame px: its template holds too few
      pixels for the match to mean anything (0 = always verify).
    """

    enabled: bool = True
    search_margin: int = 16
    confidence_floor: float = 0.2
    confidence_ceil: float = 0.5
    context_weight: float = 0.5
    min_base_score: float = 0.0
    memory: int = 2
    update_every: int = 5
    update_min_base_score: float = 0.9
    update_min_appearance: float = 0.5
    min_target_px: float = 0.0

    def __post_init__(self) -> None:
        if self.search_margin < 0 or self.search_margin % 4:
            raise ValueError(f"search_margin must be a multiple of 4 and >= 0, got {self.search_margin}")
        if not 0.0 <= self.confidence_floor < self.confidence_ceil <= 1.0:
            raise ValueError("need 0 <= confidence_floor < confidence_ceil <= 1, got "
                             f"{self.confidence_floor}, {self.confidence_ceil}")
        if not 0.0 <= self.context_weight <= 1.0:
            raise ValueError(f"context_weight must be in [0, 1], got {self.context_weight}")
        for name in ("min_base_score", "update_min_base_score", "update_min_appearance"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not self.min_target_px >= 0.0:
            raise ValueError(f"min_target_px must be >= 0, got {self.min_target_px}")
        if self.memory < 0 or self.update_every < 1:
            raise ValueError(f"need memory >= 0 and update_every >= 1, got {self.memory}, "
                             f"{self.update_every}")


class AppearanceVerifiedTracker(DelegatingTracker):
    """A :class:`SearchableTracker` over ``base`` whose scores are verified by appearance
    (see the module doc). ``TrackResult.extras`` gains ``base_score`` and ``appearance``.
    State, search geometry and ``accept`` are the base's (:class:`DelegatingTracker`).

    ``model``: the verification features (the parameter-free model; built by
    :func:`siam_tracker_ros.build.verifier.appearance_verified`). The verification windows use
    the base's template geometry (exemplar size, context)."""

    def __init__(self, base: SearchableTracker, model: CorrelationModel,
                 cfg: VerifierConfig = VerifierConfig(),
                 options: RuntimeOptions = RuntimeOptions()) -> None:
        super().__init__(base)
        geometry = base.search_geometry
        exemplar_size, context_amount = geometry.exemplar_size, geometry.context_amount
        self.cfg = cfg
        self._window = exemplar_size + 2 * cfg.search_margin
        # The verifier is a SiamFC tracker over the parameter-free model that is never moved:
        # it only scores windows placed by the base tracker.
        self._fc_cfg = SiamFCConfig(exemplar_size=exemplar_size,
                                    instance_size=exemplar_size + max(8, 2 * cfg.search_margin),
                                    context_amount=context_amount, scale_num=1,
                                    search_window_influence=0.0, context_weight=cfg.context_weight,
                                    confidence_floor=cfg.confidence_floor,
                                    confidence_ceil=cfg.confidence_ceil, max_distractors=0)
        self._options = options
        self._model = model
        # every template crops the same window of a frame: its features are computed once
        self._search_features = SearchFeatureCache()
        self.verifier = self._new_verifier()        # the first frame's template
        self._recent: List[SiamFCTracker] = []      # up to cfg.memory recent templates
        self._since_update = 0
        self.abstains = False                       # True: target too small to verify

    def _new_verifier(self) -> SiamFCTracker:
        return SiamFCTracker(self._model, self._fc_cfg, self._options, self._search_features)

    # --- verification ------------------------------------------------------------------------
    def appearance(self, frame: np.ndarray, boxes_xywh: Sequence[Sequence[float]]) -> List[float]:
        """Appearance match in [0, 1] of each candidate box: its best match over the templates
        (the first frame's and the recent ones)."""
        if self.abstains:
            return [1.0] * len(boxes_xywh)
        scores = []
        try:
            for box in boxes_xywh:
                x, y, w, h = (float(v) for v in box)
                if not (w > 0 and h > 0 and np.isfinite([x, y, w, h]).all()):
                    scores.append(0.0)
                    continue
                center = np.array([x + w / 2.0, y + h / 2.0])
                best = 0.0
                for verifier in [self.verifier, *self._recent]:
                    verifier.state = TargetState(center, np.array([w, h]))
                    proposal = verifier.propose_many(frame, [center], self._window, 0.0)[0]
                    best = max(best, float(proposal.score))
                scores.append(best)
        finally:
            self._search_features.clear()   # holds a crop of this frame only
        return scores

    @property
    def templates(self) -> int:
        """Templates held (the first frame's + recent ones)."""
        return 1 + len(self._recent)

    def _maybe_remember(self, frame: np.ndarray, result: TrackResult, appearance: float) -> None:
        if self.cfg.memory == 0 or self.abstains:
            return
        self._since_update += 1
        if self._since_update < self.cfg.update_every:
            return
        if result.score < self.cfg.update_min_base_score or \
                appearance < self.cfg.update_min_appearance:
            return
        self._since_update = 0
        verifier = self._recent.pop(0) if len(self._recent) >= self.cfg.memory else self._new_verifier()
        verifier.initialize(frame, result.bbox_xywh)
        # search crops padded like the first template's, so all templates see the same crop
        # (its features are computed once per candidate)
        verifier.use_search_pad(self.verifier.search_pad_bgr)
        self._recent.append(verifier)

    def _verified(self, score: float, appearance: float) -> float:
        if score < self.cfg.min_base_score:
            return float(score)
        return float(score) * float(appearance)

    # --- Tracker -----------------------------------------------------------------------------
    def initialize(self, frame: np.ndarray, box_xywh: Sequence[float]) -> TrackResult:
        result = self.base.initialize(frame, box_xywh)
        w, h = (float(v) for v in result.bbox_xywh[2:4])
        self.abstains = bool(np.sqrt(max(w, 0.0) * max(h, 0.0)) < self.cfg.min_target_px)
        self.verifier.initialize(frame, result.bbox_xywh)
        self._recent, self._since_update = [], 0
        result.extras = {**result.extras, "base_score": result.score, "appearance": 1.0}
        return result

    def track(self, frame: np.ndarray) -> TrackResult:
        result = self.base.track(frame)
        appearance = self.appearance(frame, [result.bbox_xywh])[0]
        self._maybe_remember(frame, result, appearance)
        return replace(result, score=self._verified(result.score, appearance),
                       extras={**result.extras, "base_score": float(result.score),
                               "appearance": appearance})

    def reset(self) -> None:
        self.base.reset()
        self.verifier.reset()
        self._search_features.clear()
        self._recent, self._since_update = [], 0
        self.abstains = False

    # --- SearchableTracker -------------------------------------------------------------------
    def propose(self, frame: np.ndarray, center_xy: Sequence[float],
                instance_size: Optional[int] = None,
                window_influence: Optional[float] = None) -> Proposal:
        proposal = self.base.propose(frame, center_xy, instance_size,
                                     window_influence=window_influence)
        return self._verify_proposals(frame, [proposal])[0]

    def propose_many(self, frame: np.ndarray, centers_xy: Sequence[Sequence[float]],
                     instance_size: int, window_influence: Optional[float] = None) -> List[Proposal]:
        proposals = self.base.propose_many(frame, centers_xy, instance_size,
                                           window_influence=window_influence)
        return self._verify_proposals(frame, proposals)

    def _verify_proposals(self, frame: np.ndarray, proposals: Sequence[Proposal]) -> List[Proposal]:
        appearance = self.appearance(frame, [p.box_xywh for p in proposals])
        return [replace(p, score=self._verified(p.score, a)) for p, a in zip(proposals, appearance)]


__all__ = ["AppearanceVerifiedTracker", "VerifierConfig"]
