"""From a :class:`DataSection` to a torch ``Dataset`` of labelled training pairs.

Item ``i`` of :class:`PairDataset` is pair ``i`` of the :class:`PairSampler` with its labels:
``template`` (3, 127, 127) uint8, ``search`` (3, 255, 255) uint8 (BGR, channels first; the
trainer casts to float32 0..255), ``positive`` bool, ``box`` (4,) float32 xyxy search-crop px,
and for RPN heads ``cls`` (A, S, S) int64, ``delta`` (4, A, S, S) float32, ``delta_weight``
(A, S, S) float32 (:class:`RPNLabeller`); for point heads ``cls`` (1, S, S) int64 and ``ltrb``
(4, S, S) float32 (:class:`PointLabeller`).
"""
from __future__ import annotations

import dataclasses

import os
from typing import List, Sequence as SequenceType

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from ..core.errors import ConfigError
from ..data.images import is_image_file, is_video_file
from ..data.pairs import PairSampler, PairSamplerConfig, SequencePairSource, StillImagePairSource
from ..data.synthetic import SyntheticSpec, generate_sequence
from .config import DataSection, SyntheticSource, TargetSection
from .point_targets import PointTargetConfig, point_grid, point_targets
from .targets import RPNTargetConfig, anchor_boxes_cxcywh, rpn_targets



def _limit_side(image: np.ndarray, max_side: int) -> np.ndarray:
    scale = max_side / float(max(image.shape[:2]))
    if scale >= 1.0:
        return image
    size = (max(1, int(round(image.shape[1] * scale))), max(1, int(round(image.shape[0] * scale))))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def load_images(folder: str, max_side: int) -> List[np.ndarray]:
    """Every readable colour image in ``folder`` (sorted by name), shrunk to ``max_side``."""
    if not os.path.isdir(folder):
        raise ConfigError(f"image folder not found: {folder} (run scripts/fetch_training_data.sh)")
    images = []
    for name in sorted(os.listdir(folder)):
        if is_image_file(name):
            image = cv2.imread(os.path.join(folder, name), cv2.IMREAD_COLOR)
            if image is not None and min(image.shape[:2]) >= 32:
                images.append(_limit_side(image, max_side))
    if not images:
        raise ConfigError(f"no readable images in {folder}")
    return images


def load_video_frames(folder: str, frames_per_video: int, max_side: int) -> List[np.ndarray]:
    """``frames_per_video`` evenly spaced frames of every video in ``folder``."""
    if not os.path.isdir(folder):
        raise ConfigError(f"video folder not found: {folder} (run scripts/fetch_training_data.sh)")
    frames: List[np.ndarray] = []
    for name in sorted(os.listdir(folder)):
        if not is_video_file(name):
            continue
        capture = cv2.VideoCapture(os.path.join(folder, name))
        decoded = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            decoded.append(frame)
        capture.release()
        if not decoded:
            continue
        picks = np.unique(np.linspace(0, len(decoded) - 1, max(1, frames_per_video)).round().astype(int))
        frames.extend(_limit_side(decoded[i], max_side) for i in picks)
    if not frames:
        raise ConfigError(f"no readable videos in {folder}")
    return frames


