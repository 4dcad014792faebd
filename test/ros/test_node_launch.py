"""launch_testing test of launch/track.launch.py (launch_testing's pytest plugin).

Two launches of this tree's launch file: with its defaults, and with every argument set
(namespace, image_topic, init_topic, params_file, use_sim_time:=true with a /clock, and
image_transport:=compressed over a params file that says raw). For each: the node prints its
`ready` line, a probe node (own rclpy context and executor) feeds frames one at a time (each
acknowledged by the node's ~/status for that stamp), initialises the target with a stamped init
box, and checks the detections (box, label from the params file) and the status; after the
launch shut down, the node's exit code is 0 and its output holds no traceback.

Deterministic on a loaded machine: every wait is on a condition (matched endpoints, the status
of a stamp, the acknowledgement of the init), with generous limits. Each launch gets its own
ROS_DOMAIN_ID (102..229, apart from the 1..101 of siam_node_harness), localhost discovery and a
temporary ROS_LOG_DIR. Skips (saying why) where launch_testing is not installed
(scripts/setup_launch_stack.sh installs it); test_node_e2e.py covers the executable without it.
"""
import dataclasses
import os
import re
import tempfile
import time
import unittest
from typing import Callable, Dict, List, Optional

import pytest

launch_testing = pytest.importorskip(
    "launch_testing",
    reason="launch_testing is not installed (ROS 2 Jazzy's launch stack is not on PyPI: "
           "scripts/setup_launch_stack.sh installs it from prebuilt wheels ($SIAM_LAUNCH_WHEELS), a sourced "
           "ROS 2 brings it). test_node_e2e.py covers the same executable + params file.")
pytest.importorskip("launch_ros", reason="launch_ros is not installed")

from siam_node_harness import require_ros_interfaces  # noqa: E402

require_ros_interfaces()

import launch  # noqa: E402
import launch_testing.actions  # noqa: E402
import launch_testing.asserts  # noqa: E402
from launch.launch_description_sources import PythonLaunchDescriptionSource  # noqa: E402

from siam_node_harness import det_box_xywh, detection, iou_xywh, raw_image, stamp_of  # noqa: E402
from siam_tracker_ros.ros.stamps import stamp_to_ns  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAUNCH_FILE = os.path.join(REPO_ROOT, "launch", "track.launch.py")
READY_TIMEOUT_S = 120.0      # model load on a very busy machine
FRAME_ACK_TIMEOUT_S = 10.0   # one frame through the node
FRAME_ATTEMPTS = 3           # a frame is re-sent (new stamp) when the node never acknowledged it
SIGTERM_TIMEOUT_S = 60
INIT_FRAME, TRACKED_FRAMES = 2, 10
SIM_BASE_NS = 1_000 * 1_000_000_000
SIM_PERIOD_NS = 100_000_000
CUSTOM_LABEL = "launch_test_label"


@dataclasses.dataclass(frozen=True)
class Case:
    """One launch: its arguments and what the probe talks to."""
    name: str
    domain_id: int
    arguments: Dict[str, str]
    node_fqn: str
    image_topic: str
    init_topic: str
    compressed: bool
    sim_time: bool
    label: str


def _make_case(name: str) -> Case:
    domain_id = 102 + (os.getpid() * 2 + (name == "all_arguments")) % 128
    if name == "defaults":
        return Case(name, domain_id, {}, "/siam_tracker", "/image", "/init_box", False, False,
                    "target")
    folder = tempfile.mkdtemp(prefix="siam_launch_test_")
    params_file = os.path.join(folder, "params.yaml")
    with open(params_file, "w", encoding="utf-8") as handle:
        # image_transport raw here; the launch argument (compressed) must win.
        handle.write("/**:\n  ros__parameters:\n"
                     f"    target_label: {CUSTOM_LABEL}\n"
                     "    image_transport: raw\n"
                     "    image_reliability: reliable\n"
                     "    diagnostics_period_s: 0.2\n"
                     "    frame_buffer_s: 30.0\n")
    namespace = f"lt{os.getpid()}"
    arguments = {"namespace": namespace, "image_topic": "/cam/front/image_raw",
                 "init_topic": "/cam/front/init", "params_file": params_file,
                 "use_sim_time": "true", "image_transport": "compressed"}
    return Case(name, domain_id, arguments, f"/{namespace}/siam_tracker",
                "/cam/front/image_raw/compressed", "/cam/front/init", True, True, CUSTOM_LABEL)


