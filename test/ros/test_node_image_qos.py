"""image_reliability best_available (the default): the node's image subscription is reliable
while every publisher offers reliable, best effort otherwise, and follows the publishers as they
come and go; frames from a reliable and from a best-effort publisher both reach the node.

Every wait is on an acknowledgement (the ROS graph, the node's status), never on wall clock."""
import pytest

from siam_node_harness import require_ros_interfaces

require_ros_interfaces()

import numpy as np  # noqa: E402
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from siam_node_harness import NodeHarness, raw_image, wait_until  # noqa: E402
from siam_tracker_ros.ros.image_qos import (BEST_AVAILABLE, BEST_EFFORT, RELIABLE,  # noqa: E402
                                            resolve_reliability)
from siam_tracker_ros.ros.params import SPECS  # noqa: E402

pytestmark = pytest.mark.ros


def test_best_available_is_the_default():
    spec = SPECS["image_reliability"]
    assert spec.default == BEST_AVAILABLE and spec.read_only
    assert set(spec.choices) == {BEST_AVAILABLE, BEST_EFFORT, RELIABLE}


@pytest.mark.parametrize("offered, expected", [
    ([], BEST_EFFORT),                                  # nobody yet: match whoever comes
    (["reliable"], RELIABLE),
    (["reliable", "reliable"], RELIABLE),
    (["reliable", "best_effort"], BEST_EFFORT),         # a mix: best effort matches both
    (["best_effort"], BEST_EFFORT),
    (["system_default"], BEST_EFFORT),
])
def test_best_available_rule(offered, expected):
    assert resolve_reliability(BEST_AVAILABLE, offered) == expected


def test_fixed_settings_ignore_the_publishers():
    assert resolve_reliability(RELIABLE, ["best_effort"]) == RELIABLE
    assert resolve_reliability(BEST_EFFORT, ["reliable"]) == BEST_EFFORT


def _node_image_subs(h):
    """Reliabilities of the node's image subscriptions as the ROS graph reports them (two while
    a swap is in progress, one otherwise)."""
    return sorted(info.qos_profile.reliability.name
                  for info in h.probe.get_subscriptions_info_by_topic(f"{h.namespace}/image")
                  if info.node_name == "siam_tracker")


def _processed(h):
    last = h.rec.last("status")
    return 0 if last is None else last.frames_processed


def _reaches_node(h, publisher, frame, attempts=20):
    """Publish stamped frames until the node's status acknowledges one more processed frame."""
    import time

    before = _processed(h)
    for _ in range(attempts):
        publisher.publish(raw_image(frame, time.time_ns()))
        if wait_until(lambda: _processed(h) > before, 2.0):
            return True
    return False


@pytest.fixture
def harness(tmp_path):
    h = NodeHarness(tmp_path, {"max_image_age_s": 0.0, "image_reliability": "best_available"})
    yield h
    h.close()


def test_reliable_then_best_effort_publisher_reach_the_node(harness):
    frame = np.random.default_rng(3).integers(0, 256, (120, 160, 3), np.uint8)
    # The harness's image publisher is reliable (image_transport's default QoS).
    assert wait_until(lambda: _node_image_subs(harness) == ["RELIABLE"], 20.0), \
        f"the node did not go reliable for a reliable publisher: {_node_image_subs(harness)}"
    assert harness.node.image_reliability_in_use == RELIABLE
    assert _reaches_node(harness, harness.image_pub, frame)

    # The reliable camera goes away, a best-effort one comes.
    harness.probe.destroy_publisher(harness.image_pub)
    best_effort = harness.probe.create_publisher(
        Image, "image", QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT,
                                   history=HistoryPolicy.KEEP_LAST))
    assert wait_until(lambda: _node_image_subs(harness) == ["BEST_EFFORT"] and
                      best_effort.get_subscription_count() > 0, 20.0), \
        f"the node did not go best effort for a best-effort publisher: {_node_image_subs(harness)}"
    assert harness.node.image_reliability_in_use == BEST_EFFORT
    assert _reaches_node(harness, best_effort, frame)


def test_mixed_publishers_get_best_effort_and_both_reach_the_node(tmp_path):
    """A best-effort publisher beside the reliable one: best effort (reliable would cut the
    best-effort one off), and frames of both arrive."""
    h = NodeHarness(tmp_path, {"max_image_age_s": 0.0, "image_reliability": "best_available"})
    try:
        frame = np.zeros((120, 160, 3), np.uint8)
        best_effort = h.probe.create_publisher(
            Image, "image", QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT,
                                       history=HistoryPolicy.KEEP_LAST))
        assert wait_until(lambda: _node_image_subs(h) == ["BEST_EFFORT"] and
                          best_effort.get_subscription_count() > 0, 20.0), _node_image_subs(h)
        assert _reaches_node(h, best_effort, frame)
        assert _reaches_node(h, h.image_pub, frame)
    finally:
        h.close()
