"""ROS 2 node ``siam_tracker``: a thin adapter between camera topics and the ROS-free tracker.

Threads (MultiThreadedExecutor, three callback groups):

- input (mutually exclusive): the image callback only stamps, checks the age, stores the message
  in the ring buffer (recent frames, for stamped init boxes) and in the newest-frame slot, then
  wakes the worker. Nothing is decoded there.
- worker (mutually exclusive, woken by a guard condition): runs pending init/stop requests, then
  the newest unprocessed frame — never a backlog, never one frame twice; overwritten frames are
  counted as dropped. Every tracker call holds the model lock for one frame only.
- control (reentrant): init topics, services, the diagnostics timer. They validate and queue;
  they never wait for inference (``~/enable false`` waits for at most the frame in progress).

Topics, services and parameters: docs/node.md. Outputs carry the source image header unchanged.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import SetParametersResult
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Float32, Header
from std_srvs.srv import SetBool, Trigger
from vision_msgs.msg import Detection2D, Detection2DArray

from siam_tracker.msg import TrackerStatus
from siam_tracker.srv import InitTarget

from ..core.errors import InvalidInputError, SiamTrackerError
from ..core.frame_buffer import LatestSlot, Stamped, StampedFrameBuffer
from ..core.longterm import LongTermConfig
from ..core.runtime_stats import RateMeter, RollingValues
from ..core.stream_session import StreamSession, evenly_spaced
from ..core.tracker import Tracker
from ..core.types import TrackResult, TrackState, validate_init_box
from . import detection_conversion, image_conversion, image_qos
from .diagnostics import HealthSnapshot, diagnostics_message
from .overlay import box_mask, draw_result
from .params import (NodeSettings, apply_changes, declare_node_parameters,
                     declare_tracker_parameters, settings_of)
from .spinning import (STOP_BUDGET_S, exit_now, hard_exit_after,  # noqa: F401
                       shutdown_executor)
from .tracker_loading import (apply_tracker_settings, free_device_memory, gpu_memory_mib,
                              load_tracker, long_term_settings, resolved_device)

NODE_NAME = "siam_tracker"
THROTTLE_S = 5.0                 # one warning per kind per 5 s at most
STAMP_MATCH_TOLERANCE_NS = 500_000   # an init stamp matches a frame within 0.5 ms
IMAGE_QOS_CHECK_S = 0.5              # best_available: how often the image publishers are checked
OUTPUT_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                        history=HistoryPolicy.KEEP_LAST)


def _one_line(exc: Exception) -> str:
    """Our errors are one readable line already; others get their type name in front."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text if isinstance(exc, SiamTrackerError) else f"{type(exc).__name__}: {text}"


def stamp_to_ns(stamp) -> int:
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


@dataclass(frozen=True)
class ReceivedImage:
    """An image message as received: raw or compressed, receive time (monotonic s) and its
    stamp in ns (0 when the publisher left it zero)."""

    msg: Any
    compressed: bool
    received_s: float
    stamp_ns: int


@dataclass(frozen=True)
class InitRequest:
    """A validated init (or stop when ``entry`` is None) for the worker."""

    entry: Optional[Stamped[ReceivedImage]]
    box_xywh: Tuple[float, float, float, float]
    target_id: str
    label: str


