"""NanoTrack's CPU search pass as frozen TorchScript graphs (less Python per frame, same numbers).

NanoTrack's networks are small: a MobileNetV3 backbone and a BAN head of some 200 modules
whose convolutions take a few ms, so eager PyTorch spends a large share of a tracking frame in
Python (module calls, hooks, dispatch). :class:`FrozenGraphNanoTrack` runs the same model as
``torch.jit.trace`` + ``torch.jit.freeze`` graphs:

- the search backbone, one graph per input shape (batch, channels, height, width);
- the head, one graph per (search features, template kernels) shape, with the template
  kernels as graph *inputs* (a new target needs no new graph).

Freezing runs the same ATen kernels in the same order. With ``optimize_numerics`` False (exact
mode) no numerics-changing pass runs, and the outputs are bit-identical to the eager model's
(a test checks it). Fast mode (BN already folded, channels-last) may also fold what is left:
the outputs match the eager fast model to float rounding.

:meth:`FrozenGraphNanoTrack.warm_up` traces the tracking frame's shapes when the tracker is built.
Any other graph is traced on the first call with a new shape and kept (at most
``max_graphs_per_part`` per part; the oldest is dropped). Templates (once per target) stay
eager, and so does anything under autograd (training). If tracing fails (e.g. a PyTorch without
TorchScript), the wrapper warns once and stays eager.
"""
from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any, Callable, Dict, Sequence, Tuple

import torch
from torch import Tensor, nn

MAX_GRAPHS_PER_PART = 8


class _BackboneLastLevel(nn.Module):
    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, x: Tensor) -> Tensor:
        return self.backbone(x)[0]


class _HeadWithKernelInputs(nn.Module):
    def __init__(self, head: nn.Module, names: Tuple[str, ...]) -> None:
        super().__init__()
        self.head = head
        self.names = names

    def forward(self, xf: Tensor, *kernels: Tensor) -> Tuple[Tensor, Tensor]:
        return self.head(dict(zip(self.names, kernels)), xf)


def _freeze(module: nn.Module, optimize_numerics: bool, *inputs: Tensor) -> Callable[..., Any]:
    with torch.no_grad(), warnings.catch_warnings():
        # xcorr turns the batch size into a constant (fine: each shape gets its own graph)
        warnings.simplefilter("ignore")    # TracerWarning; TorchScript's deprecation notice (torch >= 2.10)
        traced = torch.jit.trace(module.eval(), inputs, check_trace=False)
        return torch.jit.freeze(traced, optimize_numerics=optimize_numerics)


class FrozenGraphNanoTrack(nn.Module):
    """A NanoTrack network (``model``: a :class:`~siam_tracker_ros.models.nanotrack.NanoTrackModel`
    or its fast-mode copy) with the tracker's interface (``template``, ``search_features``,
    ``head_outputs``, ``track``, ``score_size``, ``stride``), whose search pass runs as frozen
    TorchScript graphs (see the module doc). ``optimize_numerics``: let ``torch.jit.freeze``
    run its numerics-changing passes (fast mode only)."""

    def __init__(self, model: nn.Module, optimize_numerics: bool = False,
                 max_graphs_per_part: int = MAX_GRAPHS_PER_PART) -> None:
        super().__init__()
        self.model = model.eval()
        self.optimize_numerics = bool(optimize_numerics)
        self.max_graphs_per_part = int(max_graphs_per_part)
        self._backbones: "OrderedDict[Any, Callable[..., Any]]" = OrderedDict()
        self._heads: "OrderedDict[Any, Callable[..., Any]]" = OrderedDict()
        self.eager = False      # True once tracing failed: everything runs eagerly

    # --- the model's interface -------------------------------------------------------------
    @property
    def stride(self) -> int:
        return int(self.model.stride)

    def score_size(self, instance_size: int) -> int:
        return int(self.model.score_size(instance_size))

    def template(self, z: Tensor, cache_kernels: bool = True) -> Any:
        return self.model.template(z, cache_kernels)

    def search_features(self, x: Tensor) -> Tensor:
        graph = self._graph(self._backbones, _key(x), lambda: _freeze(
            _BackboneLastLevel(self.model.backbone), self.optimize_numerics, x))
        return graph(x) if graph is not None else self.model.search_features(x)

    def head_outputs(self, xf: Tensor, template: Any) -> Dict[str, Tensor]:
        names = tuple(sorted(template.kernels))
        kernels = tuple(template.kernels[name] for name in names)
        graph = self._graph(self._heads, (names, _key(xf), *map(_key, kernels)), lambda: _freeze(
            _HeadWithKernelInputs(self.model.ban_head, names), self.optimize_numerics, xf, *kernels))
        if graph is None:
            return self.model.head_outputs(xf, template)
        cls, loc = graph(xf, *kernels)
        return {"cls": cls, "loc": loc}

    def track(self, x: Tensor, template: Any) -> Dict[str, Tensor]:
        return self.head_outputs(self.search_features(x), template)

    # --- graphs ----------------------------------------------------------------------------
    def warm_up(self, exemplar_size: int, search_sizes: Sequence[int], runs: int = 2) -> None:
        """Trace (and run ``runs`` times: TorchScript profiles the first runs) the graphs of a
        batch-1 search at each of ``search_sizes`` on blank crops laid out as the tracker's, so
        the first tracking frames do not pay for it."""
        def crop(side: int) -> Tensor:      # HWC memory seen as NCHW, as the tracker's crops
            return torch.zeros(1, side, side, 3).permute(0, 3, 1, 2)

        with torch.inference_mode():
            template = self.template(crop(int(exemplar_size)))
            for side in dict.fromkeys(int(s) for s in search_sizes if s):
                for _ in range(max(1, int(runs))):
                    self.track(crop(side), template)

    @property
    def graphs(self) -> int:
        """Graphs held (backbone + head)."""
        return len(self._backbones) + len(self._heads)

    def _graph(self, cache: "OrderedDict[Any, Callable[..., Any]]", key: Any,
               build: Callable[[], Callable[..., Any]]) -> Any:
        if self.eager or (torch.is_grad_enabled() and not torch.is_inference_mode_enabled()):
            return None     # training / autograd: the eager model
        graph = cache.get(key)
        if graph is None:
            try:
                graph = build()
            except Exception as exc:  # noqa: BLE001 - any tracing failure: stay eager
                warnings.warn(f"NanoTrack: TorchScript tracing failed ({exc}); "
                              f"running eagerly", RuntimeWarning, stacklevel=3)
                self.eager = True
                return None
            cache[key] = graph
            while len(cache) > self.max_graphs_per_part:
                cache.popitem(last=False)
        return graph


def _key(t: Tensor) -> Tuple[Any, ...]:
    # not the memory layout: a traced graph runs any strides (dispatched per call)
    return (tuple(t.shape), t.dtype, t.device.type)


__all__ = ["FrozenGraphNanoTrack", "MAX_GRAPHS_PER_PART"]
