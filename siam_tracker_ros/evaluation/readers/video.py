"""Video files with ground truth: ``ROOT`` is a video file or a folder of videos; the ground truth
of ``name.mp4`` is ``name.txt`` (or ``name_groundtruth.txt``, or ``groundtruth.txt`` for a single
video) next to it. Frames are decoded lazily and sequentially (a backwards index re-opens the
file); the sequence length is the number of ground-truth lines."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import numpy as np

from ...core.errors import InvalidInputError
from ...data.sequence import FrameSource, Sequence
from ...data.images import is_video_file, natural_key
from ..sequences import normalize_rows, parse_value_lines, require_dir



class VideoFrames(FrameSource):
    """The first ``count`` frames of a video file, decoded on demand with cv2.VideoCapture."""

    def __init__(self, path: str, count: int):
        self.path = str(path)
        self.count = int(count)
        self._capture = None
        self._next = 0
        self._last: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return self.count

    def _open(self) -> None:
        import cv2

        if self._capture is not None:
            self._capture.release()
        self._capture = cv2.VideoCapture(self.path)
        if not self._capture.isOpened():
            raise InvalidInputError(f"cannot open video {self.path}")
        self._next = 0
        self._last = None

    def _load(self, index: int) -> np.ndarray:
        if self._capture is None or index < self._next - 1:
            self._open()
        if index == self._next - 1 and self._last is not None:
            return self._last.copy()
        while self._next <= index:
            ok, frame = self._capture.read()
            if not ok:
                raise InvalidInputError(f"video {self.path} ends at frame {self._next}, "
                                        f"ground truth has {self.count} lines")
            self._next += 1
            self._last = frame
        return self._last.copy()

    def __getstate__(self):  # picklable for worker processes: the capture is reopened there
        state = dict(self.__dict__)
        state.update(_capture=None, _next=0, _last=None)
        return state


def _ground_truth_for(video: Path, single: bool) -> Optional[Path]:
    candidates = [video.with_suffix(".txt"), video.with_name(video.stem + "_groundtruth.txt")]
    if single:
        candidates.append(video.with_name("groundtruth.txt"))
    return next((c for c in candidates if c.is_file()), None)


def load_video_sequence(video: Path, gt_file: Path) -> Sequence:
    boxes, polygons = normalize_rows(parse_value_lines(gt_file), str(gt_file))
    visible = np.isfinite(boxes).all(axis=1)
    return Sequence(name=video.stem, frames=VideoFrames(str(video), len(boxes)), boxes_xywh=boxes,
                    visible=visible, visibility_ratio=visible.astype(np.float64),
                    polygons=polygons).validate()


def load_videos(root: Optional[str]) -> List[Sequence]:
    path = require_dir(root, "video")
    videos = [path] if path.is_file() else sorted(
        (p for p in path.iterdir() if is_video_file(p.name)), key=lambda p: natural_key(p.name))
    sequences = []
    for video in videos:
        gt_file = _ground_truth_for(video, single=len(videos) == 1)
        if gt_file is None:
            raise InvalidInputError(f"video {video} has no ground truth ({video.stem}.txt next to it)")
        sequences.append(load_video_sequence(video, gt_file))
    return sequences
