"""Read frames from a video file or a folder of images, one at a time (never all in memory).

``open_frame_source(path)`` returns a :class:`FrameStream`: iterate it for (H, W, 3) uint8 BGR
frames (what ``cv2.imread`` / ``cv2.VideoCapture`` give). A folder's images
(``data.images.IMAGE_EXTENSIONS``, any case) are taken in natural name order (``2.png`` before
``10.png``). Problems raise :class:`InvalidInputError` with one readable line: missing path,
empty folder, a file OpenCV cannot decode (checked on the first frame when opening), a frame
that fails later.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Optional, Union

import cv2
import numpy as np

from ..core.errors import InvalidInputError
from .images import IMAGE_EXTENSIONS, is_image_file, list_image_files, natural_key  # noqa: F401


class FrameStream:
    """Frames of one source. ``frame_count``: number of frames (a video's header value, may be
    approximate; None if unknown). ``fps``: frame rate (None for folders / unknown).
    ``first_frame``: the first frame (read when opening). Iterating yields every frame from the
    first, once."""

    def __init__(self, path: Path, frame_count: Optional[int], fps: Optional[float],
                 first_frame: np.ndarray) -> None:
        self.path = path
        self.frame_count = frame_count
        self.fps = fps
        self.first_frame = first_frame

    @property
    def name(self) -> str:
        return self.path.stem if self.path.is_file() else self.path.name

    def __iter__(self) -> Iterator[np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Release the source (idempotent)."""

    def __enter__(self) -> "FrameStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ImageFolderStream(FrameStream):
    """Frames from the image files of a folder."""

    def __init__(self, folder: Path) -> None:
        files = list_image_files(folder)
        if not files:
            raise InvalidInputError(f"folder {folder} has no frames ({', '.join(IMAGE_EXTENSIONS)})")
        self.files = files
        super().__init__(folder, len(files), None, self._read(files[0]))

    @staticmethod
    def _read(path: Path) -> np.ndarray:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise InvalidInputError(f"cannot read frame image {path}")
        return image

    def __iter__(self) -> Iterator[np.ndarray]:
        yield self.first_frame
        for path in self.files[1:]:
            yield self._read(path)


class VideoStream(FrameStream):
    """Frames decoded from a video file with ``cv2.VideoCapture``."""

    def __init__(self, path: Path) -> None:
        # Keep FFmpeg's own messages ("moov atom not found" ...) off stderr: a bad file gets
        # our one-line error instead. Read by OpenCV when its first capture opens; an explicit
        # setting by the user wins.
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        self._capture = cv2.VideoCapture(str(path))
        ok, frame = (self._capture.read() if self._capture.isOpened() else (False, None))
        if not ok or frame is None:
            self._capture.release()
            raise InvalidInputError(f"cannot read video {path} (not a video OpenCV can decode)")
        count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        super().__init__(path, count if count > 0 else None, fps if fps > 0 else None,
                         _as_bgr(frame, path))

    def __iter__(self) -> Iterator[np.ndarray]:
        yield self.first_frame
        while True:
            ok, frame = self._capture.read()
            if not ok or frame is None:
                break
            yield _as_bgr(frame, self.path)
        self.close()

    def close(self) -> None:
        self._capture.release()


def _as_bgr(frame: np.ndarray, path: Path) -> np.ndarray:
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise InvalidInputError(f"{path}: unsupported frame format {frame.dtype} {frame.shape}")
    return frame


def open_frame_source(source: Union[str, os.PathLike]) -> FrameStream:
    """A :class:`FrameStream` for a video file or a folder of images (see module doc)."""
    text = os.fspath(source)
    path = Path(text).expanduser()
    if not text.strip() or not path.exists():
        raise InvalidInputError(f"video source {text!r} does not exist")
    if path.is_dir():
        return ImageFolderStream(path)
    if is_image_file(path.name):
        raise InvalidInputError(f"{path} is a single image; give a video file or a folder of frames")
    return VideoStream(path)
