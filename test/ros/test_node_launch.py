"""launch_testing test of launch/track.launch.py: the launch file starts the node, which
reports ready, tracks a target given by a stamped init box, and exits cleanly at shutdown.

Skips (saying why) where launch_testing is not installed; test_node_e2e.py runs the same
executable with the same params file without it.
"""
import os
import time
import unittest

import pytest

launch_testing = pytest.importorskip(
    "launch_testing",
    reason="launch_testing is not installed (the ROS 2 PyPI wheels used by `make env` do not ship "
           "it; with a full ROS 2 install, `pip`/apt ros-<distro>-launch-testing enables this "
           "test). test_node_e2e.py covers the same executable + params file.")
pytest.importorskip("launch_ros", reason="launch_ros is not installed")

from siam_node_harness import require_ros_interfaces  # noqa: E402

require_ros_interfaces()

import launch  # noqa: E402
import launch_testing.actions  # noqa: E402
import launch_testing.asserts  # noqa: E402
from ament_index_python.packages import get_package_share_directory  # noqa: E402
from launch.launch_description_sources import PythonLaunchDescriptionSource  # noqa: E402

from siam_node_harness import det_box_xywh, detection, iou_xywh, raw_image  # noqa: E402

NAMESPACE = f"/launch_test_{os.getpid()}"
os.environ["ROS_DOMAIN_ID"] = str(1 + (os.getpid() * 31 + 97) % 101)
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"


@pytest.mark.launch_test
def generate_test_description():
    launch_file = os.path.join(get_package_share_directory("siam_tracker"), "launch",
                               "track.launch.py")
    include = launch.actions.IncludeLaunchDescription(
        PythonLaunchDescriptionSource(launch_file),
        launch_arguments={"namespace": NAMESPACE}.items())
    return launch.LaunchDescription([include, launch_testing.actions.ReadyToTest()])


class TestTrackerFromLaunchFile(unittest.TestCase):

    def test_ready_then_tracks(self, proc_output):
        proc_output.assertWaitFor("ready", timeout=120)
        import rclpy
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from vision_msgs.msg import Detection2D
        from sensor_msgs.msg import Image

        from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence

        sequence = generate_sequence(SyntheticSpec(seed=5, num_frames=40))
        context = rclpy.Context()
        rclpy.init(context=context)
        node = rclpy.create_node("launch_probe", namespace=NAMESPACE, context=context)
        reliable = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
        received = []
        node.create_subscription(Detection2D, f"{NAMESPACE}/siam_tracker/detection",
                                 received.append, reliable)
        image_pub = node.create_publisher(Image, "image", reliable)
        init_pub = node.create_publisher(Detection2D, "init_box", reliable)
        try:
            deadline = time.monotonic() + 30
            while image_pub.get_subscription_count() == 0 and time.monotonic() < deadline:
                rclpy.spin_once(node, timeout_sec=0.1)
            stamps = []
            for index in range(len(sequence)):
                stamps.append(time.time_ns())
                image_pub.publish(raw_image(sequence.frames[index], stamps[-1]))
                if index == 5:
                    init_pub.publish(detection(sequence.boxes_xywh[2], stamps[2]))
                end = time.monotonic() + 1 / 30
                while time.monotonic() < end:
                    rclpy.spin_once(node, timeout_sec=0.005)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                rclpy.spin_once(node, timeout_sec=0.05)
            self.assertTrue(received, "no ~/detection from the launched node")
            index_of = {s: i for i, s in enumerate(stamps)}
            ious = [iou_xywh(det_box_xywh(d), sequence.boxes_xywh[
                index_of[d.header.stamp.sec * 1_000_000_000 + d.header.stamp.nanosec]])
                for d in received]
            self.assertGreater(sum(ious) / len(ious), 0.5)
        finally:
            node.destroy_node()
            rclpy.try_shutdown(context=context)


@launch_testing.post_shutdown_test()
class TestCleanShutdown(unittest.TestCase):

    def test_exit_code(self, proc_info):
        # launch stops the node with SIGINT: main() returns 0
        launch_testing.asserts.assertExitCodes(proc_info)
