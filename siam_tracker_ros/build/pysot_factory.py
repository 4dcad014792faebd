"""Build the PySOT-family tracker an experiment config asks for (``TRACK.TYPE``).

``SiamRPNTracker`` -> :class:`SiamRPNTracker`; ``SiamMaskTracker`` -> :class:`SiamMaskTracker`
over it; ``SiamRPNLTTracker`` -> :class:`PySOTLongTermTracker` over it. The model comes from
``siam_tracker_ros.models.builder``, prepared for ``options`` by :mod:`.networks`.
"""
from __future__ import annotations

import os
from typing import Any, Mapping, Optional, Union

from ..core.config import RuntimeOptions
from ..core.errors import ConfigError
from ..core.pysot_longterm import PySOTLongTermTracker
from ..core.siammask import SiamMaskTracker
from ..models.builder import build_model
from ..models.checkpoint import load_checkpoint
from ..models.pysot_config import ExperimentConfig
from .networks import siamrpn_tracker

WeightsSource = Union[str, os.PathLike, Mapping[str, Any], None]

TRACKER_TYPES = ("SiamRPNTracker", "SiamMaskTracker", "SiamRPNLTTracker")


def build_pysot_tracker(exp: ExperimentConfig, weights: WeightsSource,
                        options: RuntimeOptions = RuntimeOptions(), model: Optional[Any] = None):
    """Model (built from ``exp.model`` unless given) + weights (a checkpoint path or a
    state_dict; None keeps the model's current weights) + the tracker class of
    ``exp.track.type``. Raises ConfigError for an unknown type, CheckpointError for bad
    weights."""
    kind = exp.track.type
    if kind not in TRACKER_TYPES:
        raise ConfigError(f"{exp.source}: TRACK.TYPE {kind!r} is not one of "
                          f"{', '.join(TRACKER_TYPES)}")
    if model is None:
        model = build_model(exp.model)
    if weights is not None:
        load_checkpoint(model, weights, exp.name)
    rpn = siamrpn_tracker(model, exp.track, exp.anchor, options)
    if kind == "SiamMaskTracker":
        return SiamMaskTracker(rpn)
    if kind == "SiamRPNLTTracker":
        return PySOTLongTermTracker(rpn)
    return rpn
