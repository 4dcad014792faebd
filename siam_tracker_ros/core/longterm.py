"""Long-term tracking: confidence hysteresis and local-to-global re-detection over any
:class:`~siam_tracker_ros.core.tracker.SearchableTracker` (composition: the base tracker does
every search, this wrapper only decides where to look and what to believe).

States (``TrackResult.state``), with ``c`` the base tracker's confidence on the frame:

* TRACKING: ``c >= reacquire_threshold``;
* UNCERTAIN: ``loss_threshold <= c < reacquire_threshold``, or ``c < loss_threshold`` for fewer
  than ``loss_patience`` consecutive frames (then the state is frozen: the base tracker's state
  is restored and the last trusted box is reported);
* LOST: the frame on which ``c`` has stayed below ``loss_threshold`` for ``loss_patience``
  frames; SEARCHING: every later frame until re-acquisition. While LOST/SEARCHING the box is
  the last trusted box and ``TrackResult.is_target_visible`` is False.

Re-detection (SEARCHING): windows at the target's last scale, ``windows_per_frame`` per frame
(through the base's ``propose_many``, batched where the base can), so a searching frame costs about as much
as ``windows_per_frame`` windows of ``max_instance_size`` px:

1. widening: one window at the last centre per step, the network input growing by
   ``widen_step`` px up to ``max_instance_size`` (stops early once a window sees the whole
   frame);
2. global: the frame tiled with ``max_instance_size`` windows (or one window when it sees the
   whole frame), nearest tile first, cycled until re-acquisition.

A window of input ``S`` px at the target's scale spans ``s_z * S / exemplar`` frame px and can
detect target centres in its central ``s_z * (S - exemplar) / exemplar`` px (``s_z`` = template
context side); tiles are laid out so these detectable regions cover the frame with
``tile_overlap`` margin.

Re-acquisition: a candidate scoring ``>= reacquire_threshold``; with ``confirm_frames`` > 1 it
must score that high on that many consecutive frames (each confirmation is one normal-size
search at the candidate). Then the base tracker ``accept``-s it and the state is TRACKING.

``distractor_aware``: candidates (the proposal and its runner-up ``distractors``) are re-ranked
with :class:`~siam_tracker_ros.core.distractor.DistractorMemory` on every frame (tracking via
``propose``/``accept`` instead of ``track``: masks/polygons of the base are then not passed on).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .distractor import DistractorMemory
from .errors import ConfigError, NotInitializedError
from .tracker import DelegatingTracker, Proposal, SearchableTracker, SearchGeometry, layer_of
from .types import TrackResult, TrackState, validate_frame

BoxXYWH = Tuple[float, float, float, float]


@dataclass(frozen=True)
class LongTermConfig:
    """Hysteresis and re-detection settings (``long_term:`` section of our tracker YAML).

    loss_threshold / reacquire_threshold: confidence levels (0..1), loss < reacquire.
    loss_patience: consecutive frames below ``loss_threshold`` that declare the target LOST.
    confirm_frames: consecutive frames a re-detected candidate must score
      ``>= reacquire_threshold`` before it is accepted (1 = at once).
    freeze_below_loss: keep the base tracker's state on frames below ``loss_threshold``.
    widen_step / max_instance_size: search-input growth per widening step and the largest
      search input (px at the target's scale; ``- exemplar`` must be a multiple of 8).
    windows_per_frame: search windows evaluated per SEARCHING frame (cost control).
    tile_overlap: extra overlap of the global tiles' detectable regions (fraction).
    search_window_influence: cosine-window weight for search windows (None = the base's
      default for a non-default input size).
    distractor_aware + distractor_*: DaSiamRPN-style re-ranking (see core/distractor.py);
      distractor_scan: also search the whole first frame once at initialisation for
      look-alikes to remember (costs one global search, all windows, on that frame).
    """

    loss_threshold: float = 0.3
    reacquire_threshold: float = 0.6
    loss_patience: int = 3
    confirm_frames: int = 2
    freeze_below_loss: bool = True
    widen_step: int = 128
    max_instance_size: int = 511
    windows_per_frame: int = 1
    tile_overlap: float = 0.15
    search_window_influence: Optional[float] = None
    distractor_aware: bool = False
    distractor_weight: float = 0.5
    distractor_memory: int = 4
    distractor_min_score: float = 0.5
    distractor_scan: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.loss_threshold < self.reacquire_threshold <= 1.0:
            raise ValueError(f"need 0 <= loss_threshold < reacquire_threshold <= 1, got "
                             f"{self.loss_threshold}, {self.reacquire_threshold}")
        for name in ("loss_patience", "confirm_frames", "windows_per_frame", "widen_step",
                     "distractor_memory"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.widen_step % 8:
            raise ValueError(f"widen_step must be a multiple of 8, got {self.widen_step}")
        if not 0.0 <= self.tile_overlap < 0.9:
            raise ValueError(f"tile_overlap must be in [0, 0.9), got {self.tile_overlap}")
        if self.search_window_influence is not None and not 0.0 <= self.search_window_influence <= 1.0:
            raise ValueError(f"search_window_influence must be in [0, 1], got {self.search_window_influence}")
        if self.distractor_weight < 0:
            raise ValueError(f"distractor_weight must be >= 0, got {self.distractor_weight}")


@dataclass(frozen=True)
class SearchWindow:
    """One re-detection window: centre (frame px) and network input size (px)."""

    center_xy: Tuple[float, float]
    instance_size: int


def widening_sizes(geometry: SearchGeometry, cfg: LongTermConfig) -> List[int]:
    """Search inputs of the widening steps: ``instance + k * widen_step`` (k >= 1), capped at
    and ending with ``max_instance_size``."""
    sizes = []
    size = geometry.instance_size + cfg.widen_step
    while size < cfg.max_instance_size:
        sizes.append(size)
        size += cfg.widen_step
    sizes.append(cfg.max_instance_size)
    return sizes


def _covers_frame(center_xy: Sequence[float], span: float, frame_wh: Sequence[int]) -> bool:
    half = span / 2.0
    cx, cy = float(center_xy[0]), float(center_xy[1])
    width, height = float(frame_wh[0]), float(frame_wh[1])
    return cx - half <= 0 and cx + half >= width and cy - half <= 0 and cy + half >= height


def tile_centers(frame_wh: Sequence[int], span: float, overlap: float,
                 near_xy: Optional[Sequence[float]] = None) -> List[Tuple[float, float]]:
    """Centres of a grid of windows whose detectable squares (side ``span`` px) cover the
    frame (W, H) with ``overlap`` margin; sorted by distance to ``near_xy`` when given."""
    width, height = float(frame_wh[0]), float(frame_wh[1])
    step = max(1.0, span * (1.0 - overlap))
    nx = max(1, int(math.ceil(width / step)))
    ny = max(1, int(math.ceil(height / step)))
    centers = [(width * (i + 0.5) / nx, height * (j + 0.5) / ny) for j in range(ny) for i in range(nx)]
    if near_xy is not None:
        px, py = float(near_xy[0]), float(near_xy[1])
        centers.sort(key=lambda c: (c[0] - px) ** 2 + (c[1] - py) ** 2)
    return centers


def plan_search(frame_wh: Sequence[int], last_center_xy: Sequence[float], size_wh: Sequence[float],
                geometry: SearchGeometry, cfg: LongTermConfig
                ) -> Tuple[List[SearchWindow], List[SearchWindow]]:
    """(widening windows, evaluated once in order; global windows, cycled) for a target last
    seen at ``last_center_xy`` with size ``size_wh`` in a (W, H) frame."""
    center = (float(last_center_xy[0]), float(last_center_xy[1]))
    widening = []
    for size in widening_sizes(geometry, cfg):
        widening.append(SearchWindow(center, size))
        if _covers_frame(center, geometry.detectable_span(size_wh, size), frame_wh):
            return widening, [widening[-1]]
    span = geometry.detectable_span(size_wh, cfg.max_instance_size)
    frame_center = (frame_wh[0] / 2.0, frame_wh[1] / 2.0)
    if _covers_frame(frame_center, span, frame_wh):
        return widening, [SearchWindow(frame_center, cfg.max_instance_size)]
    tiles = tile_centers(frame_wh, span, cfg.tile_overlap, center)
    return widening, [SearchWindow(c, cfg.max_instance_size) for c in tiles]


class LongTermTracker(DelegatingTracker):
    """Hysteresis + local-to-global re-detection (+ optional distractor-aware re-ranking)
    over a :class:`SearchableTracker`; itself a SearchableTracker (state, geometry and search
    calls delegate to the base, :class:`DelegatingTracker`).

    ``TrackResult.extras``: ``proposals`` (search windows evaluated on the frame),
    ``frames_since_seen`` (frames since the last trusted box), ``search_stage``
    (``widening``/``global``/``confirming`` while SEARCHING), ``base`` (the base tracker's
    extras on tracking frames).
    """

    def __init__(self, base: SearchableTracker, cfg: LongTermConfig = LongTermConfig()) -> None:
        super().__init__(base)
        self.geometry = base.search_geometry
        self.memory: Optional[DistractorMemory] = None
        self._cfg = LongTermConfig()
        self.cfg = cfg
        self._mode = TrackState.IDLE
        self._low_count = 0
        self._last_box: BoxXYWH = (0.0, 0.0, 0.0, 0.0)
        self._since_seen = 0
        self._widening: List[SearchWindow] = []
        self._global: List[SearchWindow] = []
        self._plan_index = 0
        self._candidate: Optional[Proposal] = None
        self._confirmed = 0

    @property
    def cfg(self) -> LongTermConfig:
        """The settings; assigning new ones takes effect on the next frame (a search in
        progress keeps its plan; distractor memory is kept unless its settings change)."""
        return self._cfg

    @cfg.setter
    def cfg(self, cfg: LongTermConfig) -> None:
        if cfg.max_instance_size < self.geometry.instance_size:
            raise ConfigError(f"long_term.max_instance_size {cfg.max_instance_size} is smaller than "
                              f"the tracker's instance_size {self.geometry.instance_size}")
        if (cfg.max_instance_size - self.geometry.exemplar_size) % 8:
            raise ConfigError(f"long_term.max_instance_size - exemplar_size must be a multiple of 8, "
                              f"got {cfg.max_instance_size} - {self.geometry.exemplar_size}")
        old = self._cfg
        memory_keys = ("distractor_memory", "distractor_weight", "distractor_min_score")
        if not cfg.distractor_aware:
            self.memory = None
        elif self.memory is None or any(getattr(old, k) != getattr(cfg, k) for k in memory_keys):
            self.memory = DistractorMemory(cfg.distractor_memory, cfg.distractor_weight,
                                           cfg.distractor_min_score)
        self._cfg = cfg

    @property
    def mode(self) -> TrackState:
        """The state reported on the last frame (IDLE before initialize)."""
        return self._mode

    # --- Tracker ----------------------------------------------------------------------
    def initialize(self, frame: np.ndarray, box_xywh: Sequence[float]) -> TrackResult:
        result = self.base.initialize(frame, box_xywh)
        self._mode = TrackState.TRACKING
        self._low_count = 0
        self._since_seen = 0
        self._last_box = tuple(float(v) for v in result.bbox_xywh)
        self._candidate = None
        scanned = 0
        if self.memory is not None:
            self.memory.reset(frame, self._last_box)
            if self.cfg.distractor_scan:
                scanned = self._scan_distractors(frame)
        return TrackResult(result.bbox_xywh, result.score, TrackState.TRACKING, result.polygon,
                           result.mask, result.theta, {"proposals": scanned, "frames_since_seen": 0,
                                                       "base": result.extras})

    def _scan_distractors(self, frame: np.ndarray) -> int:
        """Search the whole first frame once (the global windows) and remember look-alikes
        away from the target; returns the number of windows evaluated."""
        height, width = frame.shape[:2]
        state = self.base.state
        _, windows = plan_search((width, height), state.center_xy, state.size_wh, self.geometry,
                                 self.cfg)
        proposals = self._propose_windows(frame, windows)
        candidates = []
        for proposal in proposals:
            candidates.append((proposal.box_xywh, proposal.score))
            candidates.extend(proposal.distractors)
        self.memory.update(frame, self._last_box, candidates)
        return len(windows)

    def reset(self) -> None:
        self.base.reset()
        self._mode = TrackState.IDLE
        self._candidate = None
        if self.memory is not None:
            self.memory.reset()

    def track(self, frame: np.ndarray) -> TrackResult:
        if self._mode == TrackState.IDLE:
            raise NotInitializedError("tracker has no target: call initialize(frame, box) first")
        validate_frame(frame)
        if self._mode in (TrackState.TRACKING, TrackState.UNCERTAIN):
            return self._track_local(frame)
        return self._search(frame)

    # --- tracking -----------------------------------------------------------------------
    def _track_local(self, frame: np.ndarray) -> TrackResult:
        cfg = self.cfg
        saved = self.base.state.copy()
        if self.memory is None:
            result = self.base.track(frame)
            confidence = float(result.score)
            box = tuple(float(v) for v in result.bbox_xywh)
            extras_base, polygon, mask, theta = result.extras, result.polygon, result.mask, result.theta
            runner_ups: Sequence = ()
            trusted = confidence >= cfg.loss_threshold or not cfg.freeze_below_loss
            if not trusted:
                self.base.state = saved
        else:
            proposal = self.base.propose(frame, saved.center_xy)
            chosen, runner_ups = self._rerank([proposal], anchor_first=True, frame=frame)
            confidence = float(chosen.score)
            box = tuple(float(v) for v in chosen.box_xywh)
            extras_base, polygon, mask, theta = {}, None, None, 0.0
            trusted = confidence >= cfg.loss_threshold or not cfg.freeze_below_loss
            if trusted:
                self.base.accept(chosen)

        if confidence >= cfg.loss_threshold:
            self._low_count = 0
            state = TrackState.TRACKING if confidence >= cfg.reacquire_threshold else TrackState.UNCERTAIN
        else:
            self._low_count += 1
            state = TrackState.LOST if self._low_count >= cfg.loss_patience else TrackState.UNCERTAIN
        if trusted:
            self._last_box = box
            self._since_seen = 0
        else:
            self._since_seen += 1
            box, polygon, mask, theta = self._last_box, None, None, 0.0
        if state == TrackState.TRACKING and self.memory is not None:
            self.memory.update(frame, box, runner_ups)
        if state == TrackState.LOST:
            self._start_search(frame)
            box, polygon, mask, theta = self._last_box, None, None, 0.0
        self._mode = state
        return TrackResult(box, confidence, state, polygon, mask, theta,
                           {"proposals": 1, "frames_since_seen": self._since_seen, "base": extras_base})

    # --- re-detection -------------------------------------------------------------------
    def _start_search(self, frame: np.ndarray) -> None:
        height, width = frame.shape[:2]
        state = self.base.state
        self._widening, self._global = plan_search((width, height), state.center_xy, state.size_wh,
                                                   self.geometry, self.cfg)
        self._plan_index = 0
        self._candidate = None
        self._confirmed = 0

    def _next_windows(self) -> List[SearchWindow]:
        windows = []
        for _ in range(self.cfg.windows_per_frame):
            k = self._plan_index
            if k < len(self._widening):
                windows.append(self._widening[k])
            else:
                windows.append(self._global[(k - len(self._widening)) % len(self._global)])
            self._plan_index += 1
        return windows

    def _propose_windows(self, frame: np.ndarray, windows: Sequence[SearchWindow]) -> List[Proposal]:
        """Run the windows, grouped by input size (one ``propose_many`` call per size)."""
        groups: Dict[int, List[SearchWindow]] = {}
        for window in windows:
            groups.setdefault(window.instance_size, []).append(window)
        proposals: List[Proposal] = []
        for size, group in groups.items():
            centers = [w.center_xy for w in group]
            proposals.extend(self.base.propose_many(
                frame, centers, size, window_influence=self.cfg.search_window_influence))
        return proposals

    def _rerank(self, proposals: Sequence[Proposal], anchor_first: bool, frame: np.ndarray
                ) -> Tuple[Proposal, List[Tuple[BoxXYWH, float]]]:
        """Best candidate among the proposals (and, when distractor-aware, their runner-ups;
        re-detection skips distractor-like ones), and the other candidates as (box, score)."""
        if self.memory is None:
            best = max(proposals, key=lambda p: p.score)
            return best, [(p.box_xywh, p.score) for p in proposals if p is not best]
        candidates: List[Tuple[BoxXYWH, float]] = []
        sources: List[Optional[Proposal]] = []
        for proposal in proposals:
            candidates.append((tuple(proposal.box_xywh), float(proposal.score)))
            sources.append(proposal)
            for box, score in proposal.distractors:
                candidates.append((tuple(float(v) for v in box), float(score)))
                sources.append(None)
        ranked = self.memory.rerank(frame, candidates, anchor_first=anchor_first)
        top = ranked[0]
        if not anchor_first:
            kept = [c for c in ranked if not c.distractor_like]
            if not kept:
                return Proposal(self._last_box, 0.0, 0.0), [(c.box_xywh, c.score) for c in ranked]
            top = kept[0]
        others = [(c.box_xywh, c.score) for c in ranked if c is not top]
        index = candidates.index((top.box_xywh, top.score))
        chosen = sources[index] or Proposal(top.box_xywh, top.score, top.adjusted)
        return chosen, others

    def _search(self, frame: np.ndarray) -> TrackResult:
        cfg = self.cfg
        self._since_seen += 1
        if self._candidate is not None:
            center = _box_center(self._candidate.box_xywh)
            proposal = self.base.propose(frame, center)
            chosen, _ = self._rerank([proposal], anchor_first=False, frame=frame)
            proposals, stage = 1, "confirming"
            if chosen.score >= cfg.reacquire_threshold:
                self._confirmed += 1
                self._candidate = chosen
            else:
                self._candidate = None
        else:
            stage = "widening" if self._plan_index < len(self._widening) else "global"
            windows = self._next_windows()
            found = self._propose_windows(frame, windows)
            proposals = len(windows)
            chosen, _ = self._rerank(found, anchor_first=False, frame=frame)
            if chosen.score >= cfg.reacquire_threshold:
                self._candidate, self._confirmed = chosen, 1
        extras = {"proposals": proposals, "frames_since_seen": self._since_seen, "search_stage": stage}
        if self._candidate is not None and self._confirmed >= cfg.confirm_frames:
            self.base.accept(self._candidate)
            box = tuple(float(v) for v in self._candidate.box_xywh)
            score = float(self._candidate.score)
            self._candidate = None
            self._mode = TrackState.TRACKING
            self._low_count = 0
            self._last_box = box
            self._since_seen = 0
            extras["frames_since_seen"] = 0
            return TrackResult(box, score, TrackState.TRACKING, extras=extras)
        self._mode = TrackState.SEARCHING
        return TrackResult(self._last_box, float(chosen.score), TrackState.SEARCHING, extras=extras)


def _box_center(box_xywh: Sequence[float]) -> Tuple[float, float]:
    x, y, w, h = (float(v) for v in box_xywh)
    return (x + w / 2.0, y + h / 2.0)


def long_term_settings(tracker: object) -> Optional[Dict[str, Any]]:
    """The settings (LongTermConfig fields -> values) of ``tracker``'s long-term layer, None
    when it has none."""
    part = layer_of(tracker, LongTermTracker)
    return None if part is None else dataclasses.asdict(part.cfg)
