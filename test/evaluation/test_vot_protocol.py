"""VOT reset protocol, accuracy/robustness and EAO against hand-computed figures."""
import math

import numpy as np
import pytest

from siam_tracker_ros.core.types import TrackResult, TrackState
from siam_tracker_ros.data.sequence import Sequence
from siam_tracker_ros.evaluation.vot_protocol import (
    FRAME_FAILURE, FRAME_INIT, FRAME_SKIPPED, FRAME_TRACKED, SupervisedRun, accuracy_robustness,
    expected_average_overlap, expected_overlap_curve, run_supervised, vot_init_box)


class ReplayTracker:
    """A real (if simple) tracker: it reports pre-recorded boxes, indexed by the frame's value."""

    def __init__(self, boxes):
        self.boxes = boxes
        self.inits = []

    def initialize(self, frame, box_xywh):
        self.inits.append(int(frame[0, 0, 0]))
        return TrackResult(tuple(box_xywh), 1.0, TrackState.TRACKING)

    def track(self, frame):
        return TrackResult(tuple(self.boxes[int(frame[0, 0, 0])]), 1.0, TrackState.TRACKING)

    def reset(self):
        pass


def _sequence(n):
    frames = [np.full((100, 100, 3), t, dtype=np.uint8) for t in range(n)]
    boxes = np.tile([20.0, 20.0, 40.0, 40.0], (n, 1))
    return Sequence("toy", frames, boxes, np.ones(n, bool), np.ones(n))


def test_reset_protocol_codes_and_reinit():
    n = 30
    seq = _sequence(n)
    replay = np.tile([20.0, 20.0, 40.0, 20.0], (n, 1))   # IoU 0.5 everywhere ...
    replay[5] = (70, 70, 10, 10)                          # ... except a miss on frame 5
    tracker = ReplayTracker(replay)
    run = run_supervised(tracker, seq)
    expected = [FRAME_INIT] + [FRAME_TRACKED] * 4 + [FRAME_FAILURE] + [FRAME_SKIPPED] * 4 + [FRAME_INIT] + [FRAME_TRACKED] * 19
    assert run.codes.tolist() == expected
    assert tracker.inits == [0, 10]
    assert run.failures.tolist() == [5]
    np.testing.assert_allclose(run.overlaps[1:5], 0.5)
    assert np.isnan(run.overlaps[[0, 5, 6, 9, 10]]).all()
    ar = accuracy_robustness([run])
    # burn-in: frames 0..9 and 10..19 left out -> accuracy over frames 20..29
    assert ar.accuracy == pytest.approx(0.5) and ar.failures == 1
    assert ar.robustness == pytest.approx(100 / 30) and ar.num_frames == 30
    lines = run.vot_lines()
    assert lines[0] == "1" and lines[5] == "2" and lines[6] == "0" and lines[1] == "20.0000,20.0000,40.0000,20.0000"


def test_expected_overlap_without_failure():
    run = SupervisedRun("a", np.array([FRAME_INIT] + [FRAME_TRACKED] * 5),
                        np.zeros((6, 4)), np.array([np.nan, 1, 0.5, 1, 0.5, 1]))
    curve = expected_overlap_curve([run])
    np.testing.assert_allclose(curve, [1, 1, 0.75, 2.5 / 3, 0.75, 0.8])
    assert expected_average_overlap([run], low=2, high=4) == pytest.approx((1 + 0.75 + 2.5 / 3) / 3)


def test_expected_overlap_with_failure_pads_zeros():
    codes = np.array([FRAME_INIT, FRAME_TRACKED, FRAME_TRACKED, FRAME_FAILURE] + [FRAME_SKIPPED] * 4 + [FRAME_INIT, FRAME_TRACKED])
    overlaps = np.array([np.nan, 1, 1] + [np.nan] * 6 + [1.0])
    run = SupervisedRun("b", codes, np.zeros((10, 4)), overlaps)
    curve = expected_overlap_curve([run])
    # fragment 1: frames 0..8 -> [0,1,1,0,0,0,0,0,0] then zeros; fragment 2: frames 8..9 -> [0,1] then undefined
    assert curve[1] == pytest.approx(1.0)          # both fragments: mean(1), mean(1)
    assert curve[2] == pytest.approx(1.0)          # only fragment 1: mean(1, 1)
    assert curve[3] == pytest.approx(2 / 3)
    assert curve[9] == pytest.approx(2 / 9)
    assert expected_average_overlap([run], low=1, high=3) == pytest.approx((1 + 1 + 1) / 3)


def test_vot_init_box_preserves_area_and_centre():
    rect = np.array([[10, 20], [30, 20], [30, 60], [10, 60]], float)
    assert vot_init_box(rect) == pytest.approx((10.0, 20.0, 21.0, 41.0))
    diamond = np.array([[0, 10], [10, 0], [20, 10], [10, 20]], float)   # area 200, bbox 400
    x, y, w, h = vot_init_box(diamond)
    assert w == pytest.approx(20 / math.sqrt(2) + 1) and h == pytest.approx(w)
    assert x + (w - 1) / 2 == pytest.approx(10) and y + (h - 1) / 2 == pytest.approx(10)


def test_polygon_ground_truth_drives_the_overlap():
    n = 4
    seq = _sequence(n)
    seq.polygons = np.tile(np.array([[20, 20], [60, 20], [60, 60], [20, 60]], float), (n, 1, 1))
    tracker = ReplayTracker(np.tile([40.0, 20.0, 40.0, 40.0], (n, 1)))   # half overlap -> IoU 1/3
    run = run_supervised(tracker, seq)
    np.testing.assert_allclose(run.overlaps[1:], 1 / 3)
    assert tracker.inits == [0]
