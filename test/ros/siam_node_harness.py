"""Shared helpers of the node tests: an isolated ROS environment per test (own domain id,
localhost discovery, temp log dir), the node plus a probe node in one executor, and seeded
synthetic frames as sensor_msgs/Image.

Import only after the module-level ``require_ros_interfaces()`` skip check.
"""
from __future__ import annotations

import array
import itertools
import os
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pytest

from siam_tracker_ros.core.boxes import box_iou as iou_xywh  # noqa: F401 (tests import it from here)
from siam_tracker_ros.ros.spinning import BackgroundSpinner, destroy_and_shutdown
from siam_tracker_ros.ros.stamps import set_stamp_ns
from siam_tracker_ros.ros.stamps import stamp_to_ns as stamp_ns  # the tests' short name

_test_counter = itertools.count()


def require_ros_interfaces() -> None:
    """Skip the calling test module, saying why, when the ROS interfaces are not importable."""
    missing = []
    for module in ("rclpy", "vision_msgs.msg", "siam_tracker.msg", "siam_tracker.srv"):
        try:
            __import__(module)
        except ImportError as exc:
            missing.append(f"{module} ({exc})")
    if missing:
        pytest.skip("ROS 2 environment incomplete: cannot import " + ", ".join(missing) +
                    " — run `make env` and `source scripts/activate_env.sh .venv`",
                    allow_module_level=True)


def isolated_ros_env(tmp_path) -> Tuple[int, str, Dict[str, str]]:
    """(domain id, unique namespace, environment) for one test: a ROS_DOMAIN_ID derived from the
    pid and a per-process test index (1..101), localhost-only discovery and a temp ROS_LOG_DIR.
    The namespace keeps tests apart even if another process picks the same domain."""
    index = next(_test_counter)
    domain_id = 1 + (os.getpid() * 31 + index * 7) % 101
    namespace = f"/t{os.getpid()}_{index}"
    env = dict(os.environ)
    env.update(ROS_DOMAIN_ID=str(domain_id), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
               ROS_LOG_DIR=str(tmp_path / "ros_log"), PYTHONUNBUFFERED="1")
    env.pop("ROS_LOCALHOST_ONLY", None)
    os.environ.update({k: env[k] for k in ("ROS_DOMAIN_ID", "ROS_AUTOMATIC_DISCOVERY_RANGE",
                                           "ROS_LOG_DIR")})
    return domain_id, namespace, env


def stamp_of(ns: int):
    from builtin_interfaces.msg import Time

    return set_stamp_ns(Time(), ns)


def raw_image(frame: np.ndarray, stamp_ns_: int, frame_id: str = "camera",
              encoding: str = "bgr8", step: Optional[int] = None,
              data: Optional[bytes] = None):
    """sensor_msgs/Image of an (H, W, C) uint8 frame; ``encoding``/``step``/``data`` may be set
    to anything (bad inputs included)."""
    from sensor_msgs.msg import Image

    height, width = frame.shape[:2]
    channels = 1 if frame.ndim == 2 else frame.shape[2]
    msg = Image()
    msg.header.stamp = stamp_of(stamp_ns_)
    msg.header.frame_id = frame_id
    msg.height, msg.width, msg.encoding = height, width, encoding
    msg.step = width * channels * frame.itemsize if step is None else step
    msg.data = array.array("B", np.ascontiguousarray(frame).tobytes() if data is None else data)
    return msg


def detection(box_xywh: Sequence[float], stamp_ns_: int, det_id: str = "",
              score: float = 1.0, label: str = ""):
    """vision_msgs/Detection2D of a box (x, y, w, h) drawn on the frame stamped ``stamp_ns_``."""
    from vision_msgs.msg import Detection2D, ObjectHypothesisWithPose

    from siam_tracker_ros.ros.detection_conversion import box_xywh_to_bbox

    det = Detection2D(bbox=box_xywh_to_bbox(box_xywh))
    det.header.stamp = stamp_of(stamp_ns_)
    det.header.frame_id = "camera"
    det.id = det_id
    hyp = ObjectHypothesisWithPose()
    hyp.hypothesis.class_id, hyp.hypothesis.score = label, float(score)
    det.results.append(hyp)
    return det


def init_request(box_xywh: Sequence[float], stamp_ns_: int, label: str = ""):
    """siam_tracker/InitTarget request for a box (x, y, w, h) drawn on the frame stamped ``stamp_ns_``."""
    from siam_tracker.srv import InitTarget
    from siam_tracker_ros.ros.detection_conversion import box_xywh_to_bbox

    request = InitTarget.Request(bbox=box_xywh_to_bbox(box_xywh), target_label=label)
    request.header.stamp = stamp_of(stamp_ns_)
    return request


