"""The one sequence type shared by synthetic sequences, dataset readers and the evaluation runner.

Ground-truth convention (normalised once, when a sequence is built):

* ``boxes_xywh``: (N, 4) float64, 0-based pixels, (x, y) = top-left corner, w/h > 0. A row is
  NaN where the target is absent (out of view, or annotated as absent by the dataset).
* ``visible``: (N,) bool, True where the target can be seen (False when absent, fully occluded
  or out of view). A frame may have a finite box and ``visible`` False (full occlusion with a
  known position).
* ``visibility_ratio``: (N,) float64 in [0, 1], fraction of the target that can be seen
  (1.0/0.0 when a dataset only says visible/absent).
* ``polygons``: optional (N, 4, 2) float64 corner points (VOT rotated boxes, synthetic rotated
  targets), NaN rows where absent.

Frames are HxWx3 uint8 BGR arrays, produced on demand by a :class:`FrameSource` (anything with
``len`` and integer indexing), so long sequences never sit in memory at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, Optional, Sequence as SequenceType, Tuple, Union, overload

import numpy as np

from ..core.errors import InvalidInputError


class FrameSource:
    """Base of lazy frame collections: ``len(frames)``, ``frames[i]`` (HxWx3 uint8 BGR),
    ``frames[a:b]`` (a list) and iteration. Subclasses implement ``__len__`` and ``_load``."""

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _load(self, index: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> np.ndarray: ...

    @overload
    def __getitem__(self, index: slice) -> list: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._load(i) for i in range(*index.indices(len(self)))]
        i = int(index)
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"frame index {index} out of range for {n} frames")
        return self._load(i)

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self._load(i)


class ImageFileFrames(FrameSource):
    """Frames read from image files with ``cv2.imread`` when indexed (never cached)."""

    def __init__(self, paths: SequenceType[str]):
        self.paths = [str(p) for p in paths]

    def __len__(self) -> int:
        return len(self.paths)

    def _load(self, index: int) -> np.ndarray:
        import cv2

        path = self.paths[index]
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise InvalidInputError(f"cannot read frame image {path}")
        return image


Frames = Union[FrameSource, SequenceType[np.ndarray]]


@dataclass
class Sequence:
    """One annotated sequence; see the module docstring for the ground-truth convention.

    ``attributes``: sequence-level challenge tags (e.g. ``"occlusion"``, ``"out_of_view"``).
    ``frame_flags``: optional per-frame bool arrays (N,) by name (e.g. ``"full_occlusion"``,
    ``"out_of_view"`` from LaSOT, ``"occluder"`` on synthetic sequences).
    """

    name: str
    frames: Frames
    boxes_xywh: np.ndarray
    visible: np.ndarray
    visibility_ratio: np.ndarray
    attributes: Tuple[str, ...] = ()
    polygons: Optional[np.ndarray] = None
    frame_flags: Dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.boxes_xywh.shape[0])

    @property
    def init_box_xywh(self) -> Tuple[float, float, float, float]:
        """Ground-truth box of frame 0 (the initialisation box) as 4 floats."""
        box = self.boxes_xywh[0]
        if not np.all(np.isfinite(box)):
            raise InvalidInputError(f"sequence {self.name}: frame 0 has no ground-truth box")
        return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))

    def validate(self) -> "Sequence":
        """Check array shapes/dtypes agree with the number of frames; returns self."""
        n = len(self.frames)
        if self.boxes_xywh.shape != (n, 4):
            raise InvalidInputError(
                f"sequence {self.name}: {n} frames but ground truth of shape {self.boxes_xywh.shape}")
        if self.visible.shape != (n,) or self.visibility_ratio.shape != (n,):
            raise InvalidInputError(f"sequence {self.name}: visibility arrays do not have {n} rows")
        if self.polygons is not None and self.polygons.shape != (n, 4, 2):
            raise InvalidInputError(f"sequence {self.name}: polygons of shape {self.polygons.shape}")
        return self
