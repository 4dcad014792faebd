"""ROS 2 node ``siam_tracker``: glue between camera topics and the ROS-free
:class:`~siam_tracker_ros.core.stream_tracker.StreamTracker` (newest-frame-wins, stamped init,
catch-up, drop counting: all there). This module holds parameters, subscriptions, publishers,
services and diagnostics; messages are built by :mod:`.outputs`.

Threads (MultiThreadedExecutor, three callback groups): input (mutually exclusive: the image
callback stamps, checks and stores a frame, nothing is decoded there), worker (mutually exclusive,
woken by a guard condition: runs ``StreamTracker.work``), control (reentrant: init topics,
services, the diagnostics timer; they validate and queue, never wait for inference).
Topics, services and parameters: docs/node.md. Outputs carry the source image header unchanged.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import SetParametersResult
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Float32, Header
from std_srvs.srv import SetBool, Trigger
from vision_msgs.msg import Detection2D, Detection2DArray

from siam_tracker.msg import TrackerStatus
from siam_tracker.srv import InitTarget

from ..core.errors import InvalidInputError, SiamTrackerError
from ..core.stream_tracker import FrameOutput, ReceivedFrame, StreamConfig, StreamTracker, StreamWorker
from ..core.tracker import Tracker
from ..core.types import TrackState
from . import detection_conversion, image_conversion, image_qos, outputs
from .diagnostics import HealthSnapshot, diagnostics_message
from .params import NodeSettings, apply_changes, declare_parameters
from .stamps import stamp_to_ns
from .tracker_loading import (apply_tracker_settings, free_device_memory, gpu_memory_mib,
                              load_tracker, long_term_settings, resolved_device)

NODE_NAME = "siam_tracker"
THROTTLE_S = 5.0                 # one warning per kind per 5 s at most
IMAGE_QOS_CHECK_S = 0.5          # best_available: how often the image publishers are checked
WAITING_INIT_CHECK_S = 0.25      # how often a waiting topic init is checked for expiry
OUTPUT_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                        history=HistoryPolicy.KEEP_LAST)
TrackerLoader = Callable[[NodeSettings], Tuple[Tracker, str, bool]]


def _one_line(exc: Exception) -> str:
    """Our errors are one readable line already; others get their type name in front."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text if isinstance(exc, SiamTrackerError) else f"{type(exc).__name__}: {text}"


def stream_config(settings: NodeSettings) -> StreamConfig:
    return StreamConfig(settings.frame_buffer_s, settings.init_stamp_tolerance_s,
                        settings.max_image_age_s, settings.target_label,
                        "image/compressed" if settings.image_transport == "compressed" else "image")