def det_box_xywh(det) -> Tuple[float, float, float, float]:
    c, w, h = det.bbox.center.position, det.bbox.size_x, det.bbox.size_y
    return (c.x - w / 2.0, c.y - h / 2.0, w, h)


def wait_until(predicate: Callable[[], Any], timeout_s: float, period_s: float = 0.02) -> Any:
    """Poll ``predicate`` until it returns something truthy (returned) or the timeout (None)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(period_s)


class Recorder:
    """Thread-safe list of received messages per topic key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._msgs: Dict[str, List[Any]] = {}

    def callback(self, key: str) -> Callable[[Any], None]:
        def store(msg: Any) -> None:
            with self._lock:
                self._msgs.setdefault(key, []).append(msg)
        return store

    def get(self, key: str) -> List[Any]:
        with self._lock:
            return list(self._msgs.get(key, []))

    def last(self, key: str) -> Any:
        msgs = self.get(key)
        return msgs[-1] if msgs else None


class NodeHarness:
    """TrackerNode + a probe node (publishers, recorders, service clients) in one
    MultiThreadedExecutor spinning on a background thread, in a private rclpy context."""

    def __init__(self, tmp_path, overrides: Optional[Dict[str, Any]] = None,
                 load: Optional[Callable[[Any], Any]] = None) -> None:
        """``load``: the node's tracker loader (settings -> (tracker, name, has mask)); None =
        the model the parameters name."""
        import rclpy
        from rclpy.executors import MultiThreadedExecutor
        from rclpy.parameter import Parameter
        from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
        from rcl_interfaces.srv import SetParameters
        from sensor_msgs.msg import Image
        from std_srvs.srv import SetBool, Trigger
        from vision_msgs.msg import Detection2D, Detection2DArray
        from std_msgs.msg import Float32
        from siam_tracker.msg import TrackerStatus
        from siam_tracker.srv import InitTarget
        from siam_tracker_ros.ros.node import TrackerNode

        self.domain_id, self.namespace, _ = isolated_ros_env(tmp_path)
        # Players here wait for each frame's echo (FramePlayer), so on a slow machine the stamps
        # of the frames between an init frame and its init request can span more than the
        # default 2 s: keep 10 s unless a test sets it.
        # The harness publishes images reliably; its node subscribes the same way from the start
        # (image_reliability best_available, which follows the publishers, has its own tests in
        # test_node_image_qos.py), so no test here depends on when the subscription follows.
        overrides = {"frame_buffer_s": 10.0, "image_reliability": "reliable", **(overrides or {})}
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=self.domain_id)
        params = [Parameter(k, value=v) for k, v in (overrides or {}).items()]
        self.node = TrackerNode(namespace=self.namespace, context=self.context,
                                parameter_overrides=params, **({"load": load} if load else {}))
        self.probe = rclpy.create_node("probe", namespace=self.namespace, context=self.context)
        best_effort = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT,
                                 history=HistoryPolicy.KEEP_LAST)
        reliable = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE,
                              history=HistoryPolicy.KEEP_LAST)
        self.image_pub = self.probe.create_publisher(Image, "image", reliable)
        self.init_pub = self.probe.create_publisher(Detection2D, "init_box", reliable)
        self.inits_pub = self.probe.create_publisher(Detection2DArray, "init_boxes", reliable)
        self.rec = Recorder()
        base = f"{self.namespace}/siam_tracker"
        self._subs = [
            self.probe.create_subscription(Detection2D, f"{base}/detection",
                                           self.rec.callback("detection"), reliable),
            self.probe.create_subscription(Detection2DArray, f"{base}/detections",
                                           self.rec.callback("detections"), reliable),
            self.probe.create_subscription(TrackerStatus, f"{base}/status",
                                           self.rec.callback("status"), reliable),
            self.probe.create_subscription(Float32, f"{base}/confidence",
                                           self.rec.callback("confidence"), reliable),
        ]
        self.reset_client = self.probe.create_client(Trigger, f"{base}/reset")
        self.enable_client = self.probe.create_client(SetBool, f"{base}/enable")
        self.init_client = self.probe.create_client(InitTarget, f"{base}/init")
        self.param_client = self.probe.create_client(SetParameters, f"{base}/set_parameters")
        self.best_effort = best_effort
        self.executor = MultiThreadedExecutor(num_threads=4, context=self.context)
        self.executor.add_node(self.node)
        self.executor.add_node(self.probe)
        self.spinner = BackgroundSpinner(self.executor, name="harness-spin").start()
        raw = (overrides or {}).get("image_transport", "raw") == "raw"
        # both init topics too: a box published before the node's subscription matched is lost
        ready = wait_until(lambda: (not raw or self.image_pub.get_subscription_count() > 0) and all(
            p.get_subscription_count() > 0 for p in (self.init_pub, self.inits_pub)) and all(
            s.get_publisher_count() > 0 for s in self._subs) and all(
            c.service_is_ready() for c in (self.reset_client, self.enable_client,
                                           self.init_client, self.param_client)), 20.0)
        assert ready, "node and probe did not discover each other within 20 s"

    # -------------------------------------------------------------- helpers
    def call(self, client, request, timeout_s: float = 10.0):
        future = client.call_async(request)
        assert wait_until(future.done, timeout_s), f"{client.srv_name} did not answer"
        return future.result()

    def set_parameters(self, **values: Any):
        from rclpy.parameter import Parameter
        from rcl_interfaces.srv import SetParameters

        request = SetParameters.Request(
            parameters=[Parameter(k, value=v).to_parameter_msg() for k, v in values.items()])
        return self.call(self.param_client, request).results

    def publish(self, msg) -> None:
        self.image_pub.publish(msg)

    def publish_acked(self, msg, publisher=None, timeout_s: float = 5.0) -> bool:
        """Publish an image and wait until ``~/status`` echoes its stamp (the node processed it),
        so the next one cannot overwrite it in the depth-1 subscription."""
        stamp = stamp_ns(msg.header.stamp)
        count = max(0, len(self.rec.get("status")) - 5)
        (publisher or self.image_pub).publish(msg)
        return bool(wait_until(lambda: any(stamp_ns(m.header.stamp) == stamp
                                           for m in self.rec.get("status")[count:]), timeout_s))

    def statuses_after(self, count: int) -> List[Any]:
        return self.rec.get("status")[count:]

    def wait_status(self, predicate: Callable[[Any], bool], timeout_s: float = 10.0,
                    after: int = 0) -> Any:
        """First status (from index ``after``) satisfying ``predicate``, or None."""
        def find():
            for msg in self.rec.get("status")[after:]:
                if predicate(msg):
                    return msg
            return None
        return wait_until(find, timeout_s)

    def close(self) -> None:
        """Stop in the order rclpy needs (siam_tracker_ros.ros.spinning): the node's worker, the
        spinning thread (joined), running callbacks, the executor; then destroy the nodes here, in
        the thread that created them, and shut the context down."""
        self.node.close()
        stopped = self.spinner.stop(timeout_s=10.0)
        assert stopped, "the harness's spinning thread did not stop within 10 s"
        destroy_and_shutdown([self.node, self.probe], self.context)


