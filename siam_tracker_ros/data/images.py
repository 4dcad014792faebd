"""Which files are images or videos, and the one way to list a folder of frames.

Every part that reads frames from a folder (frame sources, dataset readers, bag making, the
training data) uses these: the same extensions (any case) and the same natural name order
(``img2`` before ``img10``).
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import List, Union

# what cv2.imread decodes in every OpenCV build we ship with
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg")

_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> list:
    """Sort key: digit runs compare as numbers, the rest case-insensitively (``f2`` < ``F10``)."""
    return [int(part) if index % 2 else part.lower() for index, part in enumerate(_DIGITS.split(name))]


def is_image_file(name: Union[str, os.PathLike]) -> bool:
    """True when ``name`` has an image extension (any case)."""
    return os.fspath(name).lower().endswith(IMAGE_EXTENSIONS)


def is_video_file(name: Union[str, os.PathLike]) -> bool:
    """True when ``name`` has a video extension (any case)."""
    return os.fspath(name).lower().endswith(VIDEO_EXTENSIONS)


def list_image_files(folder: Union[str, os.PathLike]) -> List[Path]:
    """Image files directly in ``folder``, natural name order ([] when it is not a folder)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if is_image_file(p.name) and p.is_file()]
    return sorted(files, key=lambda p: natural_key(p.name))


def list_images(folder: Union[str, os.PathLike]) -> List[str]:
    """:func:`list_image_files` as path strings (what the dataset readers store)."""
    return [str(p) for p in list_image_files(folder)]
