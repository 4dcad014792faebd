"""Checkpoint loading (strict, PySOT key names) and the content hash of a state_dict.

``load_checkpoint`` accepts what PySOT's model zoo ships: a raw ``state_dict`` or
``{'state_dict': ...}``, optionally with the ``module.`` prefix of DataParallel training.
Every failure is a :class:`CheckpointError` with one readable line.
"""
from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from typing import Any, List, Mapping, Tuple, Union

import numpy as np
import torch
from torch import nn

from ..core.errors import CheckpointError

_MODULE_PREFIX = "module."
_SHOW_KEYS = 3

# numpy dtype name -> the PyTorch dtype string the content hash uses (SPEC.md §4).
_TORCH_DTYPE_NAMES = {
    "float16": "torch.float16", "float32": "torch.float32", "float64": "torch.float64",
    "int8": "torch.int8", "uint8": "torch.uint8", "int16": "torch.int16",
    "int32": "torch.int32", "int64": "torch.int64", "bool": "torch.bool",
}


def state_dict_content_hash(state_dict: Mapping[str, Any]) -> str:
    """SHA-256 hex digest of a state_dict's content (SPEC.md §4).

    For each key in ``sorted()`` order: key (utf-8), PyTorch dtype name (``torch.float32``),
    ``str(tuple(shape))`` and the raw little-endian C-order bytes, with no separators.
    Values may be torch tensors or numpy arrays (hashed identically).
    """
    digest = hashlib.sha256()
    for key in sorted(state_dict):
        value = state_dict[key]
        if isinstance(value, torch.Tensor):
            dtype_name = str(value.dtype)
            array = value.detach().cpu().contiguous().numpy()
        else:
            array = np.asarray(value)
            dtype_name = _TORCH_DTYPE_NAMES.get(array.dtype.name)
            if dtype_name is None:
                raise ValueError(f"state_dict_content_hash: unsupported dtype {array.dtype} at {key}")
        shape = tuple(int(s) for s in array.shape)
        little_endian = array.astype(array.dtype.newbyteorder("<"), copy=False)
        digest.update(key.encode("utf-8"))
        digest.update(dtype_name.encode("ascii"))
        digest.update(str(shape).encode("ascii"))
        digest.update(little_endian.tobytes(order="C"))  # 0-d safe (ascontiguousarray is not)
    return digest.hexdigest()


def _numpy_scalar_globals() -> list:
    """The numpy globals a checkpoint needs to unpickle numpy *scalars* (NanoTrack's training
    snapshots store ``epoch`` as one), and nothing else: the scalar reconstructor under its
    pickled name ``numpy.core.multiarray.scalar`` (numpy >= 2 moved it to ``numpy._core``),
    ``numpy.dtype`` and the dtype classes of the integer / float scalars. The load stays
    ``weights_only`` (no arbitrary code)."""
    try:
        from numpy._core.multiarray import scalar  # numpy >= 2
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import scalar
    dtype_classes = [type(np.dtype(t)) for t in (np.int64, np.int32, np.float64, np.float32)]
    return [(scalar, "numpy.core.multiarray.scalar"), np.dtype, *dtype_classes]


def _read_source(source: Union[str, os.PathLike, Mapping[str, Any]], config_name: str) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    path = os.fspath(source)
    if not os.path.isfile(path):
        raise CheckpointError(f"checkpoint for {config_name}: file not found: {path}")
    try:
        with torch.serialization.safe_globals(_numpy_scalar_globals()):
            loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or foreign files
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"checkpoint for {config_name}: cannot read {path}: "
                              f"{type(exc).__name__}: {reason[:200]}") from None
    if not isinstance(loaded, Mapping):
        raise CheckpointError(f"checkpoint for {config_name}: {path} holds a "
                              f"{type(loaded).__name__}, not a state_dict")
    return loaded


def _normalise(raw: Mapping[str, Any], config_name: str) -> "OrderedDict[str, torch.Tensor]":
    if "state_dict" in raw and isinstance(raw["state_dict"], Mapping):
        raw = raw["state_dict"]
    state: "OrderedDict[str, torch.Tensor]" = OrderedDict()
    strip = bool(raw) and all(str(k).startswith(_MODULE_PREFIX) for k in raw)
    for key, value in raw.items():
        name = str(key)[len(_MODULE_PREFIX):] if strip else str(key)
        if isinstance(value, np.ndarray):
            value = torch.from_numpy(value)
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"checkpoint for {config_name}: entry {name!r} is a "
                                  f"{type(value).__name__}, not a tensor")
        state[name] = value
    return state


def _listing(keys: List[str]) -> str:
    shown = ", ".join(keys[:_SHOW_KEYS])
    return shown + (f", ... (+{len(keys) - _SHOW_KEYS})" if len(keys) > _SHOW_KEYS else "")


def _mismatch_message(model: nn.Module, state: Mapping[str, torch.Tensor], config_name: str) -> str:
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong: List[Tuple[str, Tuple[int, ...], Tuple[int, ...]]] = [
        (k, tuple(state[k].shape), tuple(v.shape)) for k, v in expected.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)]
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing key(s): {_listing(missing)}")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected key(s): {_listing(unexpected)}")
    if wrong:
        shown = ", ".join(f"{k} {list(got)} vs model {list(want)}" for k, got, want in wrong[:_SHOW_KEYS])
        more = f", ... (+{len(wrong) - _SHOW_KEYS})" if len(wrong) > _SHOW_KEYS else ""
        parts.append(f"{len(wrong)} shape mismatch(es): {shown}{more}")
    return (f"checkpoint does not fit model {config_name} ({len(state)} keys given, "
            f"{len(expected)} expected): " + "; ".join(parts))


def load_checkpoint(model: nn.Module, source: Union[str, os.PathLike, Mapping[str, Any]],
                    config_name: str) -> None:
    """Load ``source`` (a .pth path, a state_dict or ``{'state_dict': ...}``) into ``model``
    with ``strict=True``, after stripping a ``module.`` prefix present on every key.

    Raises :class:`CheckpointError` (one line naming ``config_name``, the counts and the first
    missing/unexpected/mis-shaped keys) on any mismatch, or if the file is missing or unreadable.
    """
    state = _normalise(_read_source(source, config_name), config_name)
    expected = model.state_dict()
    if set(state) != set(expected) or any(tuple(state[k].shape) != tuple(v.shape)
                                          for k, v in expected.items()):
        raise CheckpointError(_mismatch_message(model, state, config_name))
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise CheckpointError(f"checkpoint for {config_name}: {first}") from None
