"""A dataset sequence (or video / folder of frames) as a ROS 2 bag: what a camera, an operator
and an annotator would have published (rosbags only; no rclpy needed).

Topics (defaults, see :class:`BagTopics`), all with ``header.frame_id = "camera"`` and
``header.stamp`` of frame i = ``start_ns + round(i * 1e9 / rate_hz)``:

==============================  ==============================  ===================================
topic                           type                            content
==============================  ==============================  ===================================
/camera/image_raw               sensor_msgs/Image bgr8          every frame (raw)
/camera/image_raw/compressed    sensor_msgs/CompressedImage     every frame (``compressed``: JPEG,
                                                                format "bgr8; jpeg compressed bgr8")
/camera/camera_info             sensor_msgs/CameraInfo          every frame: size only (uncalibrated:
                                                                D, K, R, P zero)
/init_box                       vision_msgs/Detection2D         once: the initialisation box, header
                                                                of the init frame (node ``init_box``)
/ground_truth                   vision_msgs/Detection2DArray    every frame: 1 detection (bbox = box,
                                                                score 1 visible / 0 occluded, class
                                                                ``target``), empty when absent
==============================  ==============================  ===================================

Receive times (``log_ns``) equal the header stamps, except the init box, logged half a frame
period after its frame (the operator clicks after seeing it). Boxes are ``box_xywh`` pixels
converted with siam_tracker_ros.ros.detection_conversion (centre + size).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence as SequenceType, Tuple

import cv2
import numpy as np

from ...core.errors import InvalidInputError
from ...core.types import validate_init_box
from ...data.sequence import Sequence
from .. import detection_conversion, image_conversion
from ..stamps import set_stamp_ns
from . import types as bag_types
from .io import BagWriter

DEFAULT_START_NS = 1_700_000_000 * 1_000_000_000    # 2023-11-14 22:13:20 UTC: a plausible clock
DEFAULT_RATE_HZ = 30.0
DEFAULT_JPEG_QUALITY = 90
COMPRESSED_FORMAT = "bgr8; jpeg compressed bgr8"      # what image_transport's compressed plugin sets
GROUND_TRUTH_LABEL = "target"


@dataclass(frozen=True)
class BagTopics:
    """Topic names of a made bag (and what ``bag eval`` looks for by default)."""

    image: str = "/camera/image_raw"
    compressed_image: str = "/camera/image_raw/compressed"
    camera_info: str = "/camera/camera_info"
    init_box: str = "/init_box"
    ground_truth: str = "/ground_truth"


@dataclass(frozen=True)
class MakeOptions:
    """How to write: storage (mcap | sqlite3), JPEG instead of raw, frame rate (Hz), stamp of
    frame 0 (ns), JPEG quality (0-100), header frame id, replace an existing bag."""

    storage: str = "mcap"
    compressed: bool = False
    rate_hz: float = DEFAULT_RATE_HZ
    start_ns: int = DEFAULT_START_NS
    jpeg_quality: int = DEFAULT_JPEG_QUALITY
    frame_id: str = "camera"
    force: bool = False
    topics: BagTopics = field(default_factory=BagTopics)

    def __post_init__(self) -> None:
        if not (self.rate_hz > 0 and np.isfinite(self.rate_hz)):
            raise InvalidInputError(f"rate must be a positive number of Hz, got {self.rate_hz}")
        if self.start_ns <= 0:
            raise InvalidInputError("start stamp must be > 0 (a zero stamp means 'newest frame' to the node)")
        if not 0 <= self.jpeg_quality <= 100:
            raise InvalidInputError(f"JPEG quality must be 0..100, got {self.jpeg_quality}")


@dataclass(frozen=True)
class MakeSummary:
    """What was written."""

    path: Path
    name: str
    frames: int
    frame_size_wh: Tuple[int, int]
    storage: str
    compressed: bool
    has_ground_truth: bool
    init_box_xywh: Tuple[float, float, float, float]
    init_frame: int
    bytes: int
    seconds: float


def frame_stamp_ns(index: int, rate_hz: float, start_ns: int = DEFAULT_START_NS) -> int:
    """Header stamp (ns) of frame ``index`` at ``rate_hz``."""
    return int(start_ns) + int(round(index * 1e9 / rate_hz))


def make_header(stamp_ns_: int, frame_id: str):
    """std_msgs/Header of the class the conversion functions use (rclpy's when installed)."""
    header = image_conversion.Header()
    set_stamp_ns(header.stamp, stamp_ns_)
    header.frame_id = frame_id
    return header


def compressed_message(frame: np.ndarray, header, quality: int = DEFAULT_JPEG_QUALITY):
    """(H, W, 3) uint8 BGR frame -> sensor_msgs/CompressedImage (JPEG), header copied."""
    ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise InvalidInputError(f"cannot JPEG-encode a frame of shape {frame.shape}")
    return bag_types.CompressedImage(header=header, format=COMPRESSED_FORMAT,
                                     data=np.asarray(encoded, dtype=np.uint8).ravel())


def camera_info_message(header, width: int, height: int):
    """sensor_msgs/CameraInfo with the image size only (uncalibrated: matrices zero)."""
    return bag_types.CameraInfo(header=header, width=int(width), height=int(height),
                                distortion_model="plumb_bob", d=np.zeros(5))


def ground_truth_message(header, box_xywh: Optional[SequenceType[float]], visible: bool):
    """Detection2DArray: one detection (score 1 visible / 0 occluded) or none (absent)."""
    array_msg = detection_conversion.Detection2DArray()
    array_msg.header = header
    if box_xywh is not None and np.all(np.isfinite(box_xywh)):
        array_msg.detections = [detection_conversion.box_xywh_to_detection(
            box_xywh, header, "", GROUND_TRUTH_LABEL, 1.0 if visible else 0.0)]
    return array_msg


def _check_frame(frame: np.ndarray, index: int, size_wh: Optional[Tuple[int, int]]) -> Tuple[int, int]:
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise InvalidInputError(f"frame {index} is not an (H, W, 3) uint8 BGR image")
    wh = (int(frame.shape[1]), int(frame.shape[0]))
    if size_wh is not None and wh != size_wh:
        raise InvalidInputError(f"frame {index} is {wh[0]}x{wh[1]}, earlier frames {size_wh[0]}x{size_wh[1]}")
    return wh


def write_bag(frames: Iterable[np.ndarray], out: os.PathLike, name: str = "",
              boxes_xywh: Optional[np.ndarray] = None, visible: Optional[np.ndarray] = None,
              init_box_xywh: Optional[SequenceType[float]] = None, init_frame: int = 0,
              options: MakeOptions = MakeOptions(), total: Optional[int] = None,
              progress: bool = False) -> MakeSummary:
    """Write ``frames`` ((H, W, 3) uint8 BGR) with optional ground truth ``boxes_xywh`` (N, 4)
    (NaN rows = absent) and ``visible`` (N,) bool into a new bag at ``out``.

    The init box is ``init_box_xywh`` or else the ground truth of ``init_frame``; without either
    the bag has no /init_box. Ground-truth rows beyond the frames are ignored; frames beyond the
    ground truth get none."""
    started = time.perf_counter()
    topics = options.topics
    has_gt = boxes_xywh is not None
    if has_gt:
        boxes_xywh = np.asarray(boxes_xywh, dtype=np.float64).reshape(-1, 4)
        visible = np.isfinite(boxes_xywh).all(axis=1) if visible is None else np.asarray(visible, dtype=bool)
    if init_box_xywh is None and has_gt and init_frame < len(boxes_xywh) \
            and np.all(np.isfinite(boxes_xywh[init_frame])):
        init_box_xywh = tuple(float(v) for v in boxes_xywh[init_frame])
    bar = _progress(total, f"bag make {name}".strip()) if progress else None
    size_wh = None
    count = 0
    period_ns = 1e9 / options.rate_hz
    with BagWriter(out, options.storage, force=options.force) as writer:
        image_topic = topics.compressed_image if options.compressed else topics.image
        writer.add_topic(image_topic, bag_types.COMPRESSED_IMAGE if options.compressed else bag_types.IMAGE)
        writer.add_topic(topics.camera_info, bag_types.CAMERA_INFO)
        if init_box_xywh is not None:
            writer.add_topic(topics.init_box, bag_types.DETECTION_2D)
        if has_gt:
            writer.add_topic(topics.ground_truth, bag_types.DETECTION_2D_ARRAY)
        for index, frame in enumerate(frames):
            size_wh = _check_frame(frame, index, size_wh)
            stamp = frame_stamp_ns(index, options.rate_hz, options.start_ns)
            header = make_header(stamp, options.frame_id)
            if options.compressed:
                writer.write(image_topic, stamp, compressed_message(frame, header, options.jpeg_quality))
            else:
                writer.write(image_topic, stamp, image_conversion.bgr_to_image(frame, header))
            writer.write(topics.camera_info, stamp, camera_info_message(header, *size_wh))
            if index == init_frame and init_box_xywh is not None:
                box = validate_init_box(init_box_xywh, frame.shape)
                init_msg = detection_conversion.box_xywh_to_detection(box, header, "", "", 1.0)
                writer.write(topics.init_box, stamp + int(period_ns // 2), init_msg)
            if has_gt:
                row = boxes_xywh[index] if index < len(boxes_xywh) else None
                seen = bool(visible[index]) if index < len(visible) else False
                writer.write(topics.ground_truth, stamp, ground_truth_message(header, row, seen))
            count += 1
            if bar is not None:
                bar.update(1)
        if count == 0:
            raise InvalidInputError(f"source {name or out} has no frames")
        if init_box_xywh is not None and init_frame >= count:
            raise InvalidInputError(f"init frame {init_frame} is beyond the {count} frames")
    if bar is not None:
        bar.close()
    out = Path(out)
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    return MakeSummary(out, name, count, size_wh, options.storage, options.compressed, has_gt,
                       tuple(init_box_xywh) if init_box_xywh is not None else (), init_frame, size,
                       time.perf_counter() - started)


def write_sequence_bag(sequence: Sequence, out: os.PathLike, options: MakeOptions = MakeOptions(),
                       max_frames: Optional[int] = None, init_box_xywh: Optional[SequenceType[float]] = None,
                       progress: bool = False) -> MakeSummary:
    """:func:`write_bag` of a dataset / synthetic :class:`Sequence` (first ``max_frames``)."""
    n = len(sequence) if max_frames is None else min(len(sequence), int(max_frames))
    if n < 1:
        raise InvalidInputError("max frames must be >= 1")
    frames = (sequence.frames[i] for i in range(n))
    return write_bag(frames, out, sequence.name, sequence.boxes_xywh[:n], sequence.visible[:n],
                     init_box_xywh=init_box_xywh, options=options, total=n, progress=progress)


# --------------------------------------------------------------------------- sources

@dataclass
class Source:
    """Frames to bag: a Sequence (ground truth known) or bare frames (``frames``, ``count``
    None when unknown)."""

    name: str
    sequence: Optional[Sequence] = None
    frames: Optional[Iterable[np.ndarray]] = None
    count: Optional[int] = None


def _video_frames(path: Path) -> Iterator[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise InvalidInputError(f"cannot open video {path}")
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield frame
    finally:
        capture.release()


def _image_frames(paths: SequenceType[str]) -> Iterator[np.ndarray]:
    for path in paths:
        frame = cv2.imread(path, cv2.IMREAD_COLOR)
        if frame is None:
            raise InvalidInputError(f"cannot read frame image {path}")
        yield frame


def _synthetic(spec_text: str) -> Sequence:
    from ...data.synthetic import PRESETS, generate_sequence

    preset, _, which = spec_text.partition("/")
    if preset not in PRESETS:
        raise InvalidInputError(f"unknown synthetic preset {preset!r} (known: {', '.join(sorted(PRESETS))})")
    specs = PRESETS[preset]
    names = [s.name for s in specs]
    if not which:
        raise InvalidInputError(f"say which sequence: synthetic:{preset}/<name or index> "
                                f"({', '.join(names)})")
    if which in names:
        return generate_sequence(specs[names.index(which)])
    if which.isdigit() and int(which) < len(specs):
        return generate_sequence(specs[int(which)])
    raise InvalidInputError(f"preset {preset} has no sequence {which!r} ({', '.join(names)})")


def load_source(source: Optional[str], dataset: Optional[str] = None, root: Optional[str] = None,
                sequence_name: Optional[str] = None) -> Source:
    """Resolve ``bag make``'s SOURCE:

    - ``synthetic:<preset>/<sequence name or index>`` (e.g. ``synthetic:lt-small/0``);
    - a folder with ``groundtruth.txt`` and frames (``img/``, ``color/`` or directly in it), or
      a folder of frames only (no ground truth);
    - a video file, with ground truth ``<name>.txt`` next to it or none;
    - ``--dataset NAME --root DIR --sequence NAME`` (any dataset reader) instead of SOURCE.
    """
    from ...data.images import list_images
    from ...evaluation.datasets import load_dataset

    if dataset:
        if source:
            raise InvalidInputError("give either SOURCE or --dataset/--root/--sequence, not both")
        if not sequence_name:
            raise InvalidInputError("--dataset needs --sequence NAME")
        sequence = load_dataset(dataset, root, [sequence_name])[0]
        return Source(sequence.name, sequence=sequence)
    if not source:
        raise InvalidInputError("give SOURCE (synthetic:<preset>/<seq>, a frame folder or a video) "
                                "or --dataset/--root/--sequence")
    if source.startswith("synthetic:"):
        sequence = _synthetic(source[len("synthetic:"):])
        return Source(sequence.name, sequence=sequence)
    path = Path(source)
    if not path.exists():
        raise InvalidInputError(f"source {source} does not exist")
    if path.is_dir():
        if (path / "groundtruth.txt").is_file():
            from ...evaluation.readers.folder import load_folder_sequence

            sequence = load_folder_sequence(path)
            return Source(sequence.name, sequence=sequence)
        paths = list_images(path / "img") or list_images(path / "color") or list_images(path)
        if not paths:
            raise InvalidInputError(f"folder {path} holds no images (nor img/ or color/)")
        return Source(path.name, frames=_image_frames(paths), count=len(paths))
    from ...data.images import VIDEO_EXTENSIONS
    from ...evaluation.readers.video import _ground_truth_for, load_video_sequence

    if path.suffix.lower() not in VIDEO_EXTENSIONS:
        raise InvalidInputError(f"source {source}: not a folder or a video ({', '.join(VIDEO_EXTENSIONS)})")
    gt_file = _ground_truth_for(path, single=True)
    if gt_file is not None:
        sequence = load_video_sequence(path, gt_file)
        return Source(sequence.name, sequence=sequence)
    return Source(path.stem, frames=_video_frames(path), count=None)


def write_source_bag(source: Source, out: os.PathLike, options: MakeOptions = MakeOptions(),
                     max_frames: Optional[int] = None, init_box_xywh: Optional[SequenceType[float]] = None,
                     progress: bool = False) -> MakeSummary:
    """Bag a :class:`Source` (see :func:`load_source`)."""
    if source.sequence is not None:
        return write_sequence_bag(source.sequence, out, options, max_frames, init_box_xywh, progress)
    frames: Iterable[np.ndarray] = source.frames
    total = source.count
    if max_frames is not None:
        frames = (f for i, f in zip(range(int(max_frames)), frames))
        total = min(total, int(max_frames)) if total is not None else int(max_frames)
    return write_bag(frames, out, source.name, init_box_xywh=init_box_xywh, options=options,
                     total=total, progress=progress)


def _progress(total: Optional[int], desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="frame", leave=False)
