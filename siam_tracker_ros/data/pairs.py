"""Training pairs (template crop, search crop, target box in the search crop) from annotated
videos, still images and the synthetic suite, with semantic negatives.

* :class:`SequencePairSource`: template and search frames of one annotated sequence (see
  :mod:`siam_tracker_ros.data.sequence`) at most ``max_gap`` frames apart, both with the
  target visible.
* :class:`StillImagePairSource`: one still image twice (the DaSiamRPN recipe: two different
  augmentations of the same frame); the target is a given box or a random textured region.
* :class:`PairSampler`: draws a source by weight, crops both parts with
  :mod:`siam_tracker_ros.data.augment` (the search crop shifts and scales the target, so the
  network cannot learn a centre bias) and, with probability ``negative_share``, replaces the
  search part with another target (of another sequence/image, or another region of the same
  frame): a negative pair.

Sampling is a pure function of ``(seed, index)``: any worker, any order, after any resume,
gives the same pair for the same index.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence as SequenceType, Tuple

import numpy as np

from ..core.boxes import context_side
from ..core.errors import ConfigError
from .augment import (CropJitter, SEARCH_JITTER, TEMPLATE_JITTER, jittered_crop,
                      photometric)
from .sequence import Sequence

BoxXYWH = Tuple[float, float, float, float]


@dataclass
class PairSample:
    """One training pair.

    template: (exemplar_size, exemplar_size, 3) uint8 BGR. search: (instance_size,
    instance_size, 3) uint8 BGR. search_box_xyxy: (4,) float32 crop pixels, the box of the
    object at the search crop's jittered centre -- the target for a positive pair, the other
    object for a negative pair. positive: whether that object is the template's target.
    source: name of the source that gave the template.
    """

    template: np.ndarray
    search: np.ndarray
    search_box_xyxy: np.ndarray
    positive: bool
    source: str


@dataclass(frozen=True)
class TargetView:
    """A frame (H, W, 3 uint8 BGR) with a target box (``box_xywh`` frame px); ``identity``
    tells targets apart (source name, sequence/image index); ``frame_index``: the frame's index
    in its sequence (-1 for stills)."""

    frame: np.ndarray
    box_xywh: BoxXYWH
    identity: Tuple[str, int]
    frame_index: int = -1


def flip_view(view: TargetView) -> TargetView:
    """The view mirrored left-right (frame and box)."""
    width = view.frame.shape[1]
    x, y, w, h = view.box_xywh
    return TargetView(np.ascontiguousarray(view.frame[:, ::-1]), (width - x - w, y, w, h), view.identity,
                      view.frame_index)


def _usable(box: np.ndarray, min_side: float) -> bool:
    return bool(np.all(np.isfinite(box)) and box[2] >= min_side and box[3] >= min_side)


class SequencePairSource:
    """Pairs from annotated sequences: a template frame with the target at least
    ``min_template_visibility`` visible, a search frame within ``max_gap`` frames with at least
    ``min_search_visibility``. Frames are read lazily (``sequence.frames[i]``).

    ``other_boxes``: optional, per sequence an (N, K, 4) ``box_xywh`` array of K other objects
    (NaN rows where absent): the semantic negatives "another target of the same sequence".
    """

    def __init__(self, sequences: SequenceType[Sequence], max_gap: int, name: str = "sequences",
                 min_template_visibility: float = 0.9, min_search_visibility: float = 0.5,
                 min_box_side: float = 4.0, other_boxes: Optional[SequenceType[np.ndarray]] = None):
        if max_gap < 0:
            raise ConfigError(f"pair source {name}: max_gap must be >= 0, got {max_gap}")
        if other_boxes is not None:
            if len(other_boxes) != len(sequences):
                raise ConfigError(f"pair source {name}: other_boxes for {len(other_boxes)} of "
                                  f"{len(sequences)} sequences")
            for seq, boxes in zip(sequences, other_boxes):
                if boxes.ndim != 3 or boxes.shape[0] != len(seq) or boxes.shape[2] != 4:
                    raise ConfigError(f"pair source {name}: other_boxes of {seq.name} must be "
                                      f"({len(seq)}, K, 4), got {boxes.shape}")
        self.other_boxes = None if other_boxes is None else [np.asarray(b, np.float64) for b in other_boxes]
        self.min_box_side = float(min_box_side)
        self.name = name
        self.max_gap = int(max_gap)
        self.sequences = list(sequences)
        self._template_frames: List[np.ndarray] = []
        self._search_ok: List[np.ndarray] = []
        for seq in self.sequences:
            ok = np.array([_usable(b, min_box_side) for b in seq.boxes_xywh]) & seq.visible
            self._template_frames.append(np.flatnonzero(ok & (seq.visibility_ratio >= min_template_visibility)))
            self._search_ok.append(ok & (seq.visibility_ratio >= min_search_visibility))
        self._usable = [i for i, t in enumerate(self._template_frames) if t.size]
        if not self._usable:
            raise ConfigError(f"pair source {name}: no sequence has a usable template frame")

    def __len__(self) -> int:
        return len(self._usable)

    def _view(self, seq_index: int, frame_index: int) -> TargetView:
        seq = self.sequences[seq_index]
        box = seq.boxes_xywh[frame_index]
        return TargetView(np.asarray(seq.frames[frame_index]), tuple(float(v) for v in box),
                          (self.name, seq_index), frame_index)

    def other_object(self, rng: np.random.Generator, view: TargetView) -> Optional[TargetView]:
        """Another object of ``view``'s frame (a semantic negative), or None when unknown."""
        if self.other_boxes is None or view.identity[0] != self.name or view.frame_index < 0:
            return None
        boxes = self.other_boxes[view.identity[1]][view.frame_index]
        usable = [b for b in boxes if _usable(b, self.min_box_side)]
        if not usable:
            return None
        box = usable[int(rng.integers(len(usable)))]
        return TargetView(view.frame, tuple(float(v) for v in box), (self.name, -2), view.frame_index)

    def sample_pair(self, rng: np.random.Generator) -> Tuple[TargetView, TargetView]:
        """(template view, search view) of the same target."""
        s = self._usable[int(rng.integers(len(self._usable)))]
        t = int(rng.choice(self._template_frames[s]))
        lo, hi = max(0, t - self.max_gap), min(len(self.sequences[s]), t + self.max_gap + 1)
        candidates = lo + np.flatnonzero(self._search_ok[s][lo:hi])
        u = int(rng.choice(candidates)) if candidates.size else t
        return self._view(s, t), self._view(s, u)

    def sample_target(self, rng: np.random.Generator) -> TargetView:
        """Any target view (for negatives)."""
        s = self._usable[int(rng.integers(len(self._usable)))]
        return self._view(s, int(rng.choice(self._template_frames[s])))


