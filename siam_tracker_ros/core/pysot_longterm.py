"""PySOT's long-term mode (``SiamRPNLTTracker``) as a wrapper over :class:`SiamRPNTracker`.

Per frame, with the lost flag of the previous frame:

* search input ``lost_instance_size`` (831) while lost, else ``instance_size``; same scale
  (the window side grows with the input), cosine-window influence 0.001 while lost;
* the state moves (as in SiamRPN, lr-smoothed) only if ``best_score >= confidence_low``,
  otherwise it stays; the stored state is **not** clipped, only the returned box is (a
  non-finite candidate state, where PySOT would fail on the next frame, is not stored);
* lost flag: set when ``best_score < confidence_low``, cleared when ``best_score >
  confidence_high``, kept in between (hysteresis).

``TrackResult.state``: TRACKING when not lost after the frame, LOST on the frame the flag is
set, SEARCHING on later lost frames. There is no whole-image search here (PySOT has none);
local-to-global re-detection is a separate wrapper.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .siamrpn import ComposedOverSiamRPN, SiamRPNTracker
from .tracker import Proposal
from .types import TrackResult, TrackState

# Cosine-window weight of the lost-mode search (PySOT's SiamRPNLTTracker); the long-term
# wrapper's re-detection windows over PySOT bases use it too (build.factory).
LOST_WINDOW_INFLUENCE = 0.001


class PySOTLongTermTracker(ComposedOverSiamRPN):
    """PySOT-exact long-term tracking over a SiamRPN tracker (see module doc)."""

    def __init__(self, rpn: SiamRPNTracker) -> None:
        super().__init__(rpn)
        self.lost = False

    def initialize(self, frame: np.ndarray, box_xywh: Sequence[float]) -> TrackResult:
        result = self.rpn.initialize(frame, box_xywh)
        self.lost = False
        result.extras["longterm_state_after"] = False
        return result

    def reset(self) -> None:
        self.rpn.reset()
        self.lost = False

    def track(self, frame: np.ndarray) -> TrackResult:
        rpn, cfg = self.rpn, self.rpn.track_cfg
        state = rpn.require_state()
        lost_before = self.lost
        if lost_before:
            outcome = rpn.search(frame, state.center_xy, cfg.lost_instance_size,
                                 LOST_WINDOW_INFLUENCE)
        else:
            outcome = rpn.search(frame, state.center_xy)
        score = outcome.best_score
        stored = state.copy()
        if score >= cfg.confidence_low:
            candidate = rpn.smoothed_state(outcome)
            # PySOT has no guard: a non-finite box (exp overflow) would crash its next frame
            if np.all(np.isfinite(candidate.center_xy)) and np.all(np.isfinite(candidate.size_wh)):
                stored = candidate
        rpn.state = stored
        shown = rpn.clip_state(stored, frame.shape[:2])
        if score < cfg.confidence_low:
            self.lost = True
        elif score > cfg.confidence_high:
            self.lost = False
        if not self.lost:
            track_state = TrackState.TRACKING
        else:
            track_state = TrackState.SEARCHING if lost_before else TrackState.LOST
        result = rpn.make_result(outcome, shown, stored, track_state)
        result.extras["longterm_state_before"] = lost_before
        result.extras["longterm_state_after"] = self.lost
        return result

    def accept(self, proposal: Proposal) -> None:
        """Move to ``proposal`` and leave the lost state."""
        super().accept(proposal)
        self.lost = False
