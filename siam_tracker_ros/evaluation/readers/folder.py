"""Plain folders (``--dataset folder``): every sub-folder of ``ROOT`` holding a ``groundtruth.txt``
(x,y,w,h or 8-value polygon lines, any of , tab space separators; NaN/empty lines = absent) and
frames (images directly in it, or in ``img/`` or ``color/``) is a sequence named after the
folder. ``ROOT`` itself may be such a folder (one sequence)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from ...data.sequence import Sequence
from ...data.images import list_images, natural_key
from ..sequences import make_sequence, normalize_rows, parse_value_lines, require_dir


def _frames(seq_dir: Path) -> List[str]:
    return list_images(seq_dir / "img") or list_images(seq_dir / "color") or list_images(seq_dir)


def load_folder_sequence(seq_dir: Path) -> Sequence:
    gt_file = seq_dir / "groundtruth.txt"
    boxes, polygons = normalize_rows(parse_value_lines(gt_file), str(gt_file))
    return make_sequence(seq_dir.name, _frames(seq_dir), boxes, polygons, where=str(gt_file))


def load_folder(root: Optional[str]) -> List[Sequence]:
    path = require_dir(root, "folder")
    if (path / "groundtruth.txt").is_file():
        return [load_folder_sequence(path)]
    dirs = sorted((d for d in path.iterdir() if d.is_dir() and (d / "groundtruth.txt").is_file()),
                  key=lambda d: natural_key(d.name))
    return [load_folder_sequence(d) for d in dirs]
