"""OTB-2013/2015 (and other PySOT-indexed datasets).

Folder layout: ``ROOT/<Seq>/img/0001.jpg ...`` and ``ROOT/<Seq>/groundtruth_rect.txt``
(multi-target sequences: ``groundtruth_rect.1.txt``, ``.2.txt`` -> sequences ``<Seq>-1``,
``<Seq>-2``, PySOT's names). A few OTB sequences annotate only part of their images; their
image ranges (1-based, inclusive, from OTB's sequence table) are in :data:`OTB_FRAME_RANGES`.
Otherwise the first ``len(groundtruth)`` images are used.

PySOT JSON index (``OTB100.json`` etc.): ``{name: {"img_names": [...], "gt_rect": [...],
"attr": [...], "absent": [...]?}}``, image paths relative to the JSON's folder.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import numpy as np

from ...core.errors import InvalidInputError
from ...data.sequence import Sequence
from ...data.images import list_images, natural_key
from ..sequences import make_sequence, normalize_rows, parse_value_lines, require_dir

OTB_FRAME_RANGES = {
    "David": (300, 770), "Football1": (1, 74), "Freeman3": (1, 460), "Freeman4": (1, 283),
    "Diving": (1, 215), "Tiger1": (6, 354), "BlurCar1": (247, 988), "BlurCar3": (3, 359),
    "BlurCar4": (18, 397),
}
PYSOT_JSON_NAMES = ("OTB100.json", "OTB2015.json", "OTB2013.json", "OTB50.json", "UAV123.json",
                    "LaSOT.json", "NFS30.json", "NFS240.json")


def _find_json(root: Path) -> Optional[Path]:
    if root.is_file() and root.suffix == ".json":
        return root
    for name in PYSOT_JSON_NAMES:
        if (root / name).is_file():
            return root / name
    return None


def load_otb(root: Optional[str]) -> List[Sequence]:
    """OTB sequences under ``root`` (a PySOT JSON in ``root`` is used when present)."""
    path = require_dir(root, "otb")
    index = _find_json(path)
    if index is not None:
        return load_pysot_json(str(index))
    sequences = []
    for seq_dir in sorted((d for d in path.iterdir() if d.is_dir()), key=lambda d: natural_key(d.name)):
        images = list_images(seq_dir / "img")
        if not images:
            continue
        for gt_file in sorted(seq_dir.glob("groundtruth_rect*.txt"), key=lambda p: natural_key(p.name)):
            suffix = gt_file.name[len("groundtruth_rect"):-len(".txt")].strip(".")
            name = f"{seq_dir.name}-{suffix}" if suffix else seq_dir.name
            boxes, polygons = normalize_rows(parse_value_lines(gt_file), str(gt_file))
            frames = images
            if seq_dir.name in OTB_FRAME_RANGES:
                first, last = OTB_FRAME_RANGES[seq_dir.name]
                frames = images[first - 1:last]
            frames = frames[:len(boxes)]
            sequences.append(make_sequence(name, frames, boxes, polygons, where=str(gt_file)))
    return sequences


def load_pysot_json(root: Optional[str]) -> List[Sequence]:
    """Sequences of a PySOT dataset JSON (``root`` = the JSON file, or a folder holding one of
    :data:`PYSOT_JSON_NAMES`); images are resolved relative to the JSON's folder."""
    path = require_dir(root, "pysot-json")
    index = _find_json(path)
    if index is None:
        raise InvalidInputError(f"no PySOT dataset JSON ({', '.join(PYSOT_JSON_NAMES)}) in {path}")
    try:
        data = json.loads(index.read_text())
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"cannot read PySOT index {index}: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInputError(f"{index}: expected a JSON object of sequences")
    base = index.parent
    sequences = []
    for name in sorted(data, key=natural_key):
        entry = data[name]
        try:
            img_names = entry["img_names"]
            gt_rows = entry["gt_rect"]
        except (KeyError, TypeError) as exc:
            raise InvalidInputError(f"{index}: sequence {name} lacks img_names/gt_rect") from exc
        rows = [list(r) if isinstance(r, (list, tuple)) else [] for r in gt_rows]
        rows = [[float("nan") if v is None else v for v in r] for r in rows]
        boxes, polygons = normalize_rows(rows, f"{index}:{name}")
        visible = None
        if "absent" in entry:  # PySOT LaSOT: absent[i] == 1 means the target is present
            visible = np.asarray(entry["absent"], dtype=np.int64) == 1
        frames = [str(base / p) for p in img_names]
        sequences.append(make_sequence(name, frames, boxes, polygons, visible=visible,
                                       attributes=tuple(entry.get("attr", ()) or ()),
                                       where=f"{index}:{name}"))
    return sequences
