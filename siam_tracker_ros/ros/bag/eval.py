"""Offline, deterministic replay of a bag through the node's code path (rosbags only, no rclpy).

Per image message, in receive order, exactly what the node's worker does with a frame:
``image_conversion.image_to_bgr`` / ``compressed_to_bgr`` → :class:`StreamSession`
(``begin`` on the init frame, ``step`` after) with a tracker from
``siam_tracker_ros.build.factory.build_tracker`` → :mod:`.outputs` (the functions the node
publishes with). Unlike a live node,
no frame is ever dropped, so the outputs depend only on the bag and the tracker.

Init boxes (vision_msgs/Detection2D on ``/init_box``, as the node's ``init_box`` topic): each
one initialises on the frame whose stamp matches its header stamp (within 0.5 ms; a zero stamp
means the newest frame received before the box); a zero-size box stops tracking. ``id`` and
``results[0].hypothesis.class_id`` give the target id and label ("1"/"target" when empty, as
the node). ``init_box_xywh`` replaces the bag's init boxes (initialise on the first frame).

Outputs (optionally written to ``out_bag`` with the receive time of their image, headers = the
image's header, as the node publishes them under its namespace):

==========================  ==============================  ===================================
topic                       type                            when
==========================  ==============================  ===================================
/siam_tracker/detection     vision_msgs/Detection2D         target tracked (TRACKING/UNCERTAIN)
/siam_tracker/detections    vision_msgs/Detection2DArray    every frame, 0 or 1 entry
/siam_tracker/confidence    std_msgs/Float32                every frame
/siam_tracker/mask          sensor_msgs/Image mono8 0/255   every frame (``write_mask``): the
                                                            model's mask, or the box filled
/siam_tracker/status        siam_tracker/msg/TrackerStatus  every frame (latency_ms = measured
                                                            decode + track + convert time)
==========================  ==============================  ===================================

Everything in the output bag except ``latency_ms`` is reproducible bit for bit on CPU.
"""
from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence as SequenceType, Tuple

import numpy as np

from ...core.errors import InvalidInputError
from ...core.stream_session import StreamSession
from ...core.stream_tracker import StreamStatus
from ...core.tracker import Tracker
from ...core.types import TrackResult, TrackState
from .. import detection_conversion, image_conversion
from .. import outputs as outputs_mod
from ..stamps import stamp_to_ns
from . import types as bag_types
from .io import BagReader, BagWriter, print_warning
from .make import BagTopics
from .scoring import (GroundTruth, latency_summary, match_outputs, match_stamp, public_scores,
                      read_ground_truth, score_frames)

DEFAULT_OUTPUT_NAMESPACE = "/siam_tracker"
DEFAULT_TARGET_LABEL = "target"


@dataclass(frozen=True)
class EvalOptions:
    """Where to look in the bag and what to write.

    ``image_topic``: None = the bag's only image topic (raw or compressed; the made-bag
    defaults win when there are several). ``init_box_xywh``: initialise on the first frame with
    this box instead of the bag's init boxes. ``out_storage``: storage of ``out_bag``.
    """

    image_topic: Optional[str] = None
    init_topic: str = BagTopics.init_box
    ground_truth_topic: str = BagTopics.ground_truth
    init_box_xywh: Optional[Tuple[float, float, float, float]] = None
    output_namespace: str = DEFAULT_OUTPUT_NAMESPACE
    target_label: str = DEFAULT_TARGET_LABEL
    write_mask: bool = True
    out_storage: str = "mcap"
    force: bool = False


@dataclass
class InitEvent:
    """An init (or stop, ``box_xywh`` None) to apply before tracking frame ``frame_index``."""

    frame_index: int
    box_xywh: Optional[Tuple[float, float, float, float]]
    target_id: str
    label: str


