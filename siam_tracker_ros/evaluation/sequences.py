"""Dataset loading: ground-truth parsing/normalisation shared by every reader (the registry
``load_dataset(name, root)`` is :mod:`.datasets`).

Every reader returns :class:`siam_tracker_ros.data.sequence.Sequence` objects normalised once:
boxes ``(N, 4)`` float64 x, y, w, h (NaN row where the target is absent: NaN values, w <= 0 or
h <= 0 in the file, or a dataset absence flag), ``visible`` (N,) bool, ``visibility_ratio``
(N,) float, and for polygon annotations (VOT 8-value lines) ``polygons`` (N, 4, 2) plus the
tight axis-aligned box of the polygon. Coordinates are used exactly as the dataset publishes them
(OTB/UAV123/LaSOT were annotated in MATLAB with a 1-based origin; PySOT, the GOT-10k toolkit and
pytracking all use them unchanged, and so do we, so our figures compare with published ones).
Frames are read lazily from their paths with ``cv2.imread``.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import List, Optional, Sequence as SequenceType, Tuple

import numpy as np

from ..core.errors import InvalidInputError
from ..data.sequence import ImageFileFrames, Sequence

_SEPARATORS = re.compile(r"[,\t ;]+")


def parse_value_lines(path: os.PathLike) -> List[List[float]]:
    """Rows of numbers of a text annotation file; separators comma, tab, space or ';'. 'nan'
    values are NaN; blank lines inside the file are rows of no values (absent); trailing blank
    lines are dropped."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InvalidInputError(f"cannot read annotation file {path}: {exc.strerror or exc}") from exc
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    rows = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            rows.append([])
            continue
        try:
            rows.append([float(v) for v in _SEPARATORS.split(stripped) if v])
        except ValueError as exc:
            raise InvalidInputError(f"{path}:{number}: not a row of numbers: {stripped[:60]!r}") from exc
    return rows


def normalize_rows(rows: SequenceType[SequenceType[float]], where: str) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Annotation rows -> (boxes (N, 4) float64, polygons (N, 4, 2) or None).

    4 values: x, y, w, h (NaN row when any value is NaN or w/h <= 0). 8 values: a polygon
    x1, y1, ..., x4, y4; its box is the tight axis-aligned box. Empty rows are absent. Polygons
    are returned when any row has 8 values (4-value rows then get their rectangle corners)."""
    n = len(rows)
    boxes = np.full((n, 4), np.nan)
    polygons = np.full((n, 4, 2), np.nan)
    has_polygon = False
    for i, row in enumerate(rows):
        values = np.asarray(row, dtype=np.float64)
        if values.size == 0:
            continue
        if values.size == 4:
            x, y, w, h = values
            if np.isfinite(values).all() and w > 0 and h > 0:
                boxes[i] = values
                polygons[i] = ((x, y), (x + w, y), (x + w, y + h), (x, y + h))
        elif values.size == 8:
            has_polygon = True
            if np.isfinite(values).all():
                pts = values.reshape(4, 2)
                x0, y0 = pts.min(axis=0)
                x1, y1 = pts.max(axis=0)
                if x1 > x0 and y1 > y0:
                    boxes[i] = (x0, y0, x1 - x0, y1 - y0)
                    polygons[i] = pts
        else:
            raise InvalidInputError(f"{where}: line {i + 1} has {values.size} values "
                                    f"(expected 4 = x,y,w,h or 8 = polygon)")
    return boxes, (polygons if has_polygon else None)


def read_flags(path: os.PathLike, n: int) -> Optional[np.ndarray]:
    """(n,) int array from a per-frame label file (one value per line, or one comma-separated
    line as LaSOT writes them); None when the file does not exist. Shorter files are padded
    with 0."""
    path = Path(path)
    if not path.is_file():
        return None
    values = [v for row in parse_value_lines(path) for v in row]
    out = np.zeros(n, dtype=np.int64)
    m = min(n, len(values))
    out[:m] = np.asarray(values[:m], dtype=np.float64).astype(np.int64)
    return out


def make_sequence(name: str, frame_paths: SequenceType[str], boxes: np.ndarray,
                  polygons: Optional[np.ndarray] = None, visible: Optional[np.ndarray] = None,
                  visibility_ratio: Optional[np.ndarray] = None, attributes: SequenceType[str] = (),
                  frame_flags: Optional[Dict[str, np.ndarray]] = None, where: str = "") -> Sequence:
    """Assemble a validated :class:`Sequence` with lazily read frames.

    More ground-truth rows than frames is an error; fewer rows (e.g. test splits that only
    publish frame 0) are padded with NaN. ``visible`` defaults to "has a valid box"; boxes of
    frames flagged not visible by the dataset are kept (the position is known) unless NaN."""
    where = where or name
    n = len(frame_paths)
    if n == 0:
        raise InvalidInputError(f"{where}: no frames found")
    if boxes.shape[0] > n:
        raise InvalidInputError(f"{where}: {boxes.shape[0]} ground-truth rows but only {n} frames")
    if boxes.shape[0] < n:
        pad = n - boxes.shape[0]
        boxes = np.concatenate([boxes, np.full((pad, 4), np.nan)])
        if polygons is not None:
            polygons = np.concatenate([polygons, np.full((pad, 4, 2), np.nan)])
    has_box = np.isfinite(boxes).all(axis=1)
    vis = has_box if visible is None else (np.asarray(visible, dtype=bool)[:n] & has_box)
    if vis.shape[0] < n:
        vis = np.concatenate([vis, np.zeros(n - vis.shape[0], dtype=bool)])
    ratio = vis.astype(np.float64) if visibility_ratio is None else np.where(vis, visibility_ratio[:n], 0.0)
    return Sequence(name=name, frames=ImageFileFrames(frame_paths), boxes_xywh=boxes, visible=vis,
                    visibility_ratio=ratio, attributes=tuple(attributes), polygons=polygons,
                    frame_flags=dict(frame_flags or {})).validate()


def require_dir(root: Optional[os.PathLike], dataset: str) -> Path:
    """``root`` as a Path that must be an existing directory (one-line error otherwise)."""
    if root is None or str(root) == "":
        raise InvalidInputError(f"dataset {dataset} needs --root DIR")
    path = Path(root)
    if not path.exists():
        raise InvalidInputError(f"dataset {dataset}: root {path} does not exist")
    return path