class TrackerNode(Node):
    """The ``siam_tracker`` node. ``load``: settings -> (tracker, model name, has mask head);
    tests hand in a scripted tracker here (default: the model the parameters name)."""

    def __init__(self, node_name: str = NODE_NAME, load: TrackerLoader = load_tracker,
                 **node_kwargs: Any) -> None:
        super().__init__(node_name, **node_kwargs)
        self._load, self._model_name, self._mask_from_box = load, "", True
        self._last_state_published: Optional[TrackState] = None
        self._logged: Dict[str, float] = {}       # on_log: last time per kind
        # The tracker's long-term config is the one source of those settings: parameters
        # the user set are applied to it once, the others show its values.
        self.settings, tracker = declare_parameters(self, self._build_tracker)
        compressed = self.settings.image_transport == "compressed"
        decode = image_conversion.compressed_to_bgr if compressed else image_conversion.image_to_bgr
        # the worker runs on its own thread: inside the executor it starved the image callbacks
        self._worker = StreamWorker(name="siam-tracker-worker")
        self.stream: StreamTracker[Any] = StreamTracker(
            self, decode, stream_config(self.settings),
            precheck=lambda msg: image_conversion.precheck(msg, compressed),
            wake=self._worker.wake, alive=lambda: rclpy.ok(context=self.context))
        self.stream.install(tracker)
        pub = lambda cls, topic: self.create_publisher(cls, topic, OUTPUT_QOS)  # noqa: E731
        self._detection_pub, self._detections_pub = pub(Detection2D, "~/detection"), \
            pub(Detection2DArray, "~/detections")
        self._mask_pub, self._confidence_pub = pub(Image, "~/mask"), pub(Float32, "~/confidence")
        self._status_pub, self._debug_pub = pub(TrackerStatus, "~/status"), pub(Image, "~/debug_image")
        self._diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", OUTPUT_QOS)
        input_group, control = MutuallyExclusiveCallbackGroup(), ReentrantCallbackGroup()
        self._worker.start(self.stream.work)
        self._image_sub = image_qos.ImageSubscription(
            self, CompressedImage if compressed else Image, self.stream.config.source_name,
            self.settings.image_reliability, self._on_image, input_group)
        if self._image_sub.following:
            self._follow_image_publishers()
            self._qos_timer = self.create_timer(IMAGE_QOS_CHECK_S, self._follow_image_publishers,
                                                callback_group=input_group)
        self.create_subscription(Detection2D, "init_box", self._on_init_box, OUTPUT_QOS,
                                 callback_group=control)
        self.create_subscription(Detection2DArray, "init_boxes", self._on_init_boxes, OUTPUT_QOS,
                                 callback_group=control)
        self.create_service(Trigger, "~/reset", self._on_reset, callback_group=control)
        self.create_service(SetBool, "~/enable", self._on_enable, callback_group=control)
        self.create_service(InitTarget, "~/init", self._on_init_service, callback_group=control)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._diag_timer = self.create_timer(self.settings.diagnostics_period_s,
                                             self._publish_diagnostics, callback_group=control)
        # a topic init waiting for its frame gets its refusal even when no frame comes at all
        self._waiting_timer = self.create_timer(WAITING_INIT_CHECK_S, self.stream.expire_waiting_init,
                                                callback_group=control)
        self.on_status(None, None)
        self.get_logger().info(
            f"ready: model {self._model_name} on {resolved_device(self.settings.device)}, "
            f"input {self.stream.config.source_name} ({self.settings.image_reliability}: "
            f"{self._image_sub.reliability} now)")

    def _build_tracker(self, settings: NodeSettings) -> Tracker:
        """Build + warm up the tracker with ``settings``' long-term values (ConfigError /
        CheckpointError when unusable)."""
        tracker, self._model_name, has_mask = self._load(settings)
        self._mask_from_box = not has_mask
        if settings.tracker_settings and long_term_settings(tracker) is not None:
            apply_tracker_settings(tracker, settings.tracker_settings)
        return tracker

    def _follow_image_publishers(self) -> None:
        """best_available: match the image subscription's reliability to the publishers."""
        try:
            change = self._image_sub.follow()
        except Exception as exc:  # a graph query failing (shutting down) must not stop the node
            self.get_logger().debug(f"image QoS check skipped: {type(exc).__name__}: {exc}")
            return
        if change:
            self.get_logger().info(change)

    @property
    def image_reliability_in_use(self) -> str:
        """Reliability of the image subscription right now (reliable / best_effort)."""
        return self._image_sub.reliability

    def _on_image(self, msg: Any) -> None:
        self.stream.receive(msg, stamp_to_ns(msg.header.stamp), self.get_clock().now().nanoseconds)

    # ------------------------------------------------------------------ StreamListener
    def on_output(self, out: FrameOutput[Any]) -> None:
        msgs = outputs.frame_messages(
            out.frame.item.header, out.image, out.result, out.target,
            mask=self.settings.publish_mask and self._mask_pub.get_subscription_count() > 0,
            debug_image=(self.settings.publish_debug_image and
                         self._debug_pub.get_subscription_count() > 0))
        if msgs.detection is not None:
            self._detection_pub.publish(msgs.detection)
        self._detections_pub.publish(msgs.detections)
        self._confidence_pub.publish(msgs.confidence)
        if msgs.mask is not None:
            self._mask_pub.publish(msgs.mask)
        if msgs.debug_image is not None:
            self._debug_pub.publish(msgs.debug_image)

    def on_status(self, item: Any, timed: Optional[ReceivedFrame[Any]]) -> None:
        latency_ms = 0.0
        if timed is not None and timed.stamp_ns:
            latency_ms = (self.get_clock().now().nanoseconds - timed.stamp_ns) / 1e6
        elif timed is not None:
            latency_ms = (time.monotonic() - timed.received_s) * 1e3
        header = Header() if item is None else item.header
        status = outputs.status_message(header, self.stream.status(), latency_ms,
                                        self._mask_from_box)
        self._status_pub.publish(status)
        state = TrackState(status.state)
        if state != self._last_state_published:
            self._last_state_published = state
            self.get_logger().info(f"state {state.name}" +
                                   (f" (target {status.target_id})" if status.target_id else ""))

    def on_log(self, level: str, text: str, kind: str) -> None:
        """One line per ``kind`` per THROTTLE_S at most ("" = every time)."""
        now_s = time.monotonic()
        if kind and now_s - self._logged.get(kind, -THROTTLE_S) < THROTTLE_S:
            return
        self._logged[kind] = now_s
        if level == "error":
            self.get_logger().error(text)
        elif level == "warning":
            self.get_logger().warning(text)
        else:
            self.get_logger().info(text)

    # ------------------------------------------------------------------ init, services
    def _answer(self, source: str, ok: bool, message: str) -> None:
        if ok:
            self.get_logger().info(f"{source}: {message}")
            return
        text = f"{source} refused: {message}"
        self.on_log("warning", text, "refused")
        self.stream.set_error(text)
        self.on_status(self.stream.last_item, None)

    def _on_init_box(self, msg: Detection2D) -> None:
        self._init_from_detection(msg, msg.header, "init_box")

    def _on_init_boxes(self, msg: Detection2DArray) -> None:
        if msg.detections:
            best = detection_conversion.best_detection(msg.detections)
            self._init_from_detection(best, best.header if stamp_to_ns(best.header.stamp)
                                      else msg.header, "init_boxes")

    def _init_from_detection(self, det: Detection2D, header: Header, source: str) -> None:
        try:
            box = detection_conversion.detection_to_box_xywh(det)
            label = det.results[0].hypothesis.class_id if det.results else ""
            reply = self.stream.request_init(
                stamp_to_ns(header.stamp), box, det.id, label,
                answer_later=lambda late: self._answer(source, late.ok, late.message))
            ok, message = reply.ok, reply.message
        except Exception as exc:  # bad input (or a bug) must not kill the node
            ok, message = False, _one_line(exc)
        self._answer(source, ok, message)

    def _on_init_service(self, request: Any, response: Any) -> Any:
        try:
            box = detection_conversion.bbox_to_box_xywh(request.bbox)
            reply = self.stream.request_init(stamp_to_ns(request.header.stamp), box, "",
                                             request.target_label)
            ok, target_id, message = reply.ok, reply.target_id, reply.message
        except Exception as exc:  # bad input (or a bug) must not kill the node
            ok, target_id, message = False, "", _one_line(exc)
        response.success, response.target_id, response.message = ok, target_id, message
        self._answer("~/init", ok, message)
        return response

    def _on_reset(self, request: Any, response: Any) -> Any:
        self.stream.request_stop()
        self.stream.set_error("")
        response.success, response.message = True, "target dropped; waiting for an init box"
        return response

    def _on_enable(self, request: Any, response: Any) -> Any:
        response.success = True
        if not request.data:
            self.stream.disable()
            free_device_memory()
            response.message = "disabled: model unloaded"
            self.get_logger().info(response.message)
        else:
            try:
                loaded = self.stream.enable(lambda: self._build_tracker(self.settings))
                response.message = (f"enabled: model {self._model_name} loaded" if loaded
                                    else "already enabled")
                if loaded:
                    self.get_logger().info(response.message)
            except SiamTrackerError as exc:
                response.success, response.message = False, f"cannot load the model: {exc}"
                self.stream.set_error(response.message)
        if response.message != "already enabled":
            self.on_status(self.stream.last_item, None)
        return response

    def _on_set_parameters(self, params: List[Any]) -> SetParametersResult:
        reason, settings = apply_changes(self.settings, params, self.get_logger().warning)
        tracker = self.stream.tracker
        if not reason and settings.tracker_settings != self.settings.tracker_settings \
                and tracker is not None:
            # No lock: the tracker reads its settings object once per frame and this swaps it
            # whole, so the change applies from the next frame without waiting for inference.
            if long_term_settings(tracker) is None:
                reason = ("loss/re-detection settings need long_term: true (read-only) or a "
                          "long-term model config")
            else:
                try:
                    apply_tracker_settings(tracker, settings.tracker_settings)
                except SiamTrackerError as exc:
                    reason = str(exc)
        if reason:
            return SetParametersResult(successful=False, reason=reason)
        self.settings = settings
        self.stream.configure(stream_config(settings))
        return SetParametersResult(successful=True)

    # ------------------------------------------------------------------ lifecycle, health
    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the worker after the frame in progress and end its thread (call before
        destroying the node)."""
        self.stream.close(timeout_s)
        self._worker.stop(timeout_s)

    def health(self) -> HealthSnapshot:
        """The figures /diagnostics reports (also used by tests and the benchmark)."""
        counters, status = self.stream.counters(), self.stream.status()
        return HealthSnapshot(
            state=status.state, enabled=status.enabled, target_id=status.target_id,
            device=resolved_device(self.settings.device),
            backend=self.settings.backend + ("+int8" if self.settings.int8 else ""),
            model_name=self._model_name, gpu_memory_mib=gpu_memory_mib(self.settings.device),
            **vars(counters))

    def _publish_diagnostics(self) -> None:
        header = Header(stamp=self.get_clock().now().to_msg())
        self._diag_pub.publish(diagnostics_message(self.health(), header, self.get_name()))