@dataclass
class EvalResult:
    """What ``bag eval`` measured. Per processed frame (image order): ``stamps_ns``,
    ``boxes_xywh`` (NaN = no detection), ``confidences`` (score while the target is shown, else
    0), ``states`` (TrackState values), ``latency_ms``; ``scores`` (see bag.scoring) or None
    without ground truth."""

    bag: Path
    image_topic: str
    stamps_ns: np.ndarray
    boxes_xywh: np.ndarray
    confidences: np.ndarray
    states: np.ndarray
    latency_ms: np.ndarray
    frames_dropped: int
    init_frames: List[int]
    scores: Optional[Dict[str, Any]]
    frames_scored: int
    out_bag: Optional[Path] = None
    warnings: List[str] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return int(self.stamps_ns.shape[0])

    def summary(self) -> Dict[str, Any]:
        """JSON-ready figures (``bag eval --json``)."""
        tracked = int(np.isin(self.states, [TrackState.TRACKING.value, TrackState.UNCERTAIN.value]).sum())
        latency = latency_summary(self.latency_ms)
        total_s = float(np.nansum(self.latency_ms)) / 1e3
        return {
            "schema": "siam_tracker.bag_eval/1",
            "bag": str(self.bag), "image_topic": self.image_topic,
            "out_bag": None if self.out_bag is None else str(self.out_bag),
            "frames": self.frames, "frames_dropped": self.frames_dropped,
            "frames_with_target": tracked, "init_frames": list(self.init_frames),
            "frames_scored": self.frames_scored,
            "scores": public_scores(self.scores),
            "timing": {"fps": self.frames / total_s if total_s > 0 else None, "latency_ms": latency},
        }


def build_eval_tracker(config: Optional[str] = None, baseline: Optional[str] = None,
                       weights: Optional[str] = None, long_term: bool = False, device: str = "auto",
                       num_threads: Optional[int] = None, exact: bool = False,
                       fp16: bool = False) -> Tuple[str, Tracker]:
    """(name, tracker) for ``bag eval``: an OpenCV ``baseline`` (csrt | kcf | mil), or one of
    ours (``config`` a path, a bundled config name or "default"/None), built from a
    :class:`~siam_tracker_ros.build.spec.TrackerSpec`. ``exact=False`` (default) is what the
    node runs; ``exact=True`` reproduces PySOT's numerics."""
    from ...build.spec import make_tracker_spec

    spec = make_tracker_spec(config=config, baseline=baseline, weights=weights, long_term=long_term,
                             device=device, num_threads=num_threads, exact=exact, fp16=fp16)
    return spec.name, spec.build()


def select_image_topic(reader: BagReader, wanted: Optional[str]) -> Tuple[str, bool]:
    """(image topic, compressed) of an open bag: ``wanted`` or the only Image/CompressedImage
    topic (the made-bag defaults first when there are several)."""
    if wanted:
        info = reader.topics.get(wanted)
        if info is None:
            raise InvalidInputError(f"bag has no topic {wanted} (topics: {', '.join(sorted(reader.topics))})")
        if info.typename not in (bag_types.IMAGE, bag_types.COMPRESSED_IMAGE):
            raise InvalidInputError(f"{wanted} is {info.typename}, not an image topic")
        return wanted, info.typename == bag_types.COMPRESSED_IMAGE
    raw = reader.topics_of_type(bag_types.IMAGE)
    compressed = reader.topics_of_type(bag_types.COMPRESSED_IMAGE)
    defaults = BagTopics()
    for topic, is_compressed in ((defaults.image, False), (defaults.compressed_image, True)):
        if topic in (compressed if is_compressed else raw):
            return topic, is_compressed
    candidates = [(t, False) for t in raw] + [(t, True) for t in compressed]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise InvalidInputError(f"bag has no sensor_msgs/Image or CompressedImage topic "
                                f"(topics: {', '.join(sorted(reader.topics)) or 'none'})")
    raise InvalidInputError(f"bag has several image topics ({', '.join(t for t, _ in candidates)}): "
                            "choose one with --image-topic")


def read_image_index(reader: BagReader, topic: str) -> Tuple[np.ndarray, np.ndarray]:
    """(header stamps (N,) int64, receive times (N,) int64) of the image messages, in bag order.

    Reads the bag's images once without converting them (rosbags decodes the headers)."""
    stamps, logs = [], []
    for message in reader.messages([topic]):
        stamps.append(stamp_to_ns(message.msg.header.stamp))
        logs.append(message.log_ns)
    return np.array(stamps, dtype=np.int64), np.array(logs, dtype=np.int64)


