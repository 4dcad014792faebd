"""Rebuild the seeded PySOT reference weights of the parity fixture, bit for bit.

A model is described by ``keys.json`` (every state_dict key in order, with shape, dtype,
module type and conv attributes) and ``overrides.npz`` (the calibrated tensors). Every key not
overridden is an independent seeded draw (rules below); the result's
:func:`~siam_tracker_ros.models.checkpoint.state_dict_content_hash` equals keys.json's
``state_dict_sha256``. These are random, calibrated weights with PySOT's exact layout: they
make a tracker compute what PySOT computes, not follow objects.

Per key: ``rng = Generator(PCG64(SeedSequence([seed, K, 0])))`` with
``K = int.from_bytes(sha256(key)[:16], "little")``; one float64 draw of the full shape, cast
to the key's dtype:

=============================  =============  =========================================
module / param                 rule           draw
=============================  =============  =========================================
conv weight                    he_normal      normal(0, sqrt(2 / fan_in))
conv bias                      fan_in_uniform uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))
BatchNorm weight               uniform_0.5..  uniform(0.5, 1.5)
BatchNorm bias                 normal_0.2     normal(0, 0.2)
BatchNorm running_mean         normal_0.3     normal(0, 0.3)
BatchNorm running_var          exp_uniform..  exp(uniform(log 0.5, log 2))
BatchNorm num_batches_tracked  zeros          0
MultiRPN cls/loc_weight        normal_0.5     normal(0, 0.5)
=============================  =============  =========================================
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union

import numpy as np
import torch

from ..core.errors import CheckpointError

PathLike = Union[str, os.PathLike]

# The five PySOT experiments whose reference weights ship with the project.
PYSOT_REFERENCE_CONFIGS = (
    "siamrpn_alex_dwxcorr",
    "siamrpn_mobilev2_l234_dwxcorr",
    "siamrpn_r50_l234_dwxcorr",
    "siamrpn_r50_l234_dwxcorr_lt",
    "siammask_r50_l3",
)

_CONV_TYPES = ("Conv2d", "ConvTranspose2d")
_INITIAL_DRAW_TAG = 0


def _key_generator(key: str, seed: int, tag: int = _INITIAL_DRAW_TAG) -> np.random.Generator:
    """The independent PCG64 stream of one state_dict key."""
    key_int = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:16], "little")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, key_int, tag])))


def conv_fan_in(entry: Mapping[str, Any]) -> int:
    """Fan-in of a conv module described by a keys.json entry.

    Conv2d: ``in/groups * kh * kw``; ConvTranspose2d: ``in/groups * ceil(kh/sh) * ceil(kw/sw)``
    (input values that contribute to one output pixel).
    """
    per_group = entry["in_channels"] // entry["groups"]
    kh, kw = entry["kernel_size"]
    if entry["module_type"] == "ConvTranspose2d":
        sh, sw = entry["stride"]
        return per_group * math.ceil(kh / sh) * math.ceil(kw / sw)
    return per_group * kh * kw


def _draw_he_normal(rng: np.random.Generator, shape: Tuple[int, ...], fan_in: int) -> np.ndarray:
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), shape)


def _draw_fan_in_uniform(rng: np.random.Generator, shape: Tuple[int, ...], fan_in: int) -> np.ndarray:
    bound = 1.0 / math.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape)


_PLAIN_RULES: Dict[str, Callable[[np.random.Generator, Tuple[int, ...]], Any]] = {
    "uniform_0.5_1.5": lambda rng, shape: rng.uniform(0.5, 1.5, shape),
    "normal_0.2": lambda rng, shape: rng.normal(0.0, 0.2, shape),
    "normal_0.3": lambda rng, shape: rng.normal(0.0, 0.3, shape),
    "exp_uniform_ln0.5_ln2": lambda rng, shape: np.exp(rng.uniform(math.log(0.5), math.log(2.0), shape)),
    "normal_0.5": lambda rng, shape: rng.normal(0.0, 0.5, shape),
    "zeros": lambda rng, shape: np.zeros(shape),
}

# (module_type, param) -> rule name; anything else is an error.
_RULE_OF = {
    ("Conv2d", "weight"): "he_normal", ("Conv2d", "bias"): "fan_in_uniform",
    ("ConvTranspose2d", "weight"): "he_normal", ("ConvTranspose2d", "bias"): "fan_in_uniform",
    ("BatchNorm2d", "weight"): "uniform_0.5_1.5", ("BatchNorm2d", "bias"): "normal_0.2",
    ("BatchNorm2d", "running_mean"): "normal_0.3",
    ("BatchNorm2d", "running_var"): "exp_uniform_ln0.5_ln2",
    ("BatchNorm2d", "num_batches_tracked"): "zeros",
    ("MultiRPN", "cls_weight"): "normal_0.5", ("MultiRPN", "loc_weight"): "normal_0.5",
}


def initial_draw(entry: Mapping[str, Any], seed: int) -> np.ndarray:
    """The rule-based draw of one keys.json entry, as a numpy array of the entry's dtype."""
    key = entry["key"]
    rule = _RULE_OF.get((entry["module_type"], entry["param"]))
    if rule is None:
        raise CheckpointError(f"reference weights: no draw rule for {key} "
                              f"({entry['module_type']}.{entry['param']})")
    if entry.get("rule", rule) != rule:
        raise CheckpointError(f"reference weights: {key} says rule {entry['rule']}, expected {rule}")
    shape = tuple(int(s) for s in entry["shape"])
    rng = _key_generator(key, seed)
    if rule in ("he_normal", "fan_in_uniform"):
        fan_in = conv_fan_in(entry)
        if "fan_in" in entry and int(entry["fan_in"]) != fan_in:
            raise CheckpointError(f"reference weights: {key} fan_in {entry['fan_in']} != computed {fan_in}")
        draw = (_draw_he_normal if rule == "he_normal" else _draw_fan_in_uniform)(rng, shape, fan_in)
    else:
        draw = _PLAIN_RULES[rule](rng, shape)
    return np.asarray(draw, dtype=np.float64).astype(np.dtype(entry["dtype"]))


