"""TrackResult / boxes <-> vision_msgs Detection2D(Array) and TrackerStatus states."""
import math

import numpy as np
import pytest

pytest.importorskip("rclpy", reason="ROS 2 (rclpy) not importable: source ROS 2 or run scripts/setup_env.sh")
pytest.importorskip("vision_msgs.msg", reason="vision_msgs not importable: run scripts/setup_ros.sh")
pytest.importorskip("siam_tracker.msg", reason="siam_tracker interfaces not built: run scripts/setup_ros.sh")

from siam_tracker.msg import TrackerStatus  # noqa: E402
from std_msgs.msg import Header  # noqa: E402
from vision_msgs.msg import Detection2D  # noqa: E402

from siam_tracker_ros.core.errors import InvalidInputError  # noqa: E402
from siam_tracker_ros.core.types import TrackResult, TrackState  # noqa: E402
from siam_tracker_ros.ros.detection_conversion import (  # noqa: E402
    STATUS_STATE_NAMES, bbox_to_box_xywh, best_detection, box_xywh_to_bbox, box_xywh_to_detection,
    detection_score, detection_to_box_xywh, polygon_to_bbox, result_to_detection,
    result_to_detection_array, status_to_track_state, track_state_to_status)

pytestmark = pytest.mark.ros


def _header():
    header = Header(frame_id="camera_optical")
    header.stamp.sec, header.stamp.nanosec = 1700000000, 123456789
    return header


def test_box_to_bbox_uses_centre_and_full_size():
    bbox = box_xywh_to_bbox((10.0, 20.0, 30.0, 40.0))
    assert (bbox.center.position.x, bbox.center.position.y, bbox.center.theta) == (25.0, 40.0, 0.0)
    assert (bbox.size_x, bbox.size_y) == (30.0, 40.0)
    assert bbox_to_box_xywh(bbox) == (10.0, 20.0, 30.0, 40.0)


def test_init_box_conversion_passes_zero_size_through_and_ignores_theta():
    det = box_xywh_to_detection((5.5, 6.25, 0.0, 0.0))
    assert detection_to_box_xywh(det) == (5.5, 6.25, 0.0, 0.0)
    det.bbox.center.theta = 0.7
    assert detection_to_box_xywh(det) == (5.5, 6.25, 0.0, 0.0)


def test_result_to_detection_copies_header_id_label_score():
    result = TrackResult(bbox_xywh=(100.0, 50.0, 20.0, 10.0), score=0.83, state=TrackState.TRACKING)
    det = result_to_detection(result, _header(), target_id="t3", label="person")
    assert det.header.frame_id == "camera_optical"
    assert (det.header.stamp.sec, det.header.stamp.nanosec) == (1700000000, 123456789)
    assert det.id == "t3"
    assert len(det.results) == 1
    assert det.results[0].hypothesis.class_id == "person"
    assert det.results[0].hypothesis.score == pytest.approx(0.83)
    assert (det.bbox.center.position.x, det.bbox.center.position.y) == (110.0, 55.0)
    assert (det.bbox.size_x, det.bbox.size_y, det.bbox.center.theta) == (20.0, 10.0, 0.0)
    assert detection_to_box_xywh(det) == (100.0, 50.0, 20.0, 10.0)


def _rotated_corners(center, size, theta):
    """Corners of a size_x x size_y box turned CCW on screen (y down) by theta around center."""
    u = np.array([math.cos(theta), -math.sin(theta)])
    v = np.array([math.sin(theta), math.cos(theta)])
    half_w, half_h = size[0] / 2, size[1] / 2
    return np.array([center + sx * half_w * u + sy * half_h * v
                     for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))], np.float32)


@pytest.mark.parametrize("theta", [0.3, -1.1, 2.5])
def test_rotated_result_gives_the_rotated_box(theta):
    center, size = np.array([100.0, 50.0]), (40.0, 20.0)
    corners = _rotated_corners(center, size, theta)
    result = TrackResult(bbox_xywh=(0.0, 0.0, 1.0, 1.0), score=0.5, state=TrackState.TRACKING,
                         polygon=corners[[2, 0, 3, 1]], theta=theta)
    bbox = result_to_detection(result, _header()).bbox
    assert bbox.center.position.x == pytest.approx(100.0, abs=1e-3)
    assert bbox.center.position.y == pytest.approx(50.0, abs=1e-3)
    assert (bbox.size_x, bbox.size_y) == (pytest.approx(40.0, abs=1e-3), pytest.approx(20.0, abs=1e-3))
    assert bbox.center.theta == pytest.approx(theta)


def test_small_ccw_rotation_lifts_the_right_edge():
    # CCW on screen with y down: the box's right-hand end moves up (smaller y).
    corners = _rotated_corners(np.array([0.0, 0.0]), (10.0, 2.0), 0.1)
    assert corners[1, 1] < corners[0, 1]
    bbox = polygon_to_bbox(corners, 0.1)
    assert (bbox.size_x, bbox.size_y) == (pytest.approx(10.0), pytest.approx(2.0))


def test_detection_array_has_one_entry_only_while_the_target_is_visible():
    header = _header()
    for state, count in ((TrackState.TRACKING, 1), (TrackState.UNCERTAIN, 1), (TrackState.LOST, 0),
                         (TrackState.SEARCHING, 0), (TrackState.IDLE, 0)):
        result = TrackResult(bbox_xywh=(1.0, 2.0, 3.0, 4.0), score=0.4, state=state)
        array_msg = result_to_detection_array(result, header, "t1", "car")
        assert len(array_msg.detections) == count, state
        assert array_msg.header.frame_id == "camera_optical"
        if count:
            assert array_msg.detections[0].header.stamp.nanosec == 123456789
            assert array_msg.detections[0].id == "t1"
    assert result_to_detection_array(None, header).detections == []


def test_scores_and_best_detection():
    assert detection_score(Detection2D()) == 0.0
    low = box_xywh_to_detection((0, 0, 1, 1), score=0.2, target_id="low")
    high = box_xywh_to_detection((0, 0, 1, 1), score=0.9, target_id="high")
    multi = box_xywh_to_detection((0, 0, 1, 1), score=0.1, target_id="multi")
    multi.results.append(box_xywh_to_detection((0, 0, 1, 1), score=0.95).results[0])
    assert detection_score(multi) == pytest.approx(0.95)
    assert best_detection([low, high]).id == "high"
    assert best_detection([low, high, multi]).id == "multi"
    assert best_detection([]) is None
    assert best_detection([Detection2D(id="a"), Detection2D(id="b")]).id == "a"


def test_tracker_status_constants_match_track_state():
    constants = {name[len("STATE_"):]: getattr(TrackerStatus, name)
                 for name in dir(TrackerStatus) if name.startswith("STATE_")}
    assert constants == {state.name: state.value for state in TrackState}
    for state in TrackState:
        assert status_to_track_state(track_state_to_status(state)) is state
        assert STATUS_STATE_NAMES[track_state_to_status(state)] == state.name
    with pytest.raises(InvalidInputError):
        status_to_track_state(99)