def synthetic_training_sequences(source: SyntheticSource) -> list:
    """``source.sequences`` random synthetic sequences (lazy frames) with every challenge
    switched on at random; spec ``k`` is a pure function of ``source.seed + k``."""
    sequences = []
    for k in range(source.sequences):
        seed = source.seed + k
        rng = np.random.default_rng([seed, 7])
        n = int(source.frames)
        tw, th = int(rng.integers(20, 64)), int(rng.integers(20, 64))
        scale_end = float(np.exp(rng.uniform(np.log(0.6), np.log(1.6))))
        scale_end = min(scale_end, 0.48 * 240 / max(tw, th), 0.48 * 320 / max(tw, th))
        occlusions = ()
        if rng.random() < 0.4 and n > 40:
            start = int(rng.integers(5, n - 30))
            occlusions = ((start, int(rng.integers(5, 20)), float(rng.choice([0.3, 0.6, 1.0]))),)
        fast = ((int(rng.integers(5, n - 10)), 4),) if rng.random() < 0.3 and n > 20 else ()
        kinds = source.distractor_kinds
        kind = kinds[0] if len(kinds) == 1 else str(kinds[int(rng.integers(len(kinds)))])
        spec = SyntheticSpec(
            seed=seed, num_frames=n, target_size_wh=(tw, th), scale_range=(1.0, scale_end),
            speed_px=float(rng.uniform(0.5, 4.0)), fast_motion_frames=fast,
            rotation_deg_per_frame=float(rng.choice([0.0, 0.0, rng.uniform(-1.5, 1.5)])),
            occlusions=occlusions, distractors=int(rng.integers(0, 4)), distractor_kind=kind,
            illumination_change=float(rng.choice([0.0, rng.uniform(0.1, 0.5)])),
            motion_blur=bool(rng.random() < 0.3), name=f"train-synthetic-{seed}")
        try:
            sequences.append(generate_sequence(spec))
        except ConfigError:
            continue   # an unlucky geometry (e.g. target not visible on frame 0): skip it
    return sequences


def synthetic_distractor_boxes(seq) -> np.ndarray:
    """(N, K, 4) ``box_xywh`` of a synthetic sequence's look-alike distractors that are not
    exact copies of the target (NaN where less than half of one is inside the frame).

    Reads the generator's per-frame geometry (``seq.frames.distractors``: centres, sizes,
    angles); a sequence without it gives K = 0."""
    frames = seq.frames
    objects = list(getattr(frames, "distractors", []) or [])
    target = getattr(frames, "target", None)
    n = len(seq)
    width, height = getattr(frames, "frame_wh", (0, 0))
    keep = [obj for obj in objects if target is None or obj.texture is not target.texture]
    boxes = np.full((n, len(keep), 4), np.nan)
    for k, obj in enumerate(keep):
        c, s = np.abs(np.cos(obj.angles)), np.abs(np.sin(obj.angles))
        hx = 0.5 * (obj.sizes[:, 0] * c + obj.sizes[:, 1] * s)
        hy = 0.5 * (obj.sizes[:, 0] * s + obj.sizes[:, 1] * c)
        x0 = np.clip(obj.centres[:, 0] - hx, 0, width)
        x1 = np.clip(obj.centres[:, 0] + hx, 0, width)
        y0 = np.clip(obj.centres[:, 1] - hy, 0, height)
        y1 = np.clip(obj.centres[:, 1] + hy, 0, height)
        inside = (x1 - x0) * (y1 - y0) >= 0.5 * (4 * hx * hy)
        ok = inside & np.asarray(obj.present, bool)
        boxes[ok, k] = np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)[ok]
    return boxes


def build_sources(data: DataSection):
    """(sources, weights) from the config's data section."""
    sources, weights = [], []
    if data.synthetic.sequences > 0 and data.synthetic.weight > 0:
        sequences = synthetic_training_sequences(data.synthetic)
        others = ([synthetic_distractor_boxes(seq) for seq in sequences]
                  if data.synthetic.semantic_negatives else None)
        sources.append(SequencePairSource(sequences, data.synthetic.max_gap, name="synthetic",
                                          other_boxes=others))
        weights.append(data.synthetic.weight)
    for i, entry in enumerate(data.images):
        sources.append(StillImagePairSource(load_images(entry.dir, entry.max_side), name=f"images{i}"))
        weights.append(entry.weight)
    for i, entry in enumerate(data.videos):
        frames = load_video_frames(entry.dir, entry.frames_per_video, entry.max_side)
        sources.append(StillImagePairSource(frames, name=f"videos{i}"))
        weights.append(entry.weight)
    for i, entry in enumerate(data.datasets):
        sources.append(SequencePairSource(_read_dataset(entry.format, entry.root), entry.max_gap,
                                          name=f"{entry.format}{i}"))
        weights.append(entry.weight)
    if not sources:
        raise ConfigError("training data: no source with a positive weight")
    return sources, weights


def _read_dataset(fmt: str, root: str) -> list:
    """Annotated sequences of dataset format ``fmt`` under ``root`` through the evaluation readers
    (``siam_tracker_ros.evaluation.datasets.load_dataset``; an unknown format is an error)."""
    from ..evaluation.datasets import load_dataset
    return list(load_dataset(fmt, root))


