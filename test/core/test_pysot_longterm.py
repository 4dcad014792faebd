"""PySOT long-term mode as a wrapper: lost search size and window, frozen state below
CONFIDENCE_LOW, hysteresis, unclipped stored state, TrackState mapping. (The full PySOT
parity of this mode is in test_parity_pysot.py.)"""
import dataclasses

import numpy as np

from siam_tracker_ros.core.config import RuntimeOptions
from siam_tracker_ros.core.pysot_longterm import PySOTLongTermTracker
from siam_tracker_ros.core.siamrpn import SiamRPNTracker
from siam_tracker_ros.core.tracker import SearchableTracker
from siam_tracker_ros.core.types import TrackState

from pysot_parity_data import INIT_BOX, frames, reference_model

LOST_SIZE = 351   # a small lost-mode search input keeps the test fast (alex: 29x29 map)


def make_lt(low, high):
    exp, model = reference_model("siamrpn_alex_dwxcorr")
    cfg = dataclasses.replace(exp.track, confidence_low=low, confidence_high=high,
                              lost_instance_size=LOST_SIZE)
    return PySOTLongTermTracker(SiamRPNTracker(model, cfg, exp.anchor, RuntimeOptions(device="cpu")))


def test_low_score_freezes_state_and_enters_lost_mode():
    video = frames()
    lt = make_lt(low=1.0, high=1.0)            # every score is below CONFIDENCE_LOW
    assert isinstance(lt, SearchableTracker)
    lt.initialize(video[0], INIT_BOX)
    init = lt.state.copy()
    first = lt.track(video[1])
    assert first.state is TrackState.LOST and lt.lost
    assert first.extras["longterm_state_before"] is False and first.extras["instance_size"] == 287
    assert np.array_equal(lt.state.center_xy, init.center_xy)
    assert np.array_equal(lt.state.size_wh, init.size_wh)
    second = lt.track(video[2])
    assert second.state is TrackState.SEARCHING and second.extras["longterm_state_after"]
    assert second.extras["instance_size"] == LOST_SIZE
    # same scale as the normal search: side = round(s_z * LOST_SIZE / 127), s_z unrounded
    assert second.extras["crop"]["side"] == round(float(np.sqrt(138.0 * 126.0)) * (LOST_SIZE / 127))
    assert second.bbox_xywh == first.bbox_xywh       # frozen state -> same box


def test_hysteresis_between_thresholds_moves_state_but_stays_lost():
    video = frames()
    lt = make_lt(low=0.0, high=1.0)            # never lost by score, never recovers either
    lt.initialize(video[0], INIT_BOX)
    assert lt.track(video[1]).state is TrackState.TRACKING
    lt.lost = True                              # as if a low score had happened
    before = lt.state.copy()
    result = lt.track(video[2])
    assert result.extras["instance_size"] == LOST_SIZE
    assert result.state is TrackState.SEARCHING and lt.lost
    assert not np.array_equal(lt.state.center_xy, before.center_xy)


def test_recovery_above_high_threshold():
    video = frames()
    lt = make_lt(low=0.0, high=0.0)
    lt.initialize(video[0], INIT_BOX)
    lt.lost = True
    result = lt.track(video[1])
    assert result.extras["longterm_state_before"] and not result.extras["longterm_state_after"]
    assert result.state is TrackState.TRACKING and not lt.lost
    assert lt.track(video[2]).extras["instance_size"] == 287


def test_stored_state_is_not_clipped():
    video = frames()
    lt = make_lt(low=0.0, high=1.0)
    lt.initialize(video[0], INIT_BOX)
    lt.state.center_xy[:] = (1000.0, -500.0)        # target believed far outside the frame
    result = lt.track(video[1])
    cx, cy = result.extras["center"]
    assert cx > 320 and cy < 0                       # stored state kept as computed
    assert lt.state.center_xy.tolist() == [cx, cy]
    x, y, w, h = result.bbox_xywh
    assert x + w / 2 == 320 and y + h / 2 == 0        # returned box clipped


def test_accept_leaves_lost_mode_and_reset():
    video = frames()
    lt = make_lt(low=1.0, high=1.0)
    lt.initialize(video[0], INIT_BOX)
    lt.track(video[1])
    assert lt.lost
    lt.accept(lt.propose(video[2], (150.0, 100.0)))
    assert not lt.lost
    lt.reset()
    assert lt.state is None and not lt.lost
