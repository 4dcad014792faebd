"""vision_msgs must be wire-identical to upstream 4.1.1: Jazzy compares RIHS01 type hashes, so a
from-definition build (ros_env/vision_msgs, dev/CI) with a different field name, type or order
could not talk to a real vision_msgs peer.

Golden hashes: upstream vision_msgs 4.1.1 on Jazzy, computed with rosidl and independently with
rosbags' Typestore.hash_rihs01 (identical). sensor_msgs/Image is the sanity anchor (`ros2 topic
info -v` on Jazzy prints the same value).
"""
import json
import os

import pytest

rclpy = pytest.importorskip("rclpy", reason="ROS 2 (rclpy) not importable: source ROS 2 or run scripts/setup_env.sh")
vision_msgs_msg = pytest.importorskip("vision_msgs.msg", reason="vision_msgs not importable: run scripts/setup_ros.sh")
pytest.importorskip("rclpy.type_hash", reason="this ROS 2 distro has no RIHS01 type hashes (Humble): nothing to compare")

from ament_index_python.packages import get_package_share_directory  # noqa: E402

pytestmark = pytest.mark.ros

GOLDEN_RIHS01 = {
    "Detection2D": "RIHS01_0d12b69df5c593b3455b7346fac8205437a7d4bcb09b9e0e0b2dde787ded38ea",
    "Detection2DArray": "RIHS01_214274120007f4a683866481336b70310268cfa107aebe9d594a6acf75bda968",
    "BoundingBox2D": "RIHS01_008eacbb0cf8f26e83795547bed013eec3675485ef386ec056d80eaaf1c1ce2f",
    "Pose2D": "RIHS01_b0b5d1d7b4c20dd4fcde3ed1d4b289a919290572007d67a97043814db25d3648",
    "Point2D": "RIHS01_eab0e83f44ab4de92ceaf76dd7d0e7638f2bdd1d16ffbe16c7a136c48e407247",
    "ObjectHypothesis": "RIHS01_51da43cec11c01957a64d1e05a24acd18aae7745ec30b74348ad5f6d634f7f90",
    "ObjectHypothesisWithPose": "RIHS01_41c12344c0396c48b81df12467c192d99b2a0eb1463c5c37194e4223251c80bc",
    "BoundingBox2DArray": "RIHS01_2464e82838009386d371b523211c21c91d74d313fcdd6788223c531d621cf691",
    "Classification": "RIHS01_f74db28d0eaef3afb78f48bf2161cd709a1383a0309d3454383b25be11345143",
    "VisionClass": "RIHS01_1e4a11f0fed50b5623cb8ff26ca0e37952a48a9c074d16f804b44e9164c2037a",
    "LabelInfo": "RIHS01_3d37df4015cdf660cc851c51897f2acd957e1ca6205ba0a99aebffb9406b0783",
    "VisionInfo": "RIHS01_95d3116a17484ad91c9a2686e1d54890bbfc3ff6c6a2de137738c4950d45d284",
}
IMAGE_PREFIX, IMAGE_SUFFIX = "RIHS01_d31d41a9", "27d47"


@pytest.mark.parametrize("type_name", sorted(GOLDEN_RIHS01))
def test_installed_type_description_hash_matches_upstream(type_name):
    path = os.path.join(get_package_share_directory("vision_msgs"), "msg", f"{type_name}.json")
    with open(path, encoding="utf-8") as handle:
        hashes = {entry["type_name"]: entry["hash_string"] for entry in json.load(handle)["type_hashes"]}
    assert hashes[f"vision_msgs/msg/{type_name}"] == GOLDEN_RIHS01[type_name]


@pytest.fixture
def ros_node(tmp_path, monkeypatch):
    monkeypatch.setenv("ROS_LOG_DIR", str(tmp_path / "ros_log"))
    monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=143)
    node = rclpy.create_node("vision_msgs_hash_probe", context=context)
    yield node
    node.destroy_node()
    rclpy.shutdown(context=context)


def test_hashes_advertised_on_the_wire_match_upstream(ros_node):
    """The hash DDS discovery carries (what `ros2 topic info -v` shows) for every type."""
    from sensor_msgs.msg import Image
    publishers = {name: ros_node.create_publisher(getattr(vision_msgs_msg, name), f"hash_{name}", 1)
                  for name in GOLDEN_RIHS01}
    ros_node.create_publisher(Image, "hash_image", 1)
    for name, golden in GOLDEN_RIHS01.items():
        infos = ros_node.get_publishers_info_by_topic(f"/hash_{name}")
        assert [str(info.topic_type_hash) for info in infos] == [golden], name
    image_hash = str(ros_node.get_publishers_info_by_topic("/hash_image")[0].topic_type_hash)
    assert image_hash.startswith(IMAGE_PREFIX) and image_hash.endswith(IMAGE_SUFFIX)
    assert len(publishers) == 12