class TrackerNode(Node):
    """The ``siam_tracker`` node (see the module docstring and the README)."""

    def __init__(self, node_name: str = NODE_NAME, **node_kwargs: Any) -> None:
        super().__init__(node_name, **node_kwargs)
        node_values = declare_node_parameters(self)
        self.settings: NodeSettings = settings_of(node_values)   # tracker settings: below
        self._lock = threading.Lock()            # node bookkeeping below (never held for inference)
        self._model_lock = threading.Lock()      # the tracker: one frame at a time
        self._worker_busy = threading.Lock()     # held while the worker runs (see close())
        self._enable_lock = threading.Lock()
        self._closing = False
        self._enabled = True
        self._session: Optional[StreamSession] = None
        self._model_name = ""
        self._mask_from_box = True
        tracker = self._load_model()            # raises ConfigError / CheckpointError
        # Long-term settings: the built tracker's values are the defaults, the params file wins.
        tracker_values = declare_tracker_parameters(
            self, long_term_settings(tracker) or dataclasses.asdict(LongTermConfig()))
        self.settings = settings_of({**node_values, **tracker_values})
        if long_term_settings(tracker) is not None:
            apply_tracker_settings(tracker, self.settings.tracker_settings)

        self._buffer: StampedFrameBuffer[ReceivedImage] = StampedFrameBuffer(
            self.settings.frame_buffer_s)
        self._slot: LatestSlot[Stamped[ReceivedImage]] = LatestSlot()
        self._slot.count_drops(False)
        self._seq = itertools.count()
        self._target_ids = itertools.count(1)
        self._pending: List[InitRequest] = []
        self._last_header = Header()
        self._last_error = ""
        self._received = 0
        self._processed = 0
        self._dropped_stale = 0
        self._dropped_bad = 0
        self._last_image_s = -math.inf
        self._rx_rate, self._proc_rate = RateMeter(2.0), RateMeter(2.0)
        self._latency_ms, self._stamp_age_ms = RollingValues(300), RollingValues(300)
        self._last_state_published: Optional[TrackState] = None

        self._input_group = MutuallyExclusiveCallbackGroup()
        self._worker_group = MutuallyExclusiveCallbackGroup()
        self._control_group = ReentrantCallbackGroup()
        self._create_publishers()
        self._wake = self.create_guard_condition(self._on_wake, callback_group=self._worker_group)
        self._create_subscriptions()
        self._create_services()
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._diag_timer = self.create_timer(self.settings.diagnostics_period_s,
                                             self._publish_diagnostics,
                                             callback_group=self._control_group)
        self._publish_status(self._last_header)
        self.get_logger().info(
            f"ready: model {self._model_name} on {resolved_device(self.settings.device)}, "
            f"input {self._image_topic()} ({self.settings.image_reliability}: "
            f"{self._image_sub.reliability} now)")

    # ------------------------------------------------------------------ setup
    def _load_model(self) -> Tracker:
        """Build + warm up the tracker and install it (raises ConfigError / CheckpointError)."""
        tracker, name, has_mask = load_tracker(self.settings)
        if self.settings.tracker_settings and long_term_settings(tracker) is not None:
            apply_tracker_settings(tracker, self.settings.tracker_settings)
        with self._model_lock:
            self._session = StreamSession(tracker)
            self._model_name, self._mask_from_box = name, not has_mask
        return tracker

    def _image_topic(self) -> str:
        return "image/compressed" if self.settings.image_transport == "compressed" else "image"

    def _create_publishers(self) -> None:
        self._detection_pub = self.create_publisher(Detection2D, "~/detection", OUTPUT_QOS)
        self._detections_pub = self.create_publisher(Detection2DArray, "~/detections", OUTPUT_QOS)
        self._mask_pub = self.create_publisher(Image, "~/mask", OUTPUT_QOS)
        self._confidence_pub = self.create_publisher(Float32, "~/confidence", OUTPUT_QOS)
        self._status_pub = self.create_publisher(TrackerStatus, "~/status", OUTPUT_QOS)
        self._debug_pub = self.create_publisher(Image, "~/debug_image", OUTPUT_QOS)
        self._diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", OUTPUT_QOS)

    def _create_subscriptions(self) -> None:
        compressed = self.settings.image_transport == "compressed"
        self._image_sub = image_qos.ImageSubscription(
            self, CompressedImage if compressed else Image, self._image_topic(),
            self.settings.image_reliability, lambda m: self._on_image(m, compressed),
            self._input_group)
        if self._image_sub.following:
            self._follow_image_publishers()
            self._qos_timer = self.create_timer(IMAGE_QOS_CHECK_S, self._follow_image_publishers,
                                                callback_group=self._input_group)
        self.create_subscription(Detection2D, "init_box", self._on_init_box, OUTPUT_QOS,
                                 callback_group=self._control_group)
        self.create_subscription(Detection2DArray, "init_boxes", self._on_init_boxes, OUTPUT_QOS,
                                 callback_group=self._control_group)

    def _follow_image_publishers(self) -> None:
        """best_available: match the image subscription's reliability to the publishers (runs
        in the input group, never beside the image callback)."""
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

    def _create_services(self) -> None:
        self.create_service(Trigger, "~/reset", self._on_reset, callback_group=self._control_group)
        self.create_service(SetBool, "~/enable", self._on_enable,
                            callback_group=self._control_group)
        self.create_service(InitTarget, "~/init", self._on_init_service,
                            callback_group=self._control_group)

    # ------------------------------------------------------------------ errors
    def _set_error(self, text: str) -> None:
        with self._lock:
            self._last_error = text

    # ------------------------------------------------------------------ input
    def _on_image(self, msg: Any, compressed: bool) -> None:
        received_s = time.monotonic()
        stamp_ns = stamp_to_ns(msg.header.stamp)
        now_ns = self.get_clock().now().nanoseconds
        with self._lock:
            self._received += 1
            self._last_image_s = received_s
        self._rx_rate.tick(received_s)
        if stamp_ns and now_ns:
            age_s = (now_ns - stamp_ns) / 1e9
            self._stamp_age_ms.add(age_s * 1e3)
            max_age = self.settings.max_image_age_s
            if max_age > 0 and age_s > max_age:
                with self._lock:
                    self._dropped_stale += 1
                text = (f"image stamp is {age_s:.2f} s old (max_image_age_s {max_age:g}); "
                        f"dropped (replaying a bag? use use_sim_time, or max_image_age_s 0)")
                self.get_logger().warning(text, throttle_duration_sec=THROTTLE_S)
                self._set_error(text)
                self._publish_status(msg.header)   # the drop shows in ~/status at once
                return
        problem = self._precheck(msg, compressed)
        if problem:
            with self._lock:
                self._dropped_bad += 1
                self._last_error = f"bad image skipped: {problem}"
            self.get_logger().warning(f"bad image skipped: {problem}",
                                      throttle_duration_sec=THROTTLE_S)
            self._publish_status(msg.header)
            return
        key_ns = stamp_ns if stamp_ns else time.time_ns()
        item = ReceivedImage(msg, compressed, received_s, stamp_ns)
        entry = Stamped(key_ns, next(self._seq), item)
        pushed = self._buffer.push(key_ns, entry.seq, item)
        if pushed.went_backwards:
            text = (f"image stamps went backwards (bag loop or clock reset): cleared "
                    f"{pushed.cleared} buffered frames; tracking continues")
            self.get_logger().warning(text, throttle_duration_sec=THROTTLE_S)
            self._set_error(text)
        self._slot.put(entry)
        self._wake.trigger()

    @staticmethod
    def _precheck(msg: Any, compressed: bool) -> str:
        """Reason a message cannot be a frame, from its fields only (no pixel is touched), or ""."""
        if compressed:
            return "" if len(msg.data) else f"compressed image is empty (format {msg.format!r})"
        validate = getattr(image_conversion, "validate_image", None)
        if validate is None:
            return ""
        try:
            validate(msg)
        except InvalidInputError as exc:
            return str(exc)
        return ""

    def _decode(self, item: ReceivedImage) -> np.ndarray:
        """BGR (H, W, 3) uint8 frame of a received message (InvalidInputError when unusable)."""
        if item.compressed:
            return image_conversion.compressed_to_bgr(item.msg)
        return image_conversion.image_to_bgr(item.msg)

    # ------------------------------------------------------------------ init requests
    def _next_target_id(self, requested: str = "") -> str:
        return requested if requested else str(next(self._target_ids))

    def _request_init(self, stamp_ns: int, box_xywh: Sequence[float], requested_id: str,
                      label: str) -> Tuple[bool, str, str]:
        """Validate an init (zero-size box = stop) and queue it; (accepted, target_id, message).
        Runs in the caller's thread; never waits for inference."""
        values = [float(v) for v in box_xywh]
        if values[2] == 0.0 and values[3] == 0.0:
            self._queue(InitRequest(None, (0.0, 0.0, 0.0, 0.0), "", ""))
            return True, "", "stop: target dropped"
        if not self._enabled:
            return False, "", "tracker disabled (call ~/enable true first)"
        note = ""
        if stamp_ns == 0:
            entry = self._buffer.newest()
            if entry is None:
                return False, "", "no image received yet on " + self._image_topic()
        else:
            entry, note, refusal = self._init_frame(stamp_ns)
            if entry is None:
                return False, "", refusal
        try:
            frame = self._decode(entry.item)
            box = validate_init_box(values, frame.shape)
        except InvalidInputError as exc:
            return False, "", str(exc)
        target_id = self._next_target_id(requested_id)
        if note:
            self._set_error(note)   # the status of the init frame says which frame was used
        self._queue(InitRequest(entry, box, target_id, label or self.settings.target_label))
        return True, target_id, (f"tracking target {target_id} from frame "
                                 f"{entry.stamp_ns / 1e9:.3f}" + (f" ({note})" if note else ""))

    def _init_frame(self, stamp_ns: int) -> Tuple[Optional[Stamped[ReceivedImage]], str, str]:
        """(frame, note, refusal) for an init box stamped ``stamp_ns``: the frame with that stamp,
        else the nearest buffered one within init_stamp_tolerance_s (``note`` says which), else
        None and why."""
        tolerance_s = self.settings.init_stamp_tolerance_s
        match = self._buffer.nearest(stamp_ns)
        if match is not None and match.distance_ns <= STAMP_MATCH_TOLERANCE_NS:
            return match.entry, "", ""
        if match is not None and match.distance_ns <= tolerance_s * 1e9:
            when = "after" if match.gap_ns > 0 else "before"
            note = (f"no frame with stamp {stamp_ns / 1e9:.3f}: started on the nearest buffered "
                    f"frame {match.entry.stamp_ns / 1e9:.3f}, {match.distance_ns / 1e6:.0f} ms "
                    f"{when} it (init_stamp_tolerance_s {tolerance_s:g})")
            return match.entry, note, ""
        oldest, newest = self._buffer.span_s()
        held = ("buffer is empty" if math.isnan(oldest)
                else f"buffer holds {oldest:.3f} .. {newest:.3f}")
        return None, "", (f"no buffered frame with stamp {stamp_ns / 1e9:.3f} "
                          f"(frame_buffer_s {self.settings.frame_buffer_s:g}, "
                          f"init_stamp_tolerance_s {tolerance_s:g}, {held})")

    def _queue(self, request: InitRequest) -> None:
        with self._lock:
            self._pending = [request]        # the newest request wins
        self._wake.trigger()

    def _refuse(self, source: str, reason: str) -> None:
        text = f"{source} refused: {reason}"
        self.get_logger().warning(text, throttle_duration_sec=THROTTLE_S)
        self._set_error(text)
        self._publish_status(self._last_header)

    def _on_init_box(self, msg: Detection2D) -> None:
        self._init_from_detection(msg, msg.header, "init_box")

    def _on_init_boxes(self, msg: Detection2DArray) -> None:
        if not msg.detections:
            return
        best = detection_conversion.best_detection(msg.detections)
        header = best.header if stamp_to_ns(best.header.stamp) else msg.header
        self._init_from_detection(best, header, "init_boxes")

    def _init_from_detection(self, det: Detection2D, header: Header, source: str) -> None:
        try:
            box = detection_conversion.detection_to_box_xywh(det)
            label = det.results[0].hypothesis.class_id if det.results else ""
            ok, _, message = self._request_init(stamp_to_ns(header.stamp), box, det.id, label)
        except Exception as exc:  # bad input (or a bug) must not kill the node
            ok, message = False, _one_line(exc)
        if not ok:
            self._refuse(source, message)
        else:
            self.get_logger().info(f"{source}: {message}")

    def _on_init_service(self, request: Any, response: Any) -> Any:
        try:
            box = detection_conversion.bbox_to_box_xywh(request.bbox)
            ok, target_id, message = self._request_init(
                stamp_to_ns(request.header.stamp), box, "", request.target_label)
        except Exception as exc:  # bad input (or a bug) must not kill the node
            ok, target_id, message = False, "", _one_line(exc)
        response.success, response.target_id, response.message = ok, target_id, message
        if not ok:
            self._refuse("~/init", message)
        else:
            self.get_logger().info(f"~/init: {message}")
        return response

    def _on_reset(self, request: Any, response: Any) -> Any:
        self._queue(InitRequest(None, (0.0, 0.0, 0.0, 0.0), "", ""))
        self._set_error("")
        response.success, response.message = True, "target dropped; waiting for an init box"
        return response

    def _on_enable(self, request: Any, response: Any) -> Any:
        with self._enable_lock:                 # one enable/disable at a time
            return self._set_enabled(bool(request.data), response)

    def _set_enabled(self, enable: bool, response: Any) -> Any:
        if not enable:
            with self._lock:
                self._pending = []
            with self._model_lock:              # waits for the frame in progress only
                if self._session is not None:
                    self._session.stop()
                self._session = None
                self._enabled = False
            self._slot.clear()
            self._slot.count_drops(False)
            free_device_memory()
            response.success, response.message = True, "disabled: model unloaded"
            self.get_logger().info(response.message)
        else:
            if self._enabled:
                response.success, response.message = True, "already enabled"
                return response
            try:
                self._load_model()
                self._enabled = True
                response.success, response.message = True, f"enabled: model {self._model_name} loaded"
                self.get_logger().info(response.message)
            except SiamTrackerError as exc:
                response.success, response.message = False, f"cannot load the model: {exc}"
                self._set_error(response.message)
        self._publish_status(self._last_header)
        return response

    # ------------------------------------------------------------------ parameters
    def _on_set_parameters(self, params: List[Any]) -> SetParametersResult:
        reason, settings = apply_changes(self.settings, params)
        if reason:
            return SetParametersResult(successful=False, reason=reason)
        if settings.frame_buffer_s != self.settings.frame_buffer_s:
            self._buffer.set_max_age(settings.frame_buffer_s)
        if settings.tracker_settings != self.settings.tracker_settings:
            # No lock: the tracker reads its settings object once per frame and this swaps it
            # whole, so the change applies from the next frame without waiting for inference.
            session = self._session
            tracker = None if session is None else session.tracker
            if tracker is not None and long_term_settings(tracker) is None:
                return SetParametersResult(
                    successful=False, reason="loss/re-detection settings need long_term: "
                    "true (read-only) or a long-term model config")
            try:
                if tracker is not None:
                    apply_tracker_settings(tracker, settings.tracker_settings)
            except SiamTrackerError as exc:
                return SetParametersResult(successful=False, reason=str(exc))
        self.settings = settings
        return SetParametersResult(successful=True)

    # ------------------------------------------------------------------ worker
    def _on_wake(self) -> None:
        """Worker: pending init/stop first, then the newest unprocessed frame, until idle."""
        with self._worker_busy:
            try:
                self._work()
            except Exception as exc:  # a bug must not kill the node: report, wait for the next frame
                text = f"worker error: {type(exc).__name__}: {exc}"
                self.get_logger().error(text, throttle_duration_sec=THROTTLE_S)
                self._set_error(text)

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the worker after the frame in progress (call before destroying the node; the
        executor's shutdown does not wait for running callbacks)."""
        self._closing = True
        if self._worker_busy.acquire(timeout=timeout_s):
            self._worker_busy.release()

    def _work(self) -> None:
        while not self._closing and rclpy.ok(context=self.context):
            with self._lock:
                request = self._pending.pop(0) if self._pending else None
            if request is not None:
                self._run_request(request)
                continue
            entry = self._slot.take()
            if entry is None:
                return
            self._process(entry)

    def _run_request(self, request: InitRequest) -> None:
        with self._model_lock:
            session = self._session
            if session is None:
                return
            if request.entry is None:
                was_tracking = session.target is not None
                session.stop()
                self._slot.count_drops(False)
                if was_tracking:
                    self.get_logger().info("target dropped")
                self._publish_status(self._last_header)
                return
            try:
                frame = self._decode(request.entry.item)
                result = session.begin(frame, request.box_xywh, request.target_id, request.label)
            except InvalidInputError as exc:
                self._set_error(f"init failed: {exc}")
                self._publish_status(self._last_header)
                return
        if session.claim(request.entry.seq):
            self._publish_outputs(request.entry, frame, result, session)
        else:                                    # outputs of that frame went out while idle
            self._publish_status(request.entry.item.msg.header)
        self._catch_up(request.entry, session)
        self._slot.count_drops(True)

    def _catch_up(self, init_entry: Stamped[ReceivedImage], session: StreamSession) -> None:
        """Track from the init frame to the newest frame through the buffered frames (those
        already published while idle are tracked silently). Frames keep arriving meanwhile, so
        this runs in rounds over what came in during the previous round, each round at most half
        as many frames as the one before (evenly spaced): the gap between tracked frames stays
        small and the hand-over to live tracking comes quickly even with a slow model."""
        last_ns, budget, skipped = init_entry.stamp_ns, None, 0
        while True:
            batch = self._buffer.after(last_ns)
            if not batch:
                break
            budget = len(batch) if budget is None else budget
            chosen = set(evenly_spaced(len(batch), budget))
            for i, entry in enumerate(batch):
                with self._lock:
                    superseded = bool(self._pending) or self._closing
                if superseded:
                    return                       # a newer init/stop takes over
                if i not in chosen:
                    skipped += entry.seq > session.last_claimed_seq
                    continue
                if not self._step(entry, publish=session.claim(entry.seq)):
                    return
            last_ns = batch[-1].stamp_ns
            if budget <= 1:
                break
            budget = max(1, budget // 2)
        self._slot.add_dropped(skipped)

    def _process(self, entry: Stamped[ReceivedImage]) -> None:
        session = self._session
        if session is None or not session.claim(entry.seq):
            return
        if session.target is None:
            try:
                frame = self._decode(entry.item)
            except InvalidInputError as exc:
                self._bad_frame(entry, exc)
                return
            self._publish_outputs(entry, frame, None, session)
            return
        self._step(entry, publish=True)

    def _step(self, entry: Stamped[ReceivedImage], publish: bool) -> bool:
        """Track one frame; publish its outputs if asked. False when the session went away."""
        try:
            frame = self._decode(entry.item)
            with self._model_lock:
                session = self._session
                if session is None or session.target is None:
                    return False
                result = session.step(frame)
        except InvalidInputError as exc:
            self._bad_frame(entry, exc)
            return True
        except Exception as exc:  # a tracker bug must not kill the node; report and go on
            text = f"tracker failed on a frame: {type(exc).__name__}: {exc}"
            self.get_logger().error(text, throttle_duration_sec=THROTTLE_S)
            self._bad_frame(entry, None, text)
            return True
        if publish:
            self._publish_outputs(entry, frame, result, session)
        return True

    def _bad_frame(self, entry: Stamped[ReceivedImage], exc: Optional[Exception],
                   text: Optional[str] = None) -> None:
        text = text or f"bad image skipped: {exc}"
        if exc is not None:
            self.get_logger().warning(text, throttle_duration_sec=THROTTLE_S)
        with self._lock:
            self._dropped_bad += 1
            self._last_error = text
        self._publish_status(entry.item.msg.header)

    # ------------------------------------------------------------------ outputs
    def _publish_outputs(self, entry: Stamped[ReceivedImage], frame: np.ndarray,
                         result: Optional[TrackResult], session: StreamSession) -> None:
        header = entry.item.msg.header
        target = session.target
        visible = result is not None and target is not None and result.is_target_visible
        detections = Detection2DArray(header=header)
        if visible:
            det = detection_conversion.result_to_detection(result, header, target.target_id,
                                                           target.label)
            self._detection_pub.publish(det)
            detections.detections.append(det)
        self._detections_pub.publish(detections)
        score = float(result.score) if result is not None and target is not None else 0.0
        self._confidence_pub.publish(Float32(data=score))
        if self.settings.publish_mask and self._mask_pub.get_subscription_count() > 0:
            mask = np.zeros(frame.shape[:2], np.uint8)
            if visible:
                mask = result.mask if result.mask is not None else box_mask(frame.shape, result)
            self._mask_pub.publish(image_conversion.mask_to_image(mask, header))
        if self.settings.publish_debug_image and self._debug_pub.get_subscription_count() > 0:
            label = "" if target is None else f"{target.label} #{target.target_id}"
            overlay = draw_result(frame, result if target is not None else None, label)
            self._debug_pub.publish(image_conversion.bgr_to_image(overlay, header))
        now_s = time.monotonic()
        with self._lock:
            self._processed += 1
            self._last_header = header
        self._proc_rate.tick(now_s)
        self._latency_ms.add((now_s - entry.item.received_s) * 1e3)
        self._publish_status(header, entry.item)

    def _status_message(self, header: Header, item: Optional[ReceivedImage] = None) -> TrackerStatus:
        session = self._session
        target = None if session is None else session.target
        with self._lock:
            last_error, processed = self._last_error, self._processed
            dropped = self._dropped_stale + self._dropped_bad
        latency_ms = 0.0
        if item is not None:
            if item.stamp_ns:
                latency_ms = (self.get_clock().now().nanoseconds - item.stamp_ns) / 1e6
            else:
                latency_ms = (time.monotonic() - item.received_s) * 1e3
        return TrackerStatus(
            header=header,
            state=(TrackState.IDLE if session is None else session.state).value,
            confidence=0.0 if session is None or target is None else float(session.score),
            target_id="" if target is None else target.target_id,
            frames_since_seen=0 if session is None else int(session.frames_since_seen),
            latency_ms=float(latency_ms),
            frames_processed=int(processed),
            frames_dropped=int(dropped + self._slot.dropped),
            enabled=bool(self._enabled),
            mask_from_box=bool(self._mask_from_box),
            last_error=last_error,
        )

    def _publish_status(self, header: Header, item: Optional[ReceivedImage] = None) -> None:
        status = self._status_message(header, item)
        self._status_pub.publish(status)
        state = TrackState(status.state)
        if state != self._last_state_published:
            self._last_state_published = state
            self.get_logger().info(f"state {state.name}" +
                                   (f" (target {status.target_id})" if status.target_id else ""))

    def health(self) -> HealthSnapshot:
        """The figures /diagnostics reports (also used by tests and the benchmark)."""
        now_s = time.monotonic()
        session = self._session
        with self._lock:
            snap = dict(frames_received=self._received, frames_processed=self._processed,
                        dropped_stale=self._dropped_stale, dropped_bad=self._dropped_bad,
                        seconds_since_last_image=now_s - self._last_image_s,
                        last_error=self._last_error)
        return HealthSnapshot(
            state=TrackState.IDLE if session is None else session.state,
            enabled=self._enabled,
            target_id="" if session is None or session.target is None else session.target.target_id,
            device=resolved_device(self.settings.device), backend=self.settings.backend,
            model_name=self._model_name,
            input_rate_hz=self._rx_rate.rate_hz(now_s),
            processed_rate_hz=self._proc_rate.rate_hz(now_s),
            latency_ms=self._latency_ms.summary(),
            stamp_age_ms=self._stamp_age_ms.summary(),
            dropped_busy=self._slot.dropped,
            gpu_memory_mib=gpu_memory_mib(self.settings.device),
            **snap)

    def _publish_diagnostics(self) -> None:
        header = Header(stamp=self.get_clock().now().to_msg())
        self._diag_pub.publish(diagnostics_message(self.health(), header, self.get_name()))


def main(args: Optional[Sequence[str]] = None, exit_fast: bool = True) -> int:
    """Entry point of ``siam_tracker_node``: exit 0 on Ctrl-C / SIGTERM, 1 (one fatal line) when
    the model, checkpoint or parameters are unusable. Stopping takes at most ``STOP_BUDGET_S``:
    spin ends, the worker and running callbacks finish, the executor shuts down, then the node is
    destroyed and the context shut down in this thread (order: see ``spinning``); a teardown
    still blocked after that ends the process (exit 1, every thread's stack on stderr).
    ``exit_fast``: once the node is down (or never came up), run the atexit handlers, flush and
    end the process at once (interpreter finalisation — torch, DDS statics — takes 1-2 s and
    nothing is left to clean); pass False to call it in-process."""
    code = _run(args)
    if exit_fast:
        exit_now(code)
    return code


def _run(args: Optional[Sequence[str]]) -> int:
    # SIGTERM raises KeyboardInterrupt like SIGINT (rclpy's handler chains to this one), so a
    # stop also interrupts a model still loading instead of waiting for it.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    from .transport_env import apply_large_image_transport

    apply_large_image_transport()       # large images over Fast DDS unless the user chose a setting
    rclpy.init(args=args)
    logger = rclpy.logging.get_logger(NODE_NAME)
    try:
        node = TrackerNode()
    except (KeyboardInterrupt, ExternalShutdownException):
        rclpy.try_shutdown()
        return 0
    except Exception as exc:  # one clear line, not a traceback (shown with --log-level debug)
        if not rclpy.ok():                  # Ctrl-C / SIGTERM while loading the model
            return 0
        logger.debug("start-up failure:\n" + traceback.format_exc())
        logger.fatal(f"cannot start: {_one_line(exc)}")
        rclpy.try_shutdown()
        return 1
    executor = MultiThreadedExecutor(num_threads=4)
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        with hard_exit_after(STOP_BUDGET_S):
            node.close(timeout_s=STOP_BUDGET_S / 2)
            shutdown_executor(executor)
            node.destroy_node()
            rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