@pytest.mark.launch_test
@launch_testing.parametrize("case_name", ["defaults", "all_arguments"])
def generate_test_description(case_name):
    case = _make_case(case_name)
    # The launched node and this process's probe share the domain; launch passes os.environ on.
    os.environ.update(ROS_DOMAIN_ID=str(case.domain_id), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
                      ROS_LOG_DIR=tempfile.mkdtemp(prefix="siam_launch_log_"))
    os.environ.pop("ROS_LOCALHOST_ONLY", None)
    include = launch.actions.IncludeLaunchDescription(
        PythonLaunchDescriptionSource(LAUNCH_FILE), launch_arguments=case.arguments.items())
    # launch escalates to SIGTERM when a process is not gone 5 s after SIGINT; on a saturated
    # machine a clean shutdown can take longer, and the exit code is what this test checks.
    grace = launch.actions.SetLaunchConfiguration("sigterm_timeout", str(SIGTERM_TIMEOUT_S))
    return (launch.LaunchDescription([grace, include, launch_testing.actions.ReadyToTest()]),
            {"case": case})


class Probe:
    """Publishes frames / init boxes (and /clock with sim time), records the node's outputs; one
    rclpy context + SingleThreadedExecutor of its own, spun only by the waits."""

    def __init__(self, case: Case) -> None:
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from rosgraph_msgs.msg import Clock
        from sensor_msgs.msg import CompressedImage, Image
        from vision_msgs.msg import Detection2D

        from siam_tracker.msg import TrackerStatus

        self.case = case
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=case.domain_id)
        self.node = rclpy.create_node("launch_probe", context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        reliable = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        self.status: List = []
        self.detections: List = []
        self.diagnostics: List = []
        self.subs = [
            self.node.create_subscription(TrackerStatus, f"{case.node_fqn}/status",
                                          self.status.append, reliable),
            self.node.create_subscription(Detection2D, f"{case.node_fqn}/detection",
                                          self.detections.append, reliable),
        ]
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self.diagnostics.append,
                                      reliable)
        self.image_pub = self.node.create_publisher(
            CompressedImage if case.compressed else Image, case.image_topic,
            QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
        self.init_pub = self.node.create_publisher(Detection2D, case.init_topic,
                                                   QoSProfile(depth=10,
                                                              reliability=ReliabilityPolicy.RELIABLE))
        self.clock_pub = self.node.create_publisher(Clock, "/clock", 10) if case.sim_time else None
        self._clock_cls, self._compressed_cls = Clock, CompressedImage

    def wait(self, predicate: Callable[[], object], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                return False
            self.executor.spin_once(timeout_sec=0.05)
        return True

    def connected(self) -> bool:
        return (self.image_pub.get_subscription_count() > 0
                and self.init_pub.get_subscription_count() > 0
                and all(s.get_publisher_count() > 0 for s in self.subs))

    def publish_frame(self, frame, stamp_ns: int) -> None:
        if self.clock_pub is not None:
            self.clock_pub.publish(self._clock_cls(clock=stamp_of(stamp_ns)))
        if self.case.compressed:
            import cv2
            msg = self._compressed_cls(format="jpeg")
            msg.header.stamp, msg.header.frame_id = stamp_of(stamp_ns), "camera"
            msg.data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
        else:
            msg = raw_image(frame, stamp_ns)
        self.image_pub.publish(msg)

    def status_of(self, stamp_ns: int) -> Optional[object]:
        for status in self.status:
            if stamp_to_ns(status.header.stamp) == stamp_ns:
                return status
        return None

    def close(self) -> None:
        import rclpy
        self.executor.shutdown(timeout_sec=5.0)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)


class TestTrackerFromLaunchFile(unittest.TestCase):

    def test_ready_tracks_and_reports(self, proc_output, case):
        ready = (re.compile(r"ready: model .* input image/compressed \(reliable[:)]")
                 if case.compressed else "ready: model")
        proc_output.assertWaitFor(ready, timeout=READY_TIMEOUT_S)

        from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence

        sequence = generate_sequence(SyntheticSpec(seed=5, num_frames=INIT_FRAME + 1 + TRACKED_FRAMES))
        probe = Probe(case)
        try:
            self.assertTrue(probe.wait(probe.connected, 60.0),
                            f"the probe did not match the node's endpoints ({case.name})")
            index_of: Dict[int, int] = {}    # stamp -> frame index
            acknowledged: Dict[int, object] = {}
            for index in range(len(sequence)):
                # A frame can be lost (best-effort image QoS) or dropped as stale (older than
                # max_image_age_s when the machine is saturated): then it goes again, re-stamped.
                for _ in range(FRAME_ATTEMPTS):
                    stamp_ns = (SIM_BASE_NS + len(index_of) * SIM_PERIOD_NS) if case.sim_time \
                        else time.time_ns()
                    index_of[stamp_ns] = index
                    probe.publish_frame(sequence.frames[index], stamp_ns)
                    if probe.wait(lambda: probe.status_of(stamp_ns), FRAME_ACK_TIMEOUT_S):
                        acknowledged[index] = probe.status_of(stamp_ns)
                        break
                if index == INIT_FRAME:
                    self.assertIn(index, acknowledged, "the node did not process the init frame")
                    probe.init_pub.publish(detection(sequence.boxes_xywh[index], stamp_ns))
                    self.assertTrue(probe.wait(lambda: any(s.target_id for s in probe.status), 30.0),
                                    "no status acknowledged the init box")
            # detections of the frames after the init frame, matched by stamp
            probe.wait(lambda: len(probe.detections) >= TRACKED_FRAMES, 5.0)
            tracked = [(index_of[stamp_to_ns(d.header.stamp)], d)
                       for d in probe.detections]
            tracked = [(i, d) for i, d in tracked if i > INIT_FRAME]
            self.assertGreaterEqual(len(tracked), TRACKED_FRAMES // 2,
                                    f"only {len(tracked)} detections after the init "
                                    f"({len(acknowledged)}/{len(sequence)} frames acknowledged)")
            ious = [iou_xywh(det_box_xywh(d), sequence.boxes_xywh[i]) for i, d in tracked]
            self.assertGreater(sum(ious) / len(ious), 0.5, f"IoUs {ious}")
            self.assertEqual({d.results[0].hypothesis.class_id for _, d in tracked}, {case.label})
            last = probe.status[-1]
            self.assertEqual(last.state, 1, "the last status is not TRACKING")  # TRACKING
            self.assertTrue(last.enabled and last.target_id)
            # every acknowledged frame was processed or counted as dropped (a stale frame's drop
            # is acknowledged by a status too)
            self.assertGreaterEqual(last.frames_processed + last.frames_dropped, len(acknowledged))
            if case.sim_time:
                # the node's clock is /clock: its diagnostics are stamped in sim time
                end_ns = max(index_of)
                for tick in range(1, 50):
                    probe.clock_pub.publish(probe._clock_cls(clock=stamp_of(end_ns + tick * SIM_PERIOD_NS)))
                    if probe.wait(lambda: probe.diagnostics, 0.1):
                        break
                self.assertTrue(probe.diagnostics, "no /diagnostics from the node")
                stamp = probe.diagnostics[-1].header.stamp
                self.assertLess(abs(stamp.sec - SIM_BASE_NS // 1_000_000_000), 60,
                                f"/diagnostics stamped {stamp.sec} s: not the sim clock")
        finally:
            probe.close()


@launch_testing.post_shutdown_test()
class TestCleanShutdown(unittest.TestCase):

    def test_node_exits_cleanly(self, proc_info, proc_output, case):
        # launch stops the node with SIGINT: main() returns 0
        names = list(proc_info.process_names())
        self.assertEqual(len(names), 1, names)
        self.assertTrue(names[0].startswith("siam_tracker_node"), names)
        launch_testing.asserts.assertExitCodes(proc_info)
        text = "".join(event.text.decode(errors="replace") for event in proc_output)
        self.assertIn("ready: model", text)
        self.assertNotIn("Traceback", text)
