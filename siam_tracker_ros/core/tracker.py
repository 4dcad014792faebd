"""The tracker contract every tracker implements, and the search primitive re-detection uses.

A tracker owns one target's state; models hold none (template features live here).
Frames are (H, W, 3) uint8 BGR numpy arrays; boxes are ``box_xywh`` float pixels.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol, Sequence, Tuple, runtime_checkable

import numpy as np

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
    """A tracker that re-detection can drive: it evaluates one search window at the current
    target scale around any centre, without changing its state unless told to."""

    state: Optional[TargetState]

    def propose(self, frame: np.ndarray, center_xy: Sequence[float],
                instance_size: Optional[int] = None) -> Proposal:
        """Evaluate the search window centred at ``center_xy`` (frame px) whose side covers
        ``instance_size / exemplar_size`` times the template context at the current scale
        (``instance_size`` None = the tracker's normal search size). No state change."""

    def accept(self, proposal: Proposal) -> None:
        """Move the target state to ``proposal`` (used on re-acquisition)."""
