"""Score tracker outputs found in bags against the ground truth found in bags (rosbags only).

Ground truth: ``/ground_truth`` vision_msgs/Detection2DArray per frame (see
:mod:`.make`): one detection = the box (score 1 visible, 0 occluded), none = absent.
Tracker outputs: ``/siam_tracker/detections`` Detection2DArray per processed frame (the node's
``~/detections``: empty = no target). Frames are matched by ``header.stamp``.

Scoring convention (what a ROS consumer of the node sees): a frame whose output has no
detection, or that has no output at all (dropped by a live node), has no box (IoU 0, centre
error infinite) and confidence 0; a detection gives its box and ``results[].hypothesis.score``.
The scored range starts at the init frame, which plays the role of PySOT's frame 0. The
figures are :func:`siam_tracker_ros.evaluation.report.score_sequence` + ``aggregate`` — the same
code as ``siam-track report``: success AUC, precision@20 px, normalised precision, GOT-10k AO /
SR, VOT-LT precision / recall / F (over the detection scores), re-acquisition.

(``siam-track eval`` stores the tracker's last box and confidence 0 on frames where a
long-term tracker reports LOST/SEARCHING; here those frames have no box, so the OTB-style
figures of a tracker that gets lost can be lower than the offline runner's.)
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence as SequenceType

import numpy as np

from ...core.errors import InvalidInputError
from ...data.sequence import Sequence
from ...evaluation.report import aggregate, score_sequence
from .. import detection_conversion
from ..stamps import stamp_to_ns
from .io import BagReader

STAMP_MATCH_TOLERANCE_NS = 500_000   # as the node: a stamp matches a frame within 0.5 ms


@dataclass
class GroundTruth:
    """Per-frame ground truth of a bag: ``stamps_ns`` (N,) int64 ascending, ``boxes_xywh``
    (N, 4) float64 (NaN = absent), ``visible`` (N,) bool."""

    stamps_ns: np.ndarray
    boxes_xywh: np.ndarray
    visible: np.ndarray

    def __len__(self) -> int:
        return int(self.stamps_ns.shape[0])

    def index_of(self, stamp: int) -> Optional[int]:
        """Index of the frame whose stamp matches ``stamp`` (within 0.5 ms), or None."""
        return match_stamp(self.stamps_ns, stamp)


def match_stamp(stamps_ns: np.ndarray, stamp: int,
                tolerance_ns: int = STAMP_MATCH_TOLERANCE_NS) -> Optional[int]:
    """Index of the nearest of the sorted ``stamps_ns`` within ``tolerance_ns`` of ``stamp``."""
    if len(stamps_ns) == 0:
        return None
    i = int(np.searchsorted(stamps_ns, stamp))
    best = None
    for j in (i - 1, i):
        if 0 <= j < len(stamps_ns) and abs(int(stamps_ns[j]) - int(stamp)) <= tolerance_ns:
            if best is None or abs(int(stamps_ns[j]) - stamp) < abs(int(stamps_ns[best]) - stamp):
                best = j
    return best


def detection_array_to_box(msg: Any) -> tuple:
    """Detection2DArray -> (box_xywh (4,) float64 or NaNs, score): the highest-scoring detection
    (NaN box, score 0 when empty)."""
    best = detection_conversion.best_detection(msg.detections)
    if best is None:
        return np.full(4, np.nan), 0.0
    return (np.asarray(detection_conversion.detection_to_box_xywh(best), dtype=np.float64),
            detection_conversion.detection_score(best))


def ground_truth_from_messages(messages: Iterable[Any]) -> GroundTruth:
    """GroundTruth of Detection2DArray messages (one per frame, any order)."""
    rows = {}
    for msg in messages:
        box, score = detection_array_to_box(msg)
        rows[stamp_to_ns(msg.header.stamp)] = (box, bool(np.isfinite(box).all() and score > 0))
    stamps = np.array(sorted(rows), dtype=np.int64)
    boxes = np.array([rows[s][0] for s in stamps], dtype=np.float64).reshape(-1, 4)
    visible = np.array([rows[s][1] for s in stamps], dtype=bool)
    return GroundTruth(stamps, boxes, visible)


def read_ground_truth(reader: BagReader, topic: str) -> Optional[GroundTruth]:
    """The ground truth on ``topic`` of an open bag, or None when the bag has none there."""
    info = reader.topics.get(topic)
    if info is None or not info.decodable or info.count == 0:
        return None
    if info.typename != "vision_msgs/msg/Detection2DArray":
        raise InvalidInputError(f"ground-truth topic {topic} is {info.typename}, expected "
                                "vision_msgs/msg/Detection2DArray")
    return ground_truth_from_messages(m.msg for m in reader.messages([topic]))


@dataclass
class FrameOutputs:
    """Tracker outputs matched to ground-truth frames: ``boxes_xywh`` (N, 4) (NaN = no box),
    ``confidences`` (N,), ``has_output`` (N,) bool (an output message exists for the frame)."""

    boxes_xywh: np.ndarray
    confidences: np.ndarray
    has_output: np.ndarray


def match_outputs(gt: GroundTruth, outputs: Dict[int, tuple]) -> FrameOutputs:
    """Outputs keyed by header stamp (ns) -> (box (4,), score) aligned to ``gt``'s frames."""
    n = len(gt)
    boxes = np.full((n, 4), np.nan)
    confidences = np.zeros(n)
    has_output = np.zeros(n, dtype=bool)
    keys = np.array(sorted(outputs), dtype=np.int64)
    for i, stamp in enumerate(gt.stamps_ns):
        j = match_stamp(keys, int(stamp))
        if j is None:
            continue
        box, score = outputs[int(keys[j])]
        has_output[i] = True
        if np.isfinite(box).all():
            boxes[i] = box
            confidences[i] = score
    return FrameOutputs(boxes, confidences, has_output)


