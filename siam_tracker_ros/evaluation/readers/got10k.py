"""GOT-10k split folder (``ROOT`` = ``train``, ``val`` or ``test``): ``ROOT/list.txt`` (optional),
``ROOT/<seq>/00000001.jpg``, ``groundtruth.txt`` (x,y,w,h; the test split gives frame 0 only, the
rest is NaN), ``absence.label`` (1 = absent) and ``cover.label`` (0..8 visible eighths):
visible = not absent and cover > 0, visibility_ratio = cover / 8."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import numpy as np

from ...core.errors import InvalidInputError
from ...data.sequence import Sequence
from ...data.images import list_images, natural_key
from ..sequences import make_sequence, normalize_rows, parse_value_lines, read_flags, require_dir


def load_got10k_sequence(seq_dir: Path) -> Sequence:
    gt_file = seq_dir / "groundtruth.txt"
    boxes, _ = normalize_rows(parse_value_lines(gt_file), str(gt_file))
    frames = list_images(seq_dir)
    n = len(frames)
    absence = read_flags(seq_dir / "absence.label", n)
    cover = read_flags(seq_dir / "cover.label", n)
    visible = np.ones(n, dtype=bool)
    ratio = None
    flags = {}
    if absence is not None:
        visible &= absence == 0
        flags["absence"] = absence.astype(bool)
    if cover is not None:
        visible &= cover > 0
        ratio = np.clip(cover / 8.0, 0.0, 1.0)
    return make_sequence(seq_dir.name, frames, boxes, visible=visible, visibility_ratio=ratio,
                         frame_flags=flags, where=str(gt_file))


def load_got10k(root: Optional[str]) -> List[Sequence]:
    path = require_dir(root, "got10k")
    listing = path / "list.txt"
    if listing.is_file():
        dirs = [path / line.strip() for line in listing.read_text().splitlines() if line.strip()]
    else:
        dirs = sorted((d for d in path.iterdir() if d.is_dir() and (d / "groundtruth.txt").is_file()),
                      key=lambda d: natural_key(d.name))
    if not dirs and any((path / split).is_dir() for split in ("train", "val", "test")):
        raise InvalidInputError(f"got10k: {path} holds splits; point --root at {path}/val (or train/test)")
    return [load_got10k_sequence(d) for d in dirs]