def random_region_xywh(image: np.ndarray, rng: np.random.Generator, tries: int = 4,
                       min_frac: float = 0.08, max_frac: float = 0.45,
                       max_aspect: float = 2.5) -> BoxXYWH:
    """A random box inside ``image`` (side ~ ``min_frac..max_frac`` of the short side, aspect up
    to ``max_aspect``): the most textured (highest grey-level std) of ``tries`` candidates."""
    height, width = image.shape[:2]
    short = min(height, width)
    best, best_std = None, -1.0
    for _ in range(max(1, tries)):
        side = short * float(rng.uniform(min_frac, max_frac))
        aspect = float(np.exp(rng.uniform(-np.log(max_aspect), np.log(max_aspect))))
        w = min(width - 2.0, side * np.sqrt(aspect))
        h = min(height - 2.0, side / np.sqrt(aspect))
        x = float(rng.uniform(0, width - w))
        y = float(rng.uniform(0, height - h))
        patch = image[int(y):int(y + h) + 1, int(x):int(x + w) + 1]
        std = float(patch.std()) if patch.size else 0.0
        if std > best_std:
            best, best_std = (x, y, w, h), std
    return best  # type: ignore[return-value]


class StillImagePairSource:
    """Pairs from still images (or frames of unlabelled videos): the same image twice, the
    target a given box per image or, when ``boxes_xywh`` is None, a random textured region."""

    def __init__(self, images: SequenceType[np.ndarray], boxes_xywh: Optional[SequenceType[BoxXYWH]] = None,
                 name: str = "stills"):
        if not images:
            raise ConfigError(f"pair source {name}: no images")
        if boxes_xywh is not None and len(boxes_xywh) != len(images):
            raise ConfigError(f"pair source {name}: {len(images)} images but {len(boxes_xywh)} boxes")
        for i, image in enumerate(images):
            if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or min(image.shape[:2]) < 32:
                raise ConfigError(f"pair source {name}: image {i} is not an HxWx3 uint8 image >= 32 px")
        self.name = name
        self.images = list(images)
        self.boxes = None if boxes_xywh is None else [tuple(float(v) for v in b) for b in boxes_xywh]

    def __len__(self) -> int:
        return len(self.images)

    def sample_target(self, rng: np.random.Generator) -> TargetView:
        i = int(rng.integers(len(self.images)))
        image = self.images[i]
        box = self.boxes[i] if self.boxes is not None else random_region_xywh(image, rng)
        return TargetView(image, box, (self.name, i))

    def sample_pair(self, rng: np.random.Generator) -> Tuple[TargetView, TargetView]:
        view = self.sample_target(rng)
        return view, view


def _centre_offset(a: BoxXYWH, b: BoxXYWH) -> float:
    """Largest per-axis distance between two boxes' centres."""
    return max(abs(a[0] + a[2] / 2 - b[0] - b[2] / 2), abs(a[1] + a[3] / 2 - b[1] - b[3] / 2))


