"""TrackingNet: ``ROOT/anno/<seq>.txt`` and ``ROOT/frames/<seq>/0.jpg, 1.jpg, ...``; ``ROOT`` may
also hold chunk folders (``TRAIN_0`` ... ``TRAIN_11``, ``TEST``) with that layout. The test
split publishes frame 0 only (the rest is NaN)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from ...core.errors import InvalidInputError
from ...data.sequence import Sequence
from ...data.images import list_images, natural_key
from ..sequences import make_sequence, normalize_rows, parse_value_lines, require_dir


def _chunks(root: Path) -> List[Path]:
    if (root / "anno").is_dir():
        return [root]
    return sorted((d for d in root.iterdir() if d.is_dir() and (d / "anno").is_dir()),
                  key=lambda d: natural_key(d.name))


def load_trackingnet(root: Optional[str]) -> List[Sequence]:
    path = require_dir(root, "trackingnet")
    chunks = _chunks(path)
    if not chunks:
        raise InvalidInputError(f"trackingnet: no anno/ folder in {path} or its chunk folders")
    sequences = []
    for chunk in chunks:
        for gt_file in sorted((chunk / "anno").glob("*.txt"), key=lambda p: natural_key(p.name)):
            boxes, _ = normalize_rows(parse_value_lines(gt_file), str(gt_file))
            frames = list_images(chunk / "frames" / gt_file.stem)
            sequences.append(make_sequence(gt_file.stem, frames, boxes, where=str(gt_file)))
    return sequences
