"""Network runners: the same tracker (pre- and post-processing unchanged) with its network
call on another runtime.

A runner is model-like: ``template(z, cache_kernels=True)`` once per target and
``track(x, template)`` per frame (returns ``cls``/``loc`` torch tensors, plus
``mask_context`` for SiamMask), with the torch model's other attributes (``score_size``,
``has_mask``, ``mask_refine``: SiamMask's refinement stays in torch) passed through.

Backends (``RuntimeOptions.backend``): ``torch`` (the model itself; with ``exact=False`` on the
CPU BatchNorm folded and channels-last, :mod:`..fast_inference`), ``onnxruntime``,
``openvino`` (CPU), ``tensorrt`` (ONNX Runtime's TensorRT / CUDA execution providers; needs a
CUDA machine), ``auto`` (``torch`` in exact mode, :data:`FAST_BACKEND_ORDER`'s first installed
runtime in fast mode). The graphs come from :func:`..export.export_graphs` at build time (a few
seconds) or from files written by ``siam-track export``.
"""
from __future__ import annotations

import importlib.util
from typing import Any, Tuple

from ...core.config import RUNTIME_BACKENDS
from ...core.errors import ConfigError
from .common import BackendUnavailable

BACKENDS: Tuple[str, ...] = RUNTIME_BACKENDS
# Fast mode's graph runtime, fastest first as measured by `siam-track bench` on this project's
# CPU (docs/deployment.md): onnxruntime beat openvino f32 and torch (BN folded) on the
# search branch of every PySOT model.
FAST_BACKEND_ORDER: Tuple[str, ...] = ("onnxruntime", "openvino")
_MODULES = {"onnxruntime": "onnxruntime", "openvino": "openvino", "tensorrt": "onnxruntime"}


def runtime_installed(backend: str) -> bool:
    """True when the Python package of ``backend`` can be imported (torch: always)."""
    module = _MODULES.get(backend)
    return module is None or importlib.util.find_spec(module) is not None


def resolve_backend(backend: str, exact: bool) -> str:
    """The concrete backend for ``auto`` (and a check of the name)."""
    if backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend != "auto":
        return backend
    if exact:
        return "torch"
    return next((b for b in FAST_BACKEND_ORDER if runtime_installed(b)), "torch")


def prepare_network(model: Any, backend: str, exact: bool, num_threads: Any = None,
                    device_type: str = "cpu", bf16: bool = False,
                    int8_calibration: Any = None) -> Any:
    """``model`` ready for the tracker on ``backend`` (see module doc). Models that are not torch
    modules (e.g. the OpenCV-DNN NanoTrack pair) are returned as they are for ``torch``/``auto``.
    ``int8_calibration`` (template crop, search crops): the search graph quantised to int8 on
    those crops, on ONNX Runtime (fast mode; :mod:`.int8`)."""
    import torch

    int8 = int8_calibration is not None
    name = "onnxruntime" if int8 and backend == "auto" else resolve_backend(backend, exact)
    if int8 and (exact or name != "onnxruntime" or not isinstance(model, torch.nn.Module)):
        raise ConfigError(f"int8 needs fast mode (exact false) on backend onnxruntime (or auto) "
                          f"and a torch model, got exact={exact}, backend {name}")
    if name == "torch" or not isinstance(model, torch.nn.Module):
        if name not in ("torch",) and not isinstance(model, torch.nn.Module):
            raise ConfigError(f"backend {name} needs a torch model to export, got {type(model).__name__}")
        if not exact and device_type == "cpu" and isinstance(model, torch.nn.Module):
            from ..fast_inference import prepare_fast_inference
            try:
                return prepare_fast_inference(model)
            except RuntimeError:  # a BN the folder does not pair with its conv: layout only
                return prepare_fast_inference(model, fold_batchnorm=False)
        return model
    if name in ("onnxruntime", "openvino") and device_type != "cpu":
        raise ConfigError(f"backend {name} runs on the CPU; use device cpu (or backend tensorrt "
                          f"on CUDA), got device {device_type}")
    from .graph import build_graph_network
    return build_graph_network(model, name, num_threads=num_threads, bf16=bf16,
                               int8_calibration=int8_calibration)


__all__ = ["BACKENDS", "FAST_BACKEND_ORDER", "BackendUnavailable", "prepare_network",
           "resolve_backend", "runtime_installed"]