def score_frames(gt: GroundTruth, outputs: FrameOutputs, start: int = 0, name: str = "bag",
                 seconds: Optional[np.ndarray] = None,
                 init_box_xywh: Optional[SequenceType[float]] = None) -> Optional[Dict[str, Any]]:
    """Figures of frames ``start`` .. end (``start`` = the init frame), as ``siam-track report``
    computes them (its ``Scores`` object; curves under ``_curves``). The init frame's prediction
    is ``init_box_xywh`` with confidence 1 when given (PySOT's and ``siam-track eval``'s frame 0;
    a live node may have published that frame before the init box arrived). None when no frame
    after ``start`` has a ground-truth box."""
    boxes = gt.boxes_xywh[start:]
    if len(boxes) < 2 or not np.isfinite(boxes[1:]).all(axis=1).any():
        return None
    visible = gt.visible[start:]
    sequence = Sequence(name=name, frames=(), boxes_xywh=boxes, visible=visible,
                        visibility_ratio=visible.astype(np.float64))
    secs = None if seconds is None else np.asarray(seconds, dtype=np.float64)[start:]
    predicted = outputs.boxes_xywh[start:].copy()
    confidences = outputs.confidences[start:].copy()
    if init_box_xywh is not None:
        predicted[0], confidences[0] = np.asarray(init_box_xywh, dtype=np.float64), 1.0
    return aggregate([score_sequence(sequence, predicted, confidences, secs)])


def latency_summary(latencies_ms: SequenceType[float]) -> Dict[str, Optional[float]]:
    """mean / p50 / p95 / max of per-frame latencies (ms); None values when there are none."""
    values = np.asarray([v for v in latencies_ms if np.isfinite(v)], dtype=np.float64)
    if values.size == 0:
        return {"mean": None, "p50": None, "p95": None, "max": None}
    return {"mean": float(values.mean()), "p50": float(np.percentile(values, 50)),
            "p95": float(np.percentile(values, 95)), "max": float(values.max())}


SCORE_KEYS = ("success_auc", "precision_20px", "norm_precision_0.2", "ao", "sr50", "sr75",
              "lt_precision", "lt_recall", "lt_f", "lt_threshold", "reacq_events",
              "reacq_recovered", "reacq_mean_delay")


