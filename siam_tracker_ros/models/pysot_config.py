"""Read a PySOT experiment ``config.yaml`` as data (no yacs, no global cfg).

The schema below is PySOT's ``pysot/core/config.py`` as data: every key PySOT knows, with
its default. Unknown keys are a :class:`ConfigError` naming the key and the file, like
PySOT's own ``KeyError: Non-existent config key`` -- except the three keys of the shipped
``siamrpn_r50_l234_dwxcorr_lt`` config that stock PySOT rejects (``BACKBONE.CHANNELS``,
``ADJUST.ADJUST_CHANNEL``, ``RPN.WEIGHTED``): they are accepted only when they repeat a value
given under ``KWARGS`` and are listed in :attr:`ExperimentConfig.dropped_keys`.

Training sections (``TRAIN``, ``DATASET``, ``CUDA`` ...) are checked against the schema and
otherwise ignored. ``KWARGS`` sections are free-form here; the model builder checks them.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import yaml

from ..core.config import AnchorConfig, TrackConfig
from ..core.errors import ConfigError

# Marks a free-form mapping (yacs ``CN(new_allowed=True)``): any keys, any values.
FREE = object()

# PySOT's config schema (STVIR/pysot pysot/core/config.py): section -> key -> default.
PYSOT_SCHEMA: Dict[str, Any] = {
    "META_ARC": "siamrpn_r50_l234_dwxcorr",
    "CUDA": True,
    "TRAIN": {
        "THR_HIGH": 0.6, "THR_LOW": 0.3, "NEG_NUM": 16, "POS_NUM": 16, "TOTAL_NUM": 64,
        "EXEMPLAR_SIZE": 127, "SEARCH_SIZE": 255, "BASE_SIZE": 8, "OUTPUT_SIZE": 25,
        "RESUME": "", "PRETRAINED": "", "LOG_DIR": "./logs", "SNAPSHOT_DIR": "./snapshot",
        "EPOCH": 20, "START_EPOCH": 0, "BATCH_SIZE": 32, "NUM_WORKERS": 1, "MOMENTUM": 0.9,
        "WEIGHT_DECAY": 0.0001, "CLS_WEIGHT": 1.0, "LOC_WEIGHT": 1.2, "MASK_WEIGHT": 1,
        "PRINT_FREQ": 20, "LOG_GRADS": False, "GRAD_CLIP": 10.0, "BASE_LR": 0.005,
        "LR": {"TYPE": "log", "KWARGS": FREE},
        "LR_WARMUP": {"WARMUP": True, "TYPE": "step", "EPOCH": 5, "KWARGS": FREE},
    },
    "DATASET": FREE,
    "BACKBONE": {
        "TYPE": "res50", "KWARGS": FREE, "PRETRAINED": "",
        "TRAIN_LAYERS": ["layer2", "layer3", "layer4"], "LAYERS_LR": 0.1, "TRAIN_EPOCH": 10,
    },
    "ADJUST": {"ADJUST": True, "KWARGS": FREE, "TYPE": "AdjustAllLayer"},
    "RPN": {"TYPE": "MultiRPN", "KWARGS": FREE},
    "MASK": {"MASK": False, "TYPE": "MaskCorr", "KWARGS": FREE},
    "REFINE": {"REFINE": False, "TYPE": "Refine"},
    "ANCHOR": {"STRIDE": 8, "RATIOS": [0.33, 0.5, 1, 2, 3], "SCALES": [8], "ANCHOR_NUM": 5},
    "TRACK": {
        "TYPE": "SiamRPNTracker", "PENALTY_K": 0.04, "WINDOW_INFLUENCE": 0.44, "LR": 0.4,
        "EXEMPLAR_SIZE": 127, "INSTANCE_SIZE": 255, "BASE_SIZE": 8, "CONTEXT_AMOUNT": 0.5,
        "LOST_INSTANCE_SIZE": 831, "CONFIDENCE_LOW": 0.85, "CONFIDENCE_HIGH": 0.998,
        "MASK_THERSHOLD": 0.30, "MASK_OUTPUT_SIZE": 127,
    },
}

# Keys stock PySOT rejects but shipped configs carry: key -> the KWARGS entry it must repeat.
TOLERATED_DUPLICATE_KEYS: Dict[Tuple[str, str], Tuple[str, str, str]] = {
    ("BACKBONE", "CHANNELS"): ("ADJUST", "KWARGS", "in_channels"),
    ("ADJUST", "ADJUST_CHANNEL"): ("ADJUST", "KWARGS", "out_channels"),
    ("RPN", "WEIGHTED"): ("RPN", "KWARGS", "weighted"),
}

# TRACK key -> TrackConfig field (PySOT's spelling MASK_THERSHOLD is kept in the file).
_TRACK_FIELDS = {"MASK_THERSHOLD": "mask_threshold"}


def _freeze(value: Any) -> Any:
    """Lists -> tuples and dicts -> read-only mappings, recursively."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    """Inverse of :func:`_freeze` (tuples -> lists, mappings -> dicts), for YAML/JSON output."""
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class ModuleSpec:
    """One model part: PySOT's ``TYPE`` name and its ``KWARGS`` (read-only, lists as tuples)."""

    type: str
    kwargs: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "kwargs", _freeze(dict(self.kwargs)))

    def kwargs_dict(self) -> Dict[str, Any]:
        """A mutable copy of ``kwargs`` with tuples turned back into lists."""
        return _thaw(self.kwargs)


