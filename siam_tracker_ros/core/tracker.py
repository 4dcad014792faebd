"""The tracker contract every tracker implements, the search primitives re-detection uses,
and the one delegating base of the wrappers.

A tracker owns one target's state; models hold none (template features live here).
Frames are (H, W, 3) uint8 BGR numpy arrays; boxes are ``box_xywh`` float pixels.

* :class:`Tracker`: ``initialize`` / ``track`` / ``reset``.
* :class:`SearchableTracker`: what a wrapper (long-term re-detection, appearance verification)
  needs from the tracker it wraps: the target ``state``, the crop geometry
  (``search_geometry``), ``propose`` / ``propose_many`` (evaluate search windows without moving)
  and ``accept`` (move to a proposal).
* :class:`DelegatingTracker`: the base of every wrapper; it holds the wrapped tracker as
  ``base`` and delegates all of the above to it, so a wrapper overrides only what it changes.
  ``layer(cls)`` finds a layer of the wrapper chain by type.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Protocol, Sequence, Tuple, Type, TypeVar, runtime_checkable

import numpy as np

from .boxes import context_side
from .types import TrackResult


@dataclass
class TargetState:
    """Current target estimate: centre (cx, cy) and size (w, h), float pixels (PySOT's
    ``center_pos`` / ``size``)."""

    center_xy: np.ndarray   # (2,) float64
    size_wh: np.ndarray     # (2,) float64

    def copy(self) -> "TargetState":
        return TargetState(self.center_xy.copy(), self.size_wh.copy())


@dataclass
class Proposal:
    """Best candidate of one search window: box (xywh, frame px), raw score in [0, 1],
    selection score (after penalties / window), and optional runner-up candidates
    (distractors) as (box_xywh, score) pairs."""

    box_xywh: Tuple[float, float, float, float]
    score: float
    selection_score: float
    distractors: Sequence[Tuple[Tuple[float, float, float, float], float]] = ()


@dataclass(frozen=True)
class SearchGeometry:
    """Crop geometry of a searchable tracker: template input ``exemplar_size`` px, normal
    search input ``instance_size`` px, context ``context_amount``."""

    exemplar_size: int = 127
    instance_size: int = 255
    context_amount: float = 0.5

    def context_side(self, size_wh: Sequence[float]) -> float:
        """Template context side ``s_z`` (frame px) of a target of ``size_wh``."""
        return context_side(size_wh, self.context_amount)

    def detectable_span(self, size_wh: Sequence[float], instance_size: int) -> float:
        """Side (frame px) of the square of target centres a window of input ``instance_size``
        can detect: ``s_z * (instance - exemplar) / exemplar``."""
        return self.context_side(size_wh) * (instance_size - self.exemplar_size) / self.exemplar_size


@runtime_checkable
class Tracker(Protocol):
    """Minimal single-target tracker: ``initialize`` then ``track`` on every later frame."""

    def initialize(self, frame: np.ndarray, box_xywh: Sequence[float]) -> TrackResult:
        """Take the target in ``box_xywh`` on ``frame`` as the template."""

    def track(self, frame: np.ndarray) -> TrackResult:
        """Locate the target in the next frame."""

    def reset(self) -> None:
        """Forget the target (state IDLE); the model stays loaded."""


@runtime_checkable
class SearchableTracker(Tracker, Protocol):
    """A tracker that wrappers (re-detection, verification) can drive: it evaluates search
    windows at the current target scale around any centre, without changing its state unless
    told to (``accept``)."""

    state: Optional[TargetState]

    @property
    def search_geometry(self) -> SearchGeometry:
        """The crop geometry (template and normal search input, context)."""

    def propose(self, frame: np.ndarray, center_xy: Sequence[float],
                instance_size: Optional[int] = None,
                window_influence: Optional[float] = None) -> Proposal:
        """Evaluate the search window centred at ``center_xy`` (frame px) whose side covers
        ``instance_size / exemplar_size`` times the template context at the current scale
        (``instance_size`` None = the tracker's normal search size; ``window_influence`` None =
        the tracker's cosine-window weight for that size). No state change."""

    def propose_many(self, frame: np.ndarray, centers_xy: Sequence[Sequence[float]],
                     instance_size: int, window_influence: Optional[float] = None
                     ) -> List[Proposal]:
        """:meth:`propose` for several same-size windows (batched where the tracker can), one
        proposal per centre. No state change."""

    def accept(self, proposal: Proposal) -> None:
        """Move the target state to ``proposal`` (used on re-acquisition)."""


class OneWindowAtATime:
    """``propose_many`` for trackers without a batched search: one ``propose`` per centre."""

    def propose_many(self, frame: np.ndarray, centers_xy: Sequence[Sequence[float]],
                     instance_size: int, window_influence: Optional[float] = None
                     ) -> List[Proposal]:
        return [self.propose(frame, center, instance_size, window_influence=window_influence)
                for center in centers_xy]


L = TypeVar("L")


def layer_of(tracker: object, cls: Type[L]) -> Optional[L]:
    """The outermost layer of ``tracker``'s wrapper chain that is a ``cls`` (``tracker`` itself
    included), or None."""
    if isinstance(tracker, cls):
        return tracker
    if isinstance(tracker, DelegatingTracker):
        return layer_of(tracker.base, cls)
    return None


class DelegatingTracker:
    """Base of the wrappers: a :class:`SearchableTracker` over ``base`` (a SearchableTracker)
    that delegates the target state, the search geometry, ``propose`` / ``propose_many`` /
    ``accept`` and the lifecycle to it; subclasses override what they change."""

    def __init__(self, base: SearchableTracker) -> None:
        self.base = base

    @property
    def state(self) -> Optional[TargetState]:
        """The wrapped tracker's target state (one copy of it, in the innermost tracker)."""
        return self.base.state

    @state.setter
    def state(self, value: Optional[TargetState]) -> None:
        self.base.state = value

    @property
    def search_geometry(self) -> SearchGeometry:
        return self.base.search_geometry

    def initialize(self, frame: np.ndarray, box_xywh: Sequence[float]) -> TrackResult:
        return self.base.initialize(frame, box_xywh)

    def track(self, frame: np.ndarray) -> TrackResult:
        return self.base.track(frame)

    def reset(self) -> None:
        self.base.reset()

    def propose(self, frame: np.ndarray, center_xy: Sequence[float],
                instance_size: Optional[int] = None,
                window_influence: Optional[float] = None) -> Proposal:
        return self.base.propose(frame, center_xy, instance_size,
                                 window_influence=window_influence)

    def propose_many(self, frame: np.ndarray, centers_xy: Sequence[Sequence[float]],
                     instance_size: int, window_influence: Optional[float] = None
                     ) -> List[Proposal]:
        return self.base.propose_many(frame, centers_xy, instance_size,
                                      window_influence=window_influence)

    def accept(self, proposal: Proposal) -> None:
        self.base.accept(proposal)

    def layer(self, cls: Type[L]) -> Optional[L]:
        """The outermost layer of this wrapper chain that is a ``cls`` (see :func:`layer_of`)."""
        return layer_of(self, cls)