def public_scores(scores: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The JSON-ready figures of :func:`score_frames` (NaN -> None, no curves)."""
    if scores is None:
        return None
    out = {}
    for key in ("num_frames",) + SCORE_KEYS:
        value = scores.get(key)
        if isinstance(value, (float, np.floating)):
            value = float(value) if np.isfinite(value) else None
        elif isinstance(value, np.integer):
            value = int(value)
        out[key] = value
    return out


def format_table(rows: List[tuple]) -> str:
    """A two-column plain-text table of (label, value) rows."""
    width = max((len(label) for label, _ in rows), default=0)
    return "\n".join(f"  {label.ljust(width)}  {value}" for label, value in rows)


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


# --------------------------------------------------------------------------- recorded runs

@dataclass
class RecordedScore:
    """``bag score`` figures of a recorded live run: ``scores`` (None without ground truth),
    frames with ground truth / with an output, latency summary (status ``latency_ms``)."""

    frames: int
    frames_with_output: int
    frames_with_target: int
    frames_scored: int
    init_frame: Optional[int]
    scores: Optional[Dict[str, Any]]
    latency_ms: Dict[str, Optional[float]]
    frames_dropped: Optional[int]

    def summary(self, rec_bag: str, gt_bag: str) -> Dict[str, Any]:
        return {"schema": "siam_tracker.bag_score/1", "recorded_bag": rec_bag, "ground_truth_bag": gt_bag,
                "frames": self.frames, "frames_with_output": self.frames_with_output,
                "frames_with_target": self.frames_with_target, "frames_scored": self.frames_scored,
                "init_frame": self.init_frame, "frames_dropped": self.frames_dropped,
                "scores": public_scores(self.scores), "timing": {"latency_ms": self.latency_ms}}


def first_init_box(reader: BagReader, topic: str) -> Optional[tuple]:
    """(stamp ns, box_xywh) of the first stamped non-empty init box on ``topic``, or None."""
    info = reader.topics.get(topic)
    if info is None or not info.decodable or info.typename != "vision_msgs/msg/Detection2D":
        return None
    for message in reader.messages([topic]):
        box = detection_conversion.detection_to_box_xywh(message.msg)
        stamp = stamp_to_ns(message.msg.header.stamp)
        if stamp and box[2] > 0 and box[3] > 0:
            return stamp, box
    return None


def score_recorded_bag(recorded: str, ground_truth: Optional[str] = None,
                       detections_topic: str = "/siam_tracker/detections",
                       status_topic: str = "/siam_tracker/status",
                       ground_truth_topic: str = "/ground_truth", init_topic: str = "/init_box",
                       warn=None) -> RecordedScore:
    """Score the node outputs recorded in ``recorded`` (Detection2DArray on
    ``detections_topic``, TrackerStatus on ``status_topic``) against the ground truth of
    ``ground_truth`` (default: ``recorded`` itself, when it was recorded with the played
    ground truth). Frames are matched by header stamp; the scored range starts at the frame of
    the first init box, whose prediction is that box (or, without one, at the first frame with
    a detection)."""
    from .io import print_warning

    warn = warn or print_warning
    outputs: Dict[int, tuple] = {}
    latencies: List[float] = []
    dropped: Optional[int] = None
    with BagReader(recorded, warn=warn) as reader:
        info = reader.topics.get(detections_topic)
        if info is None or not info.decodable:
            raise InvalidInputError(f"bag {recorded} has no {detections_topic} to score "
                                    f"(topics: {', '.join(sorted(reader.topics)) or 'none'})")
        for message in reader.messages([detections_topic]):
            outputs[stamp_to_ns(message.msg.header.stamp)] = detection_array_to_box(message.msg)
        status = reader.topics.get(status_topic)
        if status is not None and status.decodable:
            for message in reader.messages([status_topic]):
                if stamp_to_ns(message.msg.header.stamp) and message.msg.latency_ms > 0:
                    latencies.append(float(message.msg.latency_ms))
                dropped = int(message.msg.frames_dropped)
        gt_reader_path = ground_truth or recorded
        gt = read_ground_truth(reader, ground_truth_topic) if ground_truth is None else None
        init = first_init_box(reader, init_topic) if ground_truth is None else None
    if ground_truth is not None:
        with BagReader(ground_truth, warn=warn) as reader:
            gt = read_ground_truth(reader, ground_truth_topic)
            init = first_init_box(reader, init_topic)
    with_target = sum(1 for box, _ in outputs.values() if np.isfinite(box).all())
    if gt is None or not len(gt):
        warn(f"bag {gt_reader_path} has no ground truth on {ground_truth_topic}: rates and latency only")
        return RecordedScore(len(outputs), len(outputs), with_target, 0, None, None,
                             latency_summary(latencies), dropped)
    matched = match_outputs(gt, outputs)
    if init is not None:
        start = gt.index_of(init[0])
        if start is None:
            warn(f"the init box (stamp {init[0] / 1e9:.6f}) matches no ground-truth frame: nothing scored")
    else:
        hits = np.nonzero(np.isfinite(matched.boxes_xywh).all(axis=1))[0]
        start = int(hits[0]) if hits.size else None
    scores = None if start is None else score_frames(
        gt, matched, start, os.path.basename(str(recorded)),
        init_box_xywh=None if init is None else init[1])
    return RecordedScore(len(gt), int(matched.has_output.sum()), with_target,
                         0 if scores is None else len(gt) - start, start, scores,
                         latency_summary(latencies), dropped)
