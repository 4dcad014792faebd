"""StreamSession: publish-once claims, size changes refused, frames-since-seen bookkeeping."""
import numpy as np
import pytest

from siam_tracker_ros.core.errors import InvalidInputError
from siam_tracker_ros.core.stream_session import StreamSession
from siam_tracker_ros.core.types import TrackResult, TrackState


class ScriptedTracker:
    """Identity tracker (got10k style) whose per-frame states follow a script."""

    def __init__(self, states):
        self.states = list(states)
        self.box = None
        self.resets = 0

    def initialize(self, frame, box_xywh):
        self.box = tuple(box_xywh)
        return TrackResult(self.box, 1.0, TrackState.TRACKING)

    def track(self, frame):
        state = self.states.pop(0) if self.states else TrackState.TRACKING
        return TrackResult(self.box, 0.9 if state == TrackState.TRACKING else 0.1, state)

    def reset(self):
        self.resets += 1
        self.box = None


def _frame(h=48, w=64):
    return np.zeros((h, w, 3), np.uint8)


def test_claim_is_once_and_in_order():
    session = StreamSession(ScriptedTracker([]))
    assert session.claim(0) and session.claim(3)
    assert not session.claim(3) and not session.claim(1)
    assert session.claim(4)


def test_frames_since_seen_counts_lost_frames():
    L, S, T = TrackState.LOST, TrackState.SEARCHING, TrackState.TRACKING
    session = StreamSession(ScriptedTracker([T, L, S, S, T]))
    session.begin(_frame(), (10, 10, 8, 8), "7", "person")
    seen = []
    for _ in range(5):
        session.step(_frame())
        seen.append((session.state, session.frames_since_seen))
    assert seen == [(T, 0), (L, 1), (S, 2), (S, 3), (T, 0)]
    assert session.target.target_id == "7" and session.target.label == "person"


def test_size_change_refused_and_stop_resets():
    tracker = ScriptedTracker([])
    session = StreamSession(tracker)
    with pytest.raises(InvalidInputError, match="no target"):
        session.step(_frame())
    session.begin(_frame(), (1, 1, 5, 5), "1", "t")
    with pytest.raises(InvalidInputError, match="64x48 to 32x48"):
        session.step(_frame(48, 32))
    session.step(_frame())          # same size still fine
    session.stop()
    assert session.target is None and session.state == TrackState.IDLE and tracker.resets == 1


@pytest.mark.parametrize("box", [(np.nan, 1, 5, 5), (100, 100, 5, 5), (1, 1, 0, 5)])
def test_bad_init_box_refused_and_keeps_previous_target(box):
    session = StreamSession(ScriptedTracker([]))
    session.begin(_frame(), (1, 1, 5, 5), "1", "t")
    with pytest.raises(InvalidInputError):
        session.begin(_frame(), box, "2", "t")
    assert session.target.target_id == "1"


def test_evenly_spaced_keeps_the_newest():
    from siam_tracker_ros.core.stream_session import evenly_spaced

    assert evenly_spaced(5, 10) == [0, 1, 2, 3, 4]
    assert evenly_spaced(10, 1) == [9]
    picked = evenly_spaced(10, 4)
    assert len(picked) == 4 and picked[-1] == 9 and picked == sorted(set(picked))
    assert evenly_spaced(0, 3) == [] and evenly_spaced(3, 0) == []