def read_init_events(reader: BagReader, topic: str, stamps: np.ndarray, logs: np.ndarray,
                     warn: Callable[[str], None]) -> List[InitEvent]:
    """The bag's init boxes as :class:`InitEvent`\\ s (sorted by frame), see the module doc."""
    info = reader.topics.get(topic)
    if info is None or not info.decodable:
        return []
    if info.typename != bag_types.DETECTION_2D:
        raise InvalidInputError(f"init topic {topic} is {info.typename}, expected vision_msgs/msg/Detection2D")
    events = []
    order = np.argsort(stamps, kind="stable")
    for message in reader.messages([topic]):
        det = message.msg
        box = detection_conversion.detection_to_box_xywh(det)
        stamp = stamp_to_ns(det.header.stamp)
        if stamp:
            found = match_stamp(stamps[order], stamp)
            index = None if found is None else int(order[found])
        else:   # zero stamp: the newest frame received before the box
            before = np.nonzero(logs <= message.log_ns)[0]
            index = int(before[-1]) if before.size else None
        if index is None:
            warn(f"init box at stamp {stamp / 1e9:.6f} matches no frame of the bag: ignored")
            continue
        label = det.results[0].hypothesis.class_id if len(det.results) else ""
        stop = box[2] == 0.0 and box[3] == 0.0
        events.append(InitEvent(index, None if stop else tuple(box), str(det.id), str(label)))
    events.sort(key=lambda e: e.frame_index)
    return events


class _OutputWriter:
    """The node's per-frame outputs into a bag (rosbags messages, or rclpy ones when the
    conversion functions produce them)."""

    def __init__(self, writer: Optional[BagWriter], namespace: str, write_mask: bool) -> None:
        self.writer = writer
        self.write_mask = write_mask
        ns = namespace.rstrip("/")
        self.topics = {"detection": f"{ns}/detection", "detections": f"{ns}/detections",
                       "confidence": f"{ns}/confidence", "mask": f"{ns}/mask", "status": f"{ns}/status"}
        if writer is not None:
            writer.add_topic(self.topics["detection"], bag_types.DETECTION_2D)
            writer.add_topic(self.topics["detections"], bag_types.DETECTION_2D_ARRAY)
            writer.add_topic(self.topics["confidence"], bag_types.FLOAT32)
            if write_mask:
                writer.add_topic(self.topics["mask"], bag_types.IMAGE)
            writer.add_topic(self.topics["status"], bag_types.TRACKER_STATUS)

    def write(self, topic: str, log_ns: int, msg: Any) -> None:
        if self.writer is not None:
            self.writer.write(self.topics[topic], log_ns, msg)

    def write_frame(self, log_ns: int, messages: outputs_mod.FrameMessages) -> None:
        """A frame's messages as the node publishes them (the debug image is not written)."""
        if messages.detection is not None:
            self.write("detection", log_ns, messages.detection)
        self.write("detections", log_ns, messages.detections)
        self.write("confidence", log_ns, messages.confidence)
        if messages.mask is not None:
            self.write("mask", log_ns, messages.mask)


def evaluate_bag(bag: os.PathLike, tracker: Tracker, out_bag: Optional[os.PathLike] = None,
                 options: EvalOptions = EvalOptions(), warn: Callable[[str], None] = print_warning,
                 progress: bool = False) -> EvalResult:
    """Replay ``bag`` through ``tracker`` (see the module doc); score against the bag's ground
    truth when it has one."""
    warnings: List[str] = []

    def _warn(text: str) -> None:
        warnings.append(text)
        warn(text)

    with BagReader(bag, warn=_warn) as reader:
        image_topic, compressed = select_image_topic(reader, options.image_topic)
        stamps, logs = read_image_index(reader, image_topic)
        if stamps.size == 0:
            raise InvalidInputError(f"bag {bag}: no messages on {image_topic}")
        if options.init_box_xywh is not None:
            events = [InitEvent(0, tuple(float(v) for v in options.init_box_xywh), "", "")]
        else:
            events = read_init_events(reader, options.init_topic, stamps, logs, _warn)
        if not any(e.box_xywh is not None for e in events):
            raise InvalidInputError(f"bag {bag} has no usable init box on {options.init_topic}: "
                                    "give one with --init-box x,y,w,h")
        gt = read_ground_truth(reader, options.ground_truth_topic)
        writer = None if out_bag is None else BagWriter(out_bag, options.out_storage, force=options.force)
        if writer is not None:
            writer.open()
        try:
            outputs = _OutputWriter(writer, options.output_namespace, options.write_mask)
            run = _replay(reader, image_topic, compressed, tracker, events, outputs, options,
                          len(stamps), progress)
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        if writer is not None:
            writer.close()
    boxes, confidences, states, latency, dropped, frame_stamps = run
    init_frames = [e.frame_index for e in events if e.box_xywh is not None]
    scores, scored = None, 0
    if gt is not None and len(gt):
        first_init_stamp = int(frame_stamps[init_frames[0]])
        start = gt.index_of(first_init_stamp)
        if start is None:
            _warn("the init frame has no ground truth: nothing scored")
        else:
            by_stamp = {int(s): (boxes[i], confidences[i]) for i, s in enumerate(frame_stamps)}
            matched = match_outputs(gt, by_stamp)
            seconds = _seconds_by_gt(gt, frame_stamps, latency)
            first = next(e for e in events if e.box_xywh is not None)
            scores = score_frames(gt, matched, start, Path(bag).name, seconds, first.box_xywh)
            scored = len(gt) - start if scores is not None else 0
    return EvalResult(Path(bag), image_topic, frame_stamps, boxes, confidences, states, latency,
                      dropped, init_frames, scores, scored,
                      None if out_bag is None else Path(out_bag), warnings)


