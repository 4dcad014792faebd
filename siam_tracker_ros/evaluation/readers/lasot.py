"""LaSOT: ``ROOT/<class>/<class>-<k>/img/00000001.jpg``, ``groundtruth.txt`` (comma separated),
``full_occlusion.txt`` and ``out_of_view.txt`` (one line of comma-separated 0/1). ``ROOT`` may also
be one class folder or hold the sequence folders directly. With ``ROOT/testing_set.txt`` only the
listed (test) sequences are loaded. Frames flagged fully occluded or out of view are not visible
(their box is kept when the file gives one)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from ...data.sequence import Sequence
from ...data.images import list_images, natural_key
from ..sequences import make_sequence, normalize_rows, parse_value_lines, read_flags, require_dir


def _is_sequence(d: Path) -> bool:
    return d.is_dir() and (d / "groundtruth.txt").is_file() and (d / "img").is_dir()


def _find_sequences(root: Path) -> List[Path]:
    if _is_sequence(root):
        return [root]
    found = []
    for d in root.iterdir():
        if _is_sequence(d):
            found.append(d)
        elif d.is_dir():
            found.extend(s for s in d.iterdir() if _is_sequence(s))
    return sorted(found, key=lambda d: natural_key(d.name))


def load_lasot_sequence(seq_dir: Path) -> Sequence:
    gt_file = seq_dir / "groundtruth.txt"
    boxes, _ = normalize_rows(parse_value_lines(gt_file), str(gt_file))
    frames = list_images(seq_dir / "img")
    n = len(frames)
    full_occlusion = read_flags(seq_dir / "full_occlusion.txt", n)
    out_of_view = read_flags(seq_dir / "out_of_view.txt", n)
    flags = {}
    hidden = None
    for key, values in (("full_occlusion", full_occlusion), ("out_of_view", out_of_view)):
        if values is not None:
            flags[key] = values.astype(bool)
            hidden = flags[key] if hidden is None else hidden | flags[key]
    attributes = [k for k, v in flags.items() if v.any()]
    return make_sequence(seq_dir.name, frames, boxes, visible=None if hidden is None else ~hidden,
                         attributes=attributes, frame_flags=flags, where=str(gt_file))


def load_lasot(root: Optional[str]) -> List[Sequence]:
    path = require_dir(root, "lasot")
    dirs = _find_sequences(path)
    listing = path / "testing_set.txt"
    if listing.is_file():
        wanted = {line.strip() for line in listing.read_text().splitlines() if line.strip()}
        dirs = [d for d in dirs if d.name in wanted]
    return [load_lasot_sequence(d) for d in dirs]
