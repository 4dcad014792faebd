"""bag_types: the built-in definitions equal the repo's .msg files and upstream's hashes, the
default-constructible rosbags classes behave like rclpy's, and CDR written either way reads back
the same either way (rclpy parts skip without ROS 2)."""
import pytest

pytest.importorskip("rosbags", reason="rosbags not installed: pip install -e .[bags]")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from siam_tracker_ros.ros.bag import types as B  # noqa: E402
from siam_tracker_ros.ros.bag.msg_definitions import SIAM_TRACKER_MSGS, VISION_MSGS, definition_lines  # noqa: E402

REPO = Path(__file__).resolve().parents[2]

# Upstream vision_msgs 4.1.1 on Jazzy (same values as test_vision_msgs_hashes.py).
GOLDEN_RIHS01 = {
    "vision_msgs/msg/Detection2D": "RIHS01_0d12b69df5c593b3455b7346fac8205437a7d4bcb09b9e0e0b2dde787ded38ea",
    "vision_msgs/msg/Detection2DArray": "RIHS01_214274120007f4a683866481336b70310268cfa107aebe9d594a6acf75bda968",
    "vision_msgs/msg/BoundingBox2D": "RIHS01_008eacbb0cf8f26e83795547bed013eec3675485ef386ec056d80eaaf1c1ce2f",
    "vision_msgs/msg/ObjectHypothesisWithPose": "RIHS01_41c12344c0396c48b81df12467c192d99b2a0eb1463c5c37194e4223251c80bc",
    "vision_msgs/msg/LabelInfo": "RIHS01_3d37df4015cdf660cc851c51897f2acd957e1ca6205ba0a99aebffb9406b0783",
}


@pytest.mark.parametrize("typename", sorted(VISION_MSGS) + sorted(SIAM_TRACKER_MSGS))
def test_built_in_definitions_equal_the_repository_msg_files(typename):
    package, _, name = typename.split("/")
    source = (REPO / "ros_env" / "vision_msgs" / "msg" / f"{name}.msg" if package == "vision_msgs"
              else REPO / "msg" / f"{name}.msg")
    if not source.is_file():
        pytest.skip(f"{source} not in this checkout")
    text = {**VISION_MSGS, **SIAM_TRACKER_MSGS}[typename]
    assert definition_lines(text) == definition_lines(source.read_text())


@pytest.mark.parametrize("distro", ["jazzy", "humble"])
def test_vision_msgs_hashes_equal_upstream(distro):
    typestore = B.typestore_for(distro)
    for typename, golden in GOLDEN_RIHS01.items():
        assert typestore.hash_rihs01(typename) == golden


def test_message_classes_are_default_constructible_like_rclpy():
    det = B.Detection2D()
    assert det.id == "" and det.results == [] and det.bbox.size_x == 0.0
    det.bbox.center.position.x = 12.5
    hyp = B.ObjectHypothesisWithPose()
    assert hyp.pose.pose.orientation.w == 1.0          # the definition's default, as in rclpy
    det.results = [hyp]
    status = B.TrackerStatus(state=B.TrackerStatus.STATE_LOST, target_id="7")
    assert status.state == 3 and status.enabled is False and status.header.frame_id == ""
    image = B.Image()
    assert isinstance(image.data, np.ndarray) and image.data.dtype == np.uint8 and image.data.size == 0
    with pytest.raises(TypeError, match="no field"):
        B.Header(stamp_ns=3)
    back = B.deserialize(B.serialize(det, B.DETECTION_2D), B.DETECTION_2D)
    assert back.bbox.center.position.x == 12.5 and back.results[0].pose.pose.orientation.w == 1.0


def test_shift_stamps_moves_every_nonzero_stamp():
    array_msg = B.Detection2DArray(header=B.Header(stamp=B.Time(sec=5, nanosec=900_000_000)))
    array_msg.detections = [B.Detection2D(header=B.Header(stamp=B.Time(sec=5, nanosec=0))), B.Detection2D()]
    B.shift_stamps(array_msg, B.DETECTION_2D_ARRAY, 250_000_000)
    assert (array_msg.header.stamp.sec, array_msg.header.stamp.nanosec) == (6, 150_000_000)
    assert (array_msg.detections[0].header.stamp.sec, array_msg.detections[0].header.stamp.nanosec) == (5, 250_000_000)
    assert (array_msg.detections[1].header.stamp.sec, array_msg.detections[1].header.stamp.nanosec) == (0, 0)


def test_cdr_interoperates_with_rclpy():
    pytest.importorskip("rclpy", reason="ROS 2 (rclpy) not importable")
    pytest.importorskip("vision_msgs.msg", reason="vision_msgs not importable: run scripts/setup_ros.sh")
    pytest.importorskip("siam_tracker.msg", reason="siam_tracker interfaces not built: run scripts/setup_ros.sh")
    from rclpy.serialization import deserialize_message, serialize_message
    from sensor_msgs.msg import Image
    from siam_tracker.msg import TrackerStatus
    from vision_msgs.msg import Detection2DArray, Detection2D, ObjectHypothesisWithPose

    det = Detection2D(id="3")
    det.header.stamp.sec, det.header.frame_id = 17, "camera"
    det.bbox.center.position.x, det.bbox.size_y, det.bbox.center.theta = 10.25, 4.5, 0.3
    hyp = ObjectHypothesisWithPose()
    hyp.hypothesis.class_id, hyp.hypothesis.score = "target", 0.625
    det.results = [hyp]
    array_msg = Detection2DArray(header=det.header, detections=[det])
    # rclpy -> rosbags (from rclpy's CDR, and from the rclpy object directly)
    ours = B.deserialize(bytes(serialize_message(array_msg)), B.DETECTION_2D_ARRAY)
    converted = B.to_bag_message(array_msg, B.DETECTION_2D_ARRAY)
    for msg in (ours, converted):
        d = msg.detections[0]
        assert (d.id, d.bbox.center.position.x, d.bbox.size_y, d.bbox.center.theta) == ("3", 10.25, 4.5, 0.3)
        assert (d.results[0].hypothesis.class_id, d.results[0].hypothesis.score) == ("target", 0.625)
        assert d.results[0].pose.pose.orientation.w == 1.0 and msg.header.stamp.sec == 17
    # rosbags -> rclpy
    assert deserialize_message(B.serialize(array_msg, B.DETECTION_2D_ARRAY), Detection2DArray) == array_msg
    status = TrackerStatus(state=2, confidence=0.5, target_id="x", frames_dropped=9, mask_from_box=True,
                           last_error="e")
    assert deserialize_message(B.serialize(status, B.TRACKER_STATUS), TrackerStatus) == status
    image = Image(height=2, width=3, encoding="bgr8", step=9, data=list(range(18)))
    assert deserialize_message(B.serialize(image, B.IMAGE), Image) == image
