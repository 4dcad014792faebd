"""UAV123 / UAV20L: ``ROOT/anno/UAV123/<seq>.txt`` (comma separated, NaN rows while the target
is absent) and ``ROOT/data_seq/UAV123/<seq>/000001.jpg``. Sub-sequences such as ``bird1_1``
use an image range of folder ``bird1`` that only the dataset's MATLAB table (or PySOT's
``UAV123.json``) gives: with ``ROOT/UAV123.json`` present it is used for everything, otherwise
such sub-sequences are skipped with a warning."""
from __future__ import annotations

import sys
from typing import List, Optional

from ...core.errors import InvalidInputError
from ...data.sequence import Sequence
from ...data.images import list_images, natural_key
from ..sequences import make_sequence, normalize_rows, parse_value_lines, require_dir
from .otb import load_pysot_json


def load_uav123(root: Optional[str], subset: str = "UAV123") -> List[Sequence]:
    path = require_dir(root, "uav123")
    if (path / f"{subset}.json").is_file():
        return load_pysot_json(str(path / f"{subset}.json"))
    anno = path / "anno" / subset
    data = path / "data_seq" / subset
    if not anno.is_dir() or not data.is_dir():
        raise InvalidInputError(f"uav123: expected {anno} and {data}")
    sequences, skipped = [], []
    for gt_file in sorted(anno.glob("*.txt"), key=lambda p: natural_key(p.name)):
        folder = data / gt_file.stem
        if not folder.is_dir():
            skipped.append(gt_file.stem)
            continue
        boxes, _ = normalize_rows(parse_value_lines(gt_file), str(gt_file))
        frames = list_images(folder)[:len(boxes)]
        sequences.append(make_sequence(gt_file.stem, frames, boxes, where=str(gt_file)))
    if skipped:
        print(f"uav123: skipped {len(skipped)} sub-sequence(s) without an image range "
              f"({', '.join(skipped[:5])}{' ...' if len(skipped) > 5 else ''}); "
              f"put PySOT's {subset}.json in {path} to load them", file=sys.stderr)
    return sequences