class FramePlayer:
    """Publishes frames of a synthetic sequence through a NodeHarness on a background thread at
    most at ``rate_hz``, stamped with the wall clock at publish time (``stamps_ns[i]`` of frame i).

    Paced by acknowledgement (``ack_timeout_s``, default 2 s; None: by the clock only): the next
    frame goes out once the node's ``~/status`` echoes this one's stamp (it does for every frame
    it processes) or the timeout passes. One frame in flight: the depth-1 image subscription never
    overwrites a frame, so every frame reaches the node's buffer and is processed however slow the
    machine is — which frame a test draws an init box on cannot depend on scheduling luck."""

    def __init__(self, harness: NodeHarness, sequence, rate_hz: float = 30.0,
                 ack_timeout_s: Optional[float] = 2.0) -> None:
        self.harness, self.sequence = harness, sequence
        self.period_s = 1.0 / rate_hz
        self.ack_timeout_s = ack_timeout_s
        self.stamps_ns: List[int] = []
        self.acked = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def published(self) -> int:
        return len(self.stamps_ns)

    def index_of(self, stamp_ns_: int) -> Optional[int]:
        try:
            return self.stamps_ns.index(stamp_ns_)
        except ValueError:
            return None

    def _echoed(self, stamp: int, seen: List[int]) -> bool:
        statuses = self.harness.rec.get("status")
        found = any(stamp_ns(m.header.stamp) == stamp for m in statuses[seen[0]:])
        if found:
            seen[0] = max(0, len(statuses) - 5)
        return found

    def _run(self) -> None:
        next_s = time.monotonic()
        seen = [0]
        for index in range(len(self.sequence)):
            if self._stop.is_set():
                return
            frame = self.sequence.frames[index]
            delay = next_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            now_ns = time.time_ns()
            self.harness.publish(raw_image(frame, now_ns))
            self.stamps_ns.append(now_ns)
            if self.ack_timeout_s is not None:
                deadline = time.monotonic() + self.ack_timeout_s
                while not self._stop.is_set() and time.monotonic() < deadline:
                    if self._echoed(now_ns, seen):
                        self.acked += 1
                        break
                    time.sleep(0.005)
            next_s = max(next_s + self.period_s, time.monotonic())

    def start(self) -> "FramePlayer":
        self._thread.start()
        return self

    def wait_published(self, count: int, timeout_s: float = 20.0) -> bool:
        return bool(wait_until(lambda: self.published >= count, timeout_s))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)