@dataclass(frozen=True)
class ModelConfig:
    """What to build: backbone, optional neck (ADJUST), RPN head, optional mask + refine heads.

    ``backbone.kwargs`` holds e.g. ``used_layers`` and ``width_mult``; ``neck`` is None when
    ``ADJUST.ADJUST`` is false; ``mask``/``refine`` are None when disabled. ``source`` names
    the file for error messages.
    """

    backbone: ModuleSpec
    rpn: ModuleSpec
    neck: Optional[ModuleSpec] = None
    mask: Optional[ModuleSpec] = None
    refine: Optional[ModuleSpec] = None
    meta_arc: str = ""
    source: str = "<memory>"

    @property
    def has_mask(self) -> bool:
        return self.mask is not None

    @property
    def has_refine(self) -> bool:
        return self.refine is not None


@dataclass(frozen=True)
class ExperimentConfig:
    """A PySOT experiment: model description, tracking and anchor parameters.

    ``dropped_keys`` lists tolerated non-PySOT keys that were ignored (dotted names, file
    order); ``source`` is the file path (or ``<memory>``).
    """

    name: str
    model: ModelConfig
    track: TrackConfig
    anchor: AnchorConfig
    dropped_keys: Tuple[str, ...] = ()
    source: str = "<memory>"


def _check_section(data: Mapping[str, Any], schema: Mapping[str, Any], prefix: str, where: str,
                   dropped: list) -> None:
    """Validate ``data`` against ``schema`` recursively (unknown keys -> ConfigError)."""
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if key not in schema:
            section = prefix.rstrip(".")
            if (section, key) in TOLERATED_DUPLICATE_KEYS:
                dropped.append(dotted)
                continue
            known = ", ".join(sorted(schema)) if schema else "(none)"
            raise ConfigError(f"{where}: unknown config key {dotted} (known under "
                              f"{section or 'top level'}: {known})")
        expected = schema[key]
        if expected is FREE:
            if value is not None and not isinstance(value, Mapping):
                raise ConfigError(f"{where}: {dotted} must be a mapping, got {type(value).__name__}")
            continue
        if isinstance(expected, dict):
            if value is None:
                continue
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}: {dotted} must be a mapping, got {type(value).__name__}")
            _check_section(value, expected, dotted + ".", where, dropped)
            continue
        _check_scalar_type(value, expected, dotted, where)


def _check_scalar_type(value: Any, default: Any, dotted: str, where: str) -> None:
    """yacs-like type check: the value must have the default's type (int accepted for float,
    lists and tuples interchangeable)."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, (list, tuple)):
        ok = isinstance(value, (list, tuple))
    else:
        ok = True
    if not ok:
        raise ConfigError(f"{where}: {dotted} must be {type(default).__name__}, "
                          f"got {value!r} ({type(value).__name__})")


def _check_duplicates(data: Mapping[str, Any], dropped: Tuple[str, ...], where: str) -> None:
    """Each tolerated extra key must repeat the KWARGS value it duplicates."""
    for dotted in dropped:
        section, key = dotted.split(".", 1)
        target = TOLERATED_DUPLICATE_KEYS[(section, key)]
        value = data[section][key]
        node: Any = data
        for part in target:
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is None or _thaw(_freeze(node)) != _thaw(_freeze(value)):
            raise ConfigError(f"{where}: unknown config key {dotted} (not a PySOT key; tolerated only "
                              f"as a duplicate of {'.'.join(target)}, which is {node!r}, not {value!r})")


def _apply_overrides(data: Dict[str, Any], overrides: Mapping[str, Any], where: str) -> None:
    """Set dotted keys (``TRACK.CONFIDENCE_LOW``) in ``data``; unknown keys -> ConfigError."""
    for dotted, value in overrides.items():
        parts = str(dotted).split(".")
        schema: Any = PYSOT_SCHEMA
        node = data
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if schema is not FREE:
                if not isinstance(schema, dict) or part not in schema:
                    raise ConfigError(f"{where}: override of unknown config key {dotted}")
                schema = schema[part]
            if last:
                if isinstance(schema, dict):
                    raise ConfigError(f"{where}: override {dotted} names a section, not a value")
                if isinstance(value, str) and not isinstance(schema, str):
                    value = _parse_override_text(value, dotted, where)
                node[part] = value
            else:
                child = node.get(part)
                if child is None:
                    child = node[part] = {}
                if not isinstance(child, dict):
                    raise ConfigError(f"{where}: override {dotted}: {part} is not a section")
                node = child


def _parse_override_text(text: str, dotted: str, where: str) -> Any:
    """A command-line override value (``"0.972"``, ``"[1, 2]"``) parsed as YAML."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        raise ConfigError(f"{where}: override {dotted}: cannot parse {text!r}") from None


