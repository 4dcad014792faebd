"""The dataset registry: ``load_dataset(name, root)`` over the readers of :mod:`.readers`
(ground-truth parsing shared by every reader: :mod:`.sequences`).

Synthetic presets (``lt-small``, ``st-small``, ``lt-full``) load through the same registry and
need no root.
"""
from __future__ import annotations

import os
from typing import Callable, Dict, List, Optional, Sequence as SequenceType

from ..core.errors import InvalidInputError
from ..data.sequence import Sequence


def _load_synthetic(name: str) -> Callable[[Optional[str]], List[Sequence]]:
    def load(root: Optional[str] = None) -> List[Sequence]:
        from ..data.synthetic import load_preset

        return load_preset(name)

    return load


def _registry() -> Dict[str, Callable[[Optional[str]], List[Sequence]]]:
    from .readers import folder, got10k, lasot, otb, trackingnet, uav123, video, vot

    datasets: Dict[str, Callable[[Optional[str]], List[Sequence]]] = {
        "otb": otb.load_otb,
        "pysot-json": otb.load_pysot_json,
        "vot": vot.load_vot,
        "vot-lt": vot.load_vot,
        "lasot": lasot.load_lasot,
        "got10k": got10k.load_got10k,
        "uav123": uav123.load_uav123,
        "trackingnet": trackingnet.load_trackingnet,
        "folder": folder.load_folder,
        "video": video.load_videos,
    }
    from ..data.synthetic import PRESETS

    for preset in PRESETS:
        datasets[preset] = _load_synthetic(preset)
    return datasets


def dataset_names() -> List[str]:
    """Names ``load_dataset`` accepts."""
    return sorted(_registry())


def is_synthetic(name: str) -> bool:
    """True for synthetic presets (no root needed; re-acquisition delay is reported)."""
    from ..data.synthetic import PRESETS

    return name in PRESETS


def load_dataset(name: str, root: Optional[os.PathLike] = None,
                 sequence_names: Optional[SequenceType[str]] = None) -> List[Sequence]:
    """Sequences of dataset ``name`` under ``root`` (see :func:`dataset_names`), optionally only
    those named in ``sequence_names`` (unknown names are an error)."""
    registry = _registry()
    if name not in registry:
        raise InvalidInputError(f"unknown dataset {name!r} (known: {', '.join(sorted(registry))})")
    sequences = registry[name](None if root is None else str(root))
    if sequence_names:
        wanted = list(sequence_names)
        by_name = {s.name: s for s in sequences}
        missing = [w for w in wanted if w not in by_name]
        if missing:
            raise InvalidInputError(f"dataset {name}: no sequence(s) {', '.join(missing)}")
        sequences = [by_name[w] for w in wanted]
    if not sequences:
        raise InvalidInputError(f"dataset {name}: no sequences found under {root}")
    return sequences