def sampler_config(data: DataSection, exemplar_size: int, instance_size: int,
                   context_amount: float) -> PairSamplerConfig:
    return PairSamplerConfig(exemplar_size=exemplar_size, instance_size=instance_size,
                             context_amount=context_amount, negative_share=data.negative_share,
                             same_frame_negative_share=data.same_frame_negative_share, flip=data.flip,
                             template_jitter=data.template_jitter, search_jitter=data.search_jitter)


def rpn_target_config(targets: TargetSection) -> RPNTargetConfig:
    """The RPN part of the ``targets`` section (which extends :class:`RPNTargetConfig`)."""
    return RPNTargetConfig(**{f.name: getattr(targets, f.name)
                              for f in dataclasses.fields(RPNTargetConfig)})


def point_target_config(targets: TargetSection) -> PointTargetConfig:
    """The point-head part of the ``targets`` section."""
    try:
        return PointTargetConfig(pos_num=targets.pos_num, total_num=targets.total_num,
                                 neg_num=targets.neg_num, pos_ellipse=targets.pos_ellipse,
                                 neg_ellipse=targets.neg_ellipse,
                                 force_nearest_positive=targets.force_best_positive)
    except ValueError as exc:
        raise ConfigError(f"targets: {exc}") from None


class RPNLabeller:
    """Anchor labels of one pair: ``cls`` (A, S, S), ``delta`` (4, A, S, S), ``delta_weight``."""

    def __init__(self, score_size: int, stride: int, ratios: SequenceType[float],
                 scales: SequenceType[float], targets: RPNTargetConfig, instance_size: int):
        self.targets = targets
        self.stride = int(stride)
        self.anchors = anchor_boxes_cxcywh(score_size, stride, ratios, scales, instance_size)

    def __call__(self, box_xyxy: np.ndarray, positive: bool, rng: np.random.Generator) -> dict:
        cls, delta, weight = rpn_targets(self.anchors, box_xyxy, positive, self.targets, rng, self.stride)
        return {"cls": torch.from_numpy(cls), "delta": torch.from_numpy(delta),
                "delta_weight": torch.from_numpy(weight)}


class PointLabeller:
    """Point labels of one pair (NanoTrack / BAN heads): ``cls`` (1, S, S), ``ltrb`` (4, S, S)."""

    def __init__(self, score_size: int, stride: int, targets: PointTargetConfig, instance_size: int):
        self.targets = targets
        self.grid = point_grid(score_size, stride, instance_size)

    def __call__(self, box_xyxy: np.ndarray, positive: bool, rng: np.random.Generator) -> dict:
        cls, ltrb = point_targets(self.grid, box_xyxy, positive, self.targets, rng)
        return {"cls": torch.from_numpy(cls), "ltrb": torch.from_numpy(ltrb)}


class PairDataset(Dataset):
    """Labelled pairs ``offset .. offset + length - 1`` of ``sampler`` (see module doc);
    ``labeller(box_xyxy, positive, rng)`` gives the head's label tensors."""

    def __init__(self, sampler: PairSampler, length: int, labeller, offset: int = 0):
        self.sampler = sampler
        self.length = int(length)
        self.offset = int(offset)
        self.labeller = labeller

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> dict:
        index = self.offset + int(i)
        pair = self.sampler.sample(index)
        label_rng = np.random.default_rng([self.sampler.seed, index, 1])
        item = {
            "template": torch.from_numpy(np.ascontiguousarray(pair.template.transpose(2, 0, 1))),
            "search": torch.from_numpy(np.ascontiguousarray(pair.search.transpose(2, 0, 1))),
            "positive": torch.tensor(pair.positive),
            "box": torch.from_numpy(pair.search_box_xyxy.astype(np.float32)),
        }
        item.update(self.labeller(pair.search_box_xyxy, pair.positive, label_rng))
        return item


def worker_init(_worker_id: int) -> None:
    """DataLoader worker setup: one OpenCV and one torch thread per worker process."""
    cv2.setNumThreads(1)
    torch.set_num_threads(1)