def _section(data: Mapping[str, Any], name: str) -> Dict[str, Any]:
    """The section ``name`` with PySOT's defaults filled in."""
    merged = {k: (dict() if v is FREE else v) for k, v in PYSOT_SCHEMA[name].items()}
    merged.update({k: v for k, v in (data.get(name) or {}).items()
                   if (name, k) not in TOLERATED_DUPLICATE_KEYS})
    return merged


def _track_config(section: Mapping[str, Any], where: str) -> TrackConfig:
    names = {f.name: f for f in dataclasses.fields(TrackConfig)}
    kwargs: Dict[str, Any] = {}
    for key, value in section.items():
        name = _TRACK_FIELDS.get(key, key.lower())
        if name not in names:  # cannot happen after the schema check, kept as a guard
            raise ConfigError(f"{where}: TRACK.{key} has no TrackConfig field")
        default = names[name].default
        if isinstance(default, float):
            value = float(value)
        elif isinstance(default, int) and not isinstance(default, bool):
            value = int(value)
        kwargs[name] = value
    try:
        return TrackConfig(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: TRACK: {exc}") from None


def _anchor_config(section: Mapping[str, Any], where: str) -> AnchorConfig:
    try:
        ratios = tuple(float(r) for r in section["RATIOS"])
        scales = tuple(float(s) for s in section["SCALES"])
        anchor = AnchorConfig(stride=int(section["STRIDE"]), ratios=ratios, scales=scales)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: ANCHOR: {exc}") from None
    if not ratios or not scales or anchor.stride <= 0 or not all(
            math.isfinite(v) and v > 0 for v in ratios + scales):
        raise ConfigError(f"{where}: ANCHOR needs a positive STRIDE and non-empty positive RATIOS/SCALES")
    if int(section["ANCHOR_NUM"]) != anchor.anchor_num:
        raise ConfigError(f"{where}: ANCHOR.ANCHOR_NUM {section['ANCHOR_NUM']} != "
                          f"len(RATIOS) * len(SCALES) = {anchor.anchor_num}")
    return anchor


def _model_config(data: Mapping[str, Any], where: str) -> ModelConfig:
    backbone, adjust, rpn = _section(data, "BACKBONE"), _section(data, "ADJUST"), _section(data, "RPN")
    mask, refine = _section(data, "MASK"), _section(data, "REFINE")
    return ModelConfig(
        backbone=ModuleSpec(backbone["TYPE"], backbone["KWARGS"] or {}),
        neck=ModuleSpec(adjust["TYPE"], adjust["KWARGS"] or {}) if adjust["ADJUST"] else None,
        rpn=ModuleSpec(rpn["TYPE"], rpn["KWARGS"] or {}),
        mask=ModuleSpec(mask["TYPE"], mask["KWARGS"] or {}) if mask["MASK"] else None,
        refine=ModuleSpec(refine["TYPE"]) if refine["REFINE"] else None,
        meta_arc=str(data.get("META_ARC", PYSOT_SCHEMA["META_ARC"])),
        source=where,
    )


def pysot_config_from_mapping(data: Optional[Mapping[str, Any]], name: str, source: str = "<memory>",
                              overrides: Optional[Mapping[str, Any]] = None) -> ExperimentConfig:
    """Build an :class:`ExperimentConfig` from an already parsed PySOT config mapping."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: a PySOT config must be a mapping, got {type(data).__name__}")
    data = copy.deepcopy(dict(data))
    if overrides:
        _apply_overrides(data, overrides, source)
    dropped: list = []
    _check_section(data, PYSOT_SCHEMA, "", source, dropped)
    _check_duplicates(data, tuple(dropped), source)
    return ExperimentConfig(
        name=name,
        model=_model_config(data, source),
        track=_track_config(_section(data, "TRACK"), source),
        anchor=_anchor_config(_section(data, "ANCHOR"), source),
        dropped_keys=tuple(dropped),
        source=source,
    )


def load_pysot_config(path: Union[str, os.PathLike], overrides: Optional[Mapping[str, Any]] = None,
                      ) -> ExperimentConfig:
    """Read PySOT experiment ``path`` (``.../<name>/config.yaml``) into an ExperimentConfig.

    ``name`` is the folder name (PySOT's experiment name). ``overrides`` maps dotted keys to
    values, e.g. ``{"TRACK.CONFIDENCE_LOW": 0.972}``, applied before validation.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read PySOT config {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = " ".join(str(exc).split())
        raise ConfigError(f"{path}: invalid YAML: {first}") from None
    name = path.parent.name if path.name in ("config.yaml", "config.yml") else path.stem
    return pysot_config_from_mapping(data, name=name, source=str(path), overrides=overrides)