def read_keys_json(keys_json_path: PathLike) -> Dict[str, Any]:
    """Parse a keys.json file (CheckpointError if missing or malformed)."""
    path = Path(keys_json_path)
    try:
        with path.open("r", encoding="utf-8") as handle:
            spec = json.load(handle)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"reference weights: cannot read {path}: {exc}") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("keys"), list):
        raise CheckpointError(f"reference weights: {path} has no 'keys' list")
    return spec


def build_reference_state_dict(keys_json_path: PathLike, overrides_npz_path: PathLike,
                               ) -> "OrderedDict[str, torch.Tensor]":
    """Rebuild the reference state_dict (PySOT key names, keys.json order) as CPU tensors.

    Raises :class:`CheckpointError` if an override is missing, a shape/dtype disagrees or the
    content hash differs from keys.json's ``state_dict_sha256``.
    """
    from .checkpoint import state_dict_content_hash

    spec = read_keys_json(keys_json_path)
    seed = int(spec.get("seed", 0))
    try:
        overrides = np.load(os.fspath(overrides_npz_path), allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"reference weights: cannot read {overrides_npz_path}: {exc}") from None
    state: "OrderedDict[str, torch.Tensor]" = OrderedDict()
    with overrides:
        for entry in spec["keys"]:
            key = entry["key"]
            if entry.get("override"):
                if key not in overrides.files:
                    raise CheckpointError(f"reference weights: override {key} missing from {overrides_npz_path}")
                value = np.ascontiguousarray(overrides[key])
            else:
                value = initial_draw(entry, seed)
            if list(value.shape) != list(entry["shape"]) or value.dtype.name != entry["dtype"]:
                raise CheckpointError(f"reference weights: {key} is {value.dtype}{list(value.shape)}, "
                                      f"keys.json says {entry['dtype']}{entry['shape']}")
            state[key] = torch.from_numpy(value)
    expected = spec.get("state_dict_sha256")
    if expected is not None:
        actual = state_dict_content_hash(state)
        if actual != expected:
            raise CheckpointError(f"reference weights for {spec.get('config', keys_json_path)}: "
                                  f"content hash {actual[:16]}... != expected {expected[:16]}...")
    return state


def pysot_models_dir(explicit: Optional[PathLike] = None) -> Path:
    """Folder holding ``<experiment>/{config.yaml, keys.json, overrides.npz}``.

    Search order: ``explicit``, ``$SIAM_TRACKER_PYSOT_DIR``, the repository's ``models/pysot``
    (source checkout / editable install), ``<prefix>/share/siam_tracker/models/pysot``
    (ROS install or pip data files). Raises :class:`CheckpointError` if none exists.
    """
    candidates = []
    if explicit is not None:
        candidates.append(Path(explicit))
    if os.environ.get("SIAM_TRACKER_PYSOT_DIR"):
        candidates.append(Path(os.environ["SIAM_TRACKER_PYSOT_DIR"]))
    here = Path(__file__).resolve()
    candidates.append(here.parents[2] / "models" / "pysot")
    for prefix in (os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) + [sys.prefix]):
        if prefix:
            candidates.append(Path(prefix) / "share" / "siam_tracker" / "models" / "pysot")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise CheckpointError("PySOT model folder (models/pysot) not found; searched "
                          + ", ".join(str(c) for c in candidates))


def reference_state_dict_for(config_name: str, models_dir: Optional[PathLike] = None,
                             ) -> "OrderedDict[str, torch.Tensor]":
    """The shipped reference weights of PySOT experiment ``config_name`` (see
    :data:`PYSOT_REFERENCE_CONFIGS`)."""
    folder = pysot_models_dir(models_dir) / config_name
    if not (folder / "keys.json").is_file():
        raise CheckpointError(f"no reference weights for {config_name} in {folder.parent} "
                              f"(have: {', '.join(PYSOT_REFERENCE_CONFIGS)})")
    return build_reference_state_dict(folder / "keys.json", folder / "overrides.npz")
