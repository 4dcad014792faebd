"""Typed, frozen tracker configuration and a strict mapping → dataclass loader.

Unknown keys are errors (never silently dropped); derived values are properties.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple, Type, TypeVar

from .errors import ConfigError

T = TypeVar("T")


def dataclass_from_mapping(cls: Type[T], mapping: Optional[Mapping[str, Any]], where: str) -> T:
    """Build frozen dataclass ``cls`` from ``mapping``; unknown keys raise :class:`ConfigError`.

    ``where`` names the source (file and section) in the error message. Lists become tuples
    where the field default is a tuple.
    """
    mapping = dict(mapping or {})
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(mapping) - set(names))
    if unknown:
        raise ConfigError(f"{where}: unknown config key(s) {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(names))})")
    kwargs = {}
    for key, value in mapping.items():
        default = names[key].default
        if isinstance(default, tuple) and isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


@dataclass(frozen=True)
class AnchorConfig:
    """RPN anchors: stride in pixels of the search crop, aspect ratios (h/w) and scales."""

    stride: int = 8
    ratios: Tuple[float, ...] = (0.33, 0.5, 1.0, 2.0, 3.0)
    scales: Tuple[float, ...] = (8.0,)

    @property
    def anchor_num(self) -> int:
        return len(self.ratios) * len(self.scales)


@dataclass(frozen=True)
class TrackConfig:
    """Tracking hyper-parameters with PySOT's names (lower case) and PySOT's defaults."""

    type: str = "SiamRPNTracker"
    penalty_k: float = 0.04
    window_influence: float = 0.44
    lr: float = 0.4
    exemplar_size: int = 127
    instance_size: int = 255
    base_size: int = 8
    context_amount: float = 0.5
    lost_instance_size: int = 831
    confidence_low: float = 0.85
    confidence_high: float = 0.998
    mask_threshold: float = 0.30
    mask_output_size: int = 127

    def __post_init__(self) -> None:
        if self.exemplar_size <= 0 or self.instance_size < self.exemplar_size:
            raise ValueError(f"need 0 < exemplar_size <= instance_size, got "
                             f"{self.exemplar_size}, {self.instance_size}")
        for name in ("window_influence", "lr", "confidence_low", "confidence_high", "mask_threshold"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")

    def score_size(self, stride: int, instance_size: Optional[int] = None) -> int:
        """Side of the score map for a search input of ``instance_size`` (default: ours)."""
        size = self.instance_size if instance_size is None else instance_size
        return (size - self.exemplar_size) // stride + 1 + self.base_size


RUNTIME_BACKENDS = ("auto", "torch", "onnxruntime", "openvino", "tensorrt")


@dataclass(frozen=True)
class RuntimeOptions:
    """Where and how the network runs. ``exact=True`` reproduces PySOT on CPU within 1e-4 px
    (host crop with OpenCV's uint8 resize, one crop-sized host-to-device copy); ``exact=False``
    allows the faster departure of cropping and resizing on the tracking device (CUDA only;
    on CPU OpenCV's crop is faster) and, on the CPU, a BatchNorm-folded channels-last network.
    The heads' template kernels are computed once per target in both modes: that is
    bit-identical to PySOT's per-frame recomputation.

    ``backend`` runs the network call elsewhere (pre- and post-processing unchanged):
    ``torch``, ``onnxruntime``, ``openvino`` (CPU), ``tensorrt`` (CUDA), ``auto`` (torch in exact
    mode, the fastest installed graph runtime in fast mode; see
    ``siam_tracker_ros.models.backends``). ``bf16``: bf16 inference on OpenVINO when the CPU
    has native bf16 (detected at run time); off by default (it moves boxes by more than 0.5 px).
    ``int8``: the per-frame search network statically quantised to int8 on ONNX Runtime
    (``exact=False``, backend ``onnxruntime`` or ``auto``); off by default (it moves boxes by
    pixels; see ``docs/results/bench/``). ``torchscript``: NanoTrack's search pass on the CPU
    with the torch backend runs as frozen TorchScript graphs (``models.frozen_graphs``: less
    Python per frame; bit-identical in exact mode); False keeps it eager.
    """

    device: str = "auto"          # auto | cpu | cuda | cuda:N
    fp16: bool = False            # CUDA only
    exact: bool = True
    num_threads: Optional[int] = None   # torch CPU threads; None = leave torch's default
    backend: str = "torch"        # auto | torch | onnxruntime | openvino | tensorrt
    bf16: bool = False
    int8: bool = False
    torchscript: bool = True

    def __post_init__(self) -> None:
        dev = self.device
        if not (dev in ("auto", "cpu", "cuda") or (dev.startswith("cuda:") and dev[5:].isdigit())):
            raise ValueError(f"device must be auto, cpu, cuda or cuda:N, got {dev!r}")
        if self.backend not in RUNTIME_BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(RUNTIME_BACKENDS)}, got {self.backend!r}")
        if self.int8 and (self.exact or self.backend not in ("auto", "onnxruntime")):
            raise ValueError(f"int8 needs exact false and backend onnxruntime or auto, got "
                             f"exact {self.exact}, backend {self.backend}")
