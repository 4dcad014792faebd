"""Build, warm up, reconfigure and free the node's tracker (via the core factory).

Kept apart from the node so the benchmark can build exactly what the node runs.
"""
from __future__ import annotations

import dataclasses
import gc
import os
from typing import Any, Mapping, Optional, Tuple

import numpy as np

from ..core.config import RuntimeOptions
from ..core.errors import ConfigError
from ..core.longterm import LongTermTracker, long_term_settings  # noqa: F401 (the node imports it from here)
from ..core.torch_device import resolved_device  # noqa: F401 (the node imports it from here)
from ..core.tracker import Tracker, layer_of
from .params import NodeSettings

WARM_UP_FRAME_HW = (480, 640)


def runtime_options(settings: NodeSettings) -> RuntimeOptions:
    """RuntimeOptions of the node parameters (the node favours speed: exact=False)."""
    try:
        return RuntimeOptions(device=settings.device, fp16=settings.fp16, exact=False,
                              num_threads=settings.num_threads or None,
                              backend=getattr(settings, "backend", "torch"),
                              int8=bool(getattr(settings, "int8", False)))
    except ValueError as exc:
        what = ("int8" if "int8" in str(exc) else "backend" if "backend" in str(exc)
                else "device")
        raise ConfigError(f"parameter {what}: {exc}") from None


def warm_up_frame(seed: int = 0) -> Tuple[np.ndarray, Tuple[float, float, float, float]]:
    """A textured (480, 640, 3) uint8 BGR frame and a box on a distinct patch, for warm-up."""
    rng = np.random.default_rng(seed)
    frame = rng.integers(0, 80, size=WARM_UP_FRAME_HW + (3,), dtype=np.uint8)
    frame[200:260, 280:360] = rng.integers(150, 255, size=(60, 80, 3), dtype=np.uint8)
    return frame, (280.0, 200.0, 80.0, 60.0)


def warm_up(tracker: Tracker, track_frames: int = 3) -> bool:
    """Run initialise + ``track_frames`` tracks on a synthetic frame, then reset; returns whether
    the tracker produced a mask (i.e. the model has a mask head)."""
    frame, box = warm_up_frame()
    tracker.initialize(frame, box)
    has_mask = False
    for _ in range(track_frames):
        result = tracker.track(frame)
        has_mask = has_mask or result.mask is not None
    tracker.reset()
    return has_mask


def model_name(settings: NodeSettings) -> str:
    if not settings.model_config:
        return "default (nanotrack_v3)"
    return os.path.splitext(os.path.basename(settings.model_config.rstrip("/")))[0] or \
        settings.model_config


def load_tracker(settings: NodeSettings, warm_up_model: bool = True) -> Tuple[Tracker, str, bool]:
    """(tracker, model name, has mask head) built from the node parameters and warmed up.

    Raises ConfigError / CheckpointError with one line when the config or checkpoint is unusable.
    """
    from ..build.spec import TrackerSpec

    spec = TrackerSpec.with_options(model_name(settings), runtime_options(settings),
                                    config=settings.model_config or None,   # a path or a bundled name
                                    weights=settings.model_weights or None,
                                    long_term=settings.long_term)
    tracker = spec.build()
    has_mask = warm_up(tracker) if warm_up_model else False
    return tracker, model_name(settings), has_mask


def apply_tracker_settings(tracker: Tracker, values: Mapping[str, Any]) -> None:
    """Replace long-term settings (LongTermConfig field → value) of a built tracker; takes
    effect on the next frame. ConfigError (one line) for an invalid combination."""
    part = layer_of(tracker, LongTermTracker)
    if part is None:
        raise ConfigError(f"{type(tracker).__name__} has no long-term settings")
    try:
        part.cfg = dataclasses.replace(part.cfg, **dict(values))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"long-term settings: {exc}") from None


def gpu_memory_mib(device: str) -> Optional[float]:
    """Memory torch holds on the CUDA device in MiB (None on CPU)."""
    import torch

    dev = resolved_device(device)
    if not dev.startswith("cuda") or not torch.cuda.is_available():
        return None
    return torch.cuda.memory_allocated(dev) / 2 ** 20


def free_device_memory() -> None:
    """Collect dropped models and return cached CUDA memory to the driver."""
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
