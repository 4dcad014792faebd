"""One target followed through a live stream: the bookkeeping a node needs around a Tracker.

- ``begin`` initialises on a (possibly earlier) frame; the caller then ``step``\\ s through the
  frames received since (catch-up) and on through new frames;
- a frame's outputs are published at most once (``claim``: receive sequence numbers only grow);
- frames of a different size than the initial frame are refused (the target's coordinates
  would be meaningless) with :class:`InvalidInputError`;
- ``frames_since_seen`` counts processed frames since the target was last TRACKING/UNCERTAIN.

Frames are (H, W, 3) uint8 BGR arrays; boxes ``box_xywh`` float pixels. Not thread-safe: the
node calls it from its single worker.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

from .errors import InvalidInputError
from .tracker import Tracker
from .types import TrackResult, TrackState, validate_frame, validate_init_box


@dataclass(frozen=True)
class Target:
    """The followed target: node-assigned id, class label, and the frame size (H, W) it was
    initialised on."""

    target_id: str
    label: str
    frame_hw: tuple


class StreamSession:
    """Drives ``tracker`` over a stream of frames identified by receive sequence numbers."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.target: Optional[Target] = None
        self.state = TrackState.IDLE
        self.score = 0.0
        self.frames_since_seen = 0
        self.last_claimed_seq = -1

    def claim(self, seq: int) -> bool:
        """True (once) for a frame whose outputs have not been published yet; frames with a lower
        sequence number than one already claimed are refused too (never out of order)."""
        if seq <= self.last_claimed_seq:
            return False
        self.last_claimed_seq = int(seq)
        return True

    def begin(self, frame: np.ndarray, box_xywh: Sequence[float], target_id: str,
              label: str) -> TrackResult:
        """Forget any target and initialise on ``frame`` with ``box_xywh`` (validated)."""
        validate_frame(frame)
        box = validate_init_box(box_xywh, frame.shape)
        self.stop()
        result = self.tracker.initialize(frame, box)
        self.target = Target(str(target_id), str(label), tuple(frame.shape[:2]))
        self._update(result)
        return result

    def step(self, frame: np.ndarray) -> TrackResult:
        """Track the target in the next frame (raises InvalidInputError when there is no target
        or the frame size differs from the initial frame's)."""
        if self.target is None:
            raise InvalidInputError("no target: initialise first")
        validate_frame(frame)
        if tuple(frame.shape[:2]) != self.target.frame_hw:
            (h0, w0), (h1, w1) = self.target.frame_hw, frame.shape[:2]
            raise InvalidInputError(f"frame size changed from {w0}x{h0} to {w1}x{h1} while "
                                    f"tracking; frame skipped (re-initialise for the new size)")
        result = self.tracker.track(frame)
        self._update(result)
        return result

    def stop(self) -> None:
        """Forget the target (state IDLE); the tracker keeps its model."""
        if self.target is not None:
            self.tracker.reset()
        self.target = None
        self.state = TrackState.IDLE
        self.score = 0.0
        self.frames_since_seen = 0

    def _update(self, result: TrackResult) -> None:
        self.state = result.state
        self.score = float(result.score)
        self.frames_since_seen = 0 if result.is_target_visible else self.frames_since_seen + 1


def evenly_spaced(count: int, budget: int) -> List[int]:
    """Indices of at most ``budget`` of ``count`` items, evenly spaced, always including the
    last one (the newest frame); all of them when ``budget >= count``."""
    if count <= 0 or budget <= 0:
        return []
    if budget >= count:
        return list(range(count))
    step = count / budget
    return sorted({count - 1 - int(k * step) for k in range(budget)})
