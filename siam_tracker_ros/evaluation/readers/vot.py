"""VOT short-term and long-term layouts.

``ROOT/list.txt`` (optional; else every sub-folder with a ``groundtruth.txt``), per sequence
``groundtruth.txt`` with 4-value (x,y,w,h) or 8-value (polygon) lines, frames in ``color/``
(VOT2019+) or directly in the sequence folder, optional per-frame ``*.tag`` / ``*.label`` files
(0/1 per line, e.g. ``occlusion.tag``) kept as ``frame_flags``; a tag with any 1 becomes a
sequence attribute. Long-term absences are ``nan`` lines (or empty lines): NaN box, not visible.
VOT2020+ mask annotations (lines starting with ``m``) are not supported.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from ...core.errors import InvalidInputError
from ...data.sequence import Sequence
from ...data.images import list_images, natural_key
from ..sequences import make_sequence, normalize_rows, parse_value_lines, read_flags, require_dir


def _sequence_dirs(root: Path) -> List[Path]:
    listing = root / "list.txt"
    if listing.is_file():
        names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
        return [root / name for name in names]
    return sorted((d for d in root.iterdir() if d.is_dir() and (d / "groundtruth.txt").is_file()),
                  key=lambda d: natural_key(d.name))


def load_vot_sequence(seq_dir: Path) -> Sequence:
    """One VOT sequence folder."""
    gt_file = seq_dir / "groundtruth.txt"
    if not gt_file.is_file():
        raise InvalidInputError(f"VOT sequence {seq_dir} has no groundtruth.txt")
    with open(gt_file, encoding="utf-8", errors="replace") as handle:
        first = handle.readline().strip()
    if first.startswith("m"):
        raise InvalidInputError(f"{gt_file}: mask annotations (VOT2020+) are not supported")
    boxes, polygons = normalize_rows(parse_value_lines(gt_file), str(gt_file))
    frames = list_images(seq_dir / "color") or list_images(seq_dir)
    n = len(frames)
    flags, attributes = {}, []
    for tag_file in sorted(list(seq_dir.glob("*.tag")) + list(seq_dir.glob("*.label"))):
        values = read_flags(tag_file, n)
        if values is not None:
            flags[tag_file.stem] = values.astype(bool)
            if values.any():
                attributes.append(tag_file.stem)
    return make_sequence(seq_dir.name, frames, boxes, polygons, attributes=attributes,
                         frame_flags=flags, where=str(gt_file))


def load_vot(root: Optional[str]) -> List[Sequence]:
    """Every sequence of a VOT (short- or long-term) dataset folder."""
    path = require_dir(root, "vot")
    return [load_vot_sequence(d) for d in _sequence_dirs(path)]
