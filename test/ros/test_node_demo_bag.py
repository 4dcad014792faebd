"""The demo's bag path: rclpy-serialised node outputs written to a rosbag2 mcap with rosbags
(types registered from .msg text) read back field for field, with rclpy's type hashes."""
import pytest

from siam_node_harness import require_ros_interfaces

require_ros_interfaces()

from rclpy.serialization import serialize_message  # noqa: E402
from rosbags.rosbag2 import Reader, StoragePlugin, Writer  # noqa: E402
from siam_tracker.msg import TrackerStatus  # noqa: E402

from siam_node_harness import detection  # noqa: E402
from siam_tracker_ros.ros.demo import bag_typestore  # noqa: E402

pytestmark = pytest.mark.ros


def test_outputs_round_trip_through_mcap(tmp_path):
    typestore = bag_typestore()
    det = detection((10.5, 20.25, 30.0, 40.0), 1_700_000_000_123_456_789, "7", 0.875, "person")
    status = TrackerStatus(state=TrackerStatus.STATE_SEARCHING, confidence=0.25, target_id="7",
                           frames_since_seen=12, latency_ms=3.5, frames_processed=100,
                           frames_dropped=4, enabled=True, mask_from_box=True,
                           last_error="bad image skipped: x")
    bag = tmp_path / "bag"
    writer = Writer(bag, version=9, storage_plugin=StoragePlugin.MCAP)
    writer.open()
    c_det = writer.add_connection("/ns/siam_tracker/detection", "vision_msgs/msg/Detection2D",
                                  typestore=typestore)
    c_status = writer.add_connection("/ns/siam_tracker/status", "siam_tracker/msg/TrackerStatus",
                                     typestore=typestore)
    writer.write(c_det, 1, serialize_message(det))
    writer.write(c_status, 2, serialize_message(status))
    writer.close()

    with Reader(bag) as reader:
        assert {c.msgtype for c in reader.connections} == {"vision_msgs/msg/Detection2D",
                                                           "siam_tracker/msg/TrackerStatus"}
        decoded = {c.msgtype: typestore.deserialize_cdr(raw, c.msgtype)
                   for c, _, raw in reader.messages()}
    got = decoded["vision_msgs/msg/Detection2D"]
    assert (got.header.stamp.sec, got.header.stamp.nanosec) == (1_700_000_000, 123_456_789)
    assert got.bbox.center.position.x == pytest.approx(25.5)
    assert got.bbox.size_y == 40.0 and got.id == "7"
    assert got.results[0].hypothesis.class_id == "person"
    assert got.results[0].hypothesis.score == 0.875
    st = decoded["siam_tracker/msg/TrackerStatus"]
    assert (st.state, st.target_id, st.frames_since_seen, st.frames_dropped, st.last_error) == \
        (4, "7", 12, 4, "bad image skipped: x")
    assert st.mask_from_box and st.enabled


def test_registered_types_hash_like_rosidl():
    """rosbags' RIHS01 hash of the types registered from .msg text equals the one rosidl
    generated for the installed interfaces (the hash a Jazzy bag player matches on)."""
    import json
    import os

    from ament_index_python.packages import get_package_share_directory

    typestore = bag_typestore()
    for package, name in (("vision_msgs", "Detection2D"), ("vision_msgs", "Detection2DArray"),
                          ("siam_tracker", "TrackerStatus")):
        try:
            path = os.path.join(get_package_share_directory(package), "msg", f"{name}.json")
        except Exception as exc:  # PackageNotFoundError: not on AMENT_PREFIX_PATH
            pytest.skip(f"{package} not on AMENT_PREFIX_PATH ({exc}); source the env")
        with open(path, encoding="utf-8") as handle:
            expected = json.load(handle)["type_hashes"][0]["hash_string"]
        assert typestore.hash_rihs01(f"{package}/msg/{name}") == expected, name
