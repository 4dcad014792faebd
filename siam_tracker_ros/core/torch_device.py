"""Torch device, dtype and numerics settings for tracking, from :class:`RuntimeOptions`."""
from __future__ import annotations

import torch

from .config import RuntimeOptions
from .errors import ConfigError


def resolved_device(device: str) -> str:
    """The device string a tracker runs on: ``auto`` -> ``cuda`` when available, else ``cpu``;
    any other value unchanged (not checked: see :func:`resolve_device`)."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def resolve_device(options: RuntimeOptions) -> torch.device:
    """``auto`` -> ``cuda`` when available, else ``cpu``; ``cuda[:N]`` must exist."""
    if options.device == "auto":
        return torch.device(resolved_device(options.device))
    device = torch.device(options.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device {options.device!r} requested but CUDA is not available")
        index = device.index or 0
        if index >= torch.cuda.device_count():
            raise ConfigError(f"device {options.device!r} requested but only "
                              f"{torch.cuda.device_count()} CUDA device(s) exist")
    return device


def inference_dtype(options: RuntimeOptions, device: torch.device) -> torch.dtype:
    """float16 when ``options.fp16`` on a CUDA device (an error elsewhere), else float32."""
    if not options.fp16:
        return torch.float32
    if device.type != "cuda":
        raise ConfigError(f"fp16 runs on CUDA only, but the device is {device}")
    return torch.float16


def configure_numerics(options: RuntimeOptions, device: torch.device) -> None:
    """Apply process-wide torch settings: CPU thread count when given; on CUDA in exact mode
    TF32 off (TF32 moves boxes by far more than PySOT's own run-to-run tolerance)."""
    if options.num_threads is not None:
        torch.set_num_threads(int(options.num_threads))
    if device.type == "cuda" and options.exact:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels on ``device`` (no-op on CPU), for honest timings."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