def _seconds_by_gt(gt: GroundTruth, stamps: np.ndarray, latency_ms: np.ndarray) -> np.ndarray:
    seconds = np.full(len(gt), np.nan)
    for i, stamp in enumerate(stamps):
        j = gt.index_of(int(stamp))
        if j is not None:
            seconds[j] = latency_ms[i] / 1e3
    return seconds


def _replay(reader: BagReader, image_topic: str, compressed: bool, tracker: Tracker,
            events: SequenceType[InitEvent], outputs: _OutputWriter, options: EvalOptions,
            total: int, progress: bool):
    session = StreamSession(tracker)
    pending = {}
    for event in events:                       # the last init of a frame wins, as in the node
        pending[event.frame_index] = event
    ids = itertools.count(1)                  # node-assigned target ids: 1, 2, ...
    n = total
    boxes = np.full((n, 4), np.nan)
    confidences = np.zeros(n)
    states = np.zeros(n, dtype=np.int64)
    latency = np.full(n, np.nan)
    frame_stamps = np.zeros(n, dtype=np.int64)
    dropped = 0
    processed = 0
    last_error = ""
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n, desc="bag eval", unit="frame", leave=False)
    decode = image_conversion.compressed_to_bgr if compressed else image_conversion.image_to_bgr
    for index, message in enumerate(reader.messages([image_topic])):
        msg = message.msg
        header = msg.header
        frame_stamps[index] = stamp_to_ns(header.stamp)
        started = time.perf_counter()
        result: Optional[TrackResult] = None
        event = pending.get(index)
        try:
            frame = decode(msg)
            if event is not None and event.box_xywh is None:
                session.stop()
            elif event is not None:
                target_id = event.target_id or str(next(ids))
                result = session.begin(frame, event.box_xywh, target_id, event.label or options.target_label)
            elif session.target is not None:
                result = session.step(frame)
        except InvalidInputError as exc:
            dropped += 1
            last_error = (f"init failed: {exc}" if event is not None and event.box_xywh is not None
                          else f"bad image skipped: {exc}")
            frame = None
        target = session.target
        visible = result is not None and target is not None and result.is_target_visible
        out_header = outputs_mod.node_header(header)
        if frame is not None:
            processed += 1
        if frame is not None and outputs.writer is not None:
            outputs.write_frame(message.log_ns, outputs_mod.frame_messages(
                out_header, frame, result, target, mask=outputs.write_mask))
        latency[index] = (time.perf_counter() - started) * 1e3
        if visible:
            boxes[index] = detection_conversion.detection_to_box_xywh(
                detection_conversion.result_to_detection(result, header, target.target_id, target.label))
            confidences[index] = float(result.score)
        states[index] = session.state.value
        status = StreamStatus(
            state=session.state, confidence=0.0 if target is None else float(session.score),
            target_id="" if target is None else target.target_id,
            frames_since_seen=int(session.frames_since_seen), frames_processed=processed,
            frames_dropped=dropped, enabled=True, last_error=last_error)
        outputs.write("status", message.log_ns, outputs_mod.status_message(
            out_header, status, float(latency[index]),
            mask_from_box=result is None or result.mask is None))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return boxes, confidences, states, latency, dropped, frame_stamps