def background_region(view: TargetView, rng: np.random.Generator, min_offset: float,
                      tries: int = 8) -> Optional[TargetView]:
    """A box of the target's size elsewhere in the same frame, its centre more than
    ``min_offset`` frame px from the target's on some axis; None if the frame has no room."""
    height, width = view.frame.shape[:2]
    x, y, w, h = view.box_xywh
    cx, cy = x + w / 2, y + h / 2
    for _ in range(tries):
        nx = float(rng.uniform(0, max(1.0, width - w)))
        ny = float(rng.uniform(0, max(1.0, height - h)))
        if max(abs(nx + w / 2 - cx), abs(ny + h / 2 - cy)) > min_offset:
            return TargetView(view.frame, (nx, ny, w, h), (view.identity[0], -1))
    return None


@dataclass(frozen=True)
class PairSamplerConfig:
    """How pairs are drawn.

    negative_share: fraction of negative pairs. same_frame_negative_share: of the negatives,
    the fraction taken from the search frame itself: another object of it when the source knows
    other objects' boxes, else another region (the rest: another target of another sequence or
    image). flip: probability of mirroring a pair.
    """

    exemplar_size: int = 127
    instance_size: int = 255
    context_amount: float = 0.5
    negative_share: float = 0.2
    same_frame_negative_share: float = 0.3
    flip: float = 0.0
    template_jitter: CropJitter = TEMPLATE_JITTER
    search_jitter: CropJitter = SEARCH_JITTER

    def __post_init__(self) -> None:
        for name in ("negative_share", "same_frame_negative_share", "flip"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not 0 < self.exemplar_size <= self.instance_size:
            raise ValueError("need 0 < exemplar_size <= instance_size")


class PairSampler:
    """Draws :class:`PairSample` number ``index`` from weighted sources, deterministically."""

    def __init__(self, sources: SequenceType, weights: SequenceType[float], config: PairSamplerConfig,
                 seed: int = 0):
        if not sources or len(sources) != len(weights):
            raise ConfigError("pair sampler: need one weight per source and at least one source")
        w = np.asarray(weights, dtype=np.float64)
        if np.any(w < 0) or w.sum() <= 0:
            raise ConfigError(f"pair sampler: weights must be >= 0 with a positive sum, got {list(weights)}")
        self.sources = list(sources)
        self.probs = w / w.sum()
        self.config = config
        self.seed = int(seed)

    def rng(self, index: int) -> np.random.Generator:
        """The random stream of pair ``index``."""
        return np.random.default_rng([self.seed, int(index)])

    def _negative_view(self, rng: np.random.Generator, template: TargetView,
                       search: TargetView, source=None) -> TargetView:
        cfg = self.config
        if rng.random() < cfg.same_frame_negative_share:
            # The true target must lie outside the labelled neighbourhood of the negative's
            # centre (+-3 cells of 8 crop px, plus its own half size).
            side = context_side(search.box_xywh[2:], cfg.context_amount)
            crop_px_per_frame_px = cfg.exemplar_size / side
            min_offset = (64.0 + 0.5 * max(search.box_xywh[2:]) * crop_px_per_frame_px) / crop_px_per_frame_px
            # Another object of the same frame when the source knows one (semantic negative) ...
            other = getattr(source, "other_object", None)
            view = other(rng, search) if other is not None else None
            if view is not None and _centre_offset(view.box_xywh, search.box_xywh) > min_offset:
                return view
            # ... else another region of it.
            view = background_region(search, rng, min_offset)
            if view is not None:
                return view
        for _ in range(8):
            source = self.sources[int(rng.choice(len(self.sources), p=self.probs))]
            view = source.sample_target(rng)
            if view.identity != template.identity:
                return view
        return view

    def sample(self, index: int) -> PairSample:
        """Pair number ``index`` (a pure function of the seed and the index)."""
        cfg = self.config
        rng = self.rng(index)
        k = int(rng.choice(len(self.sources), p=self.probs))
        source = self.sources[k]
        template_view, search_view = source.sample_pair(rng)
        positive = bool(rng.random() >= cfg.negative_share)
        if not positive:
            search_view = self._negative_view(rng, template_view, search_view, source)
        if rng.random() < cfg.flip:
            # Mirror the frames, not the crops: the crops keep the tracker's window geometry.
            template_view, search_view = flip_view(template_view), flip_view(search_view)
        z_side = context_side(template_view.box_xywh[2:], cfg.context_amount)
        template, _ = jittered_crop(template_view.frame, template_view.box_xywh, cfg.exemplar_size,
                                    z_side, cfg.template_jitter, rng)
        x_side = context_side(search_view.box_xywh[2:], cfg.context_amount) * cfg.instance_size / cfg.exemplar_size
        search, box = jittered_crop(search_view.frame, search_view.box_xywh, cfg.instance_size,
                                    x_side, cfg.search_jitter, rng)
        template = photometric(template, cfg.template_jitter, rng)
        search = photometric(search, cfg.search_jitter, rng)
        return PairSample(template, search, box, positive, source.name)
