"""ONNX export of a Siamese tracker network as two graphs: the template branch (run once per
target) and the search branch (run per frame).

Works for every model with the tracker interface ``template(z, cache_kernels=True)`` /
``track(x, template)`` whose template value is a dataclass of tensors (PySOT family:
:class:`~siam_tracker_ros.models.siamese.TemplateFeatures`, NanoTrack:
:class:`~siam_tracker_ros.models.nanotrack.NanoTemplate`, our SiamRPN-slim). The template
value is flattened into a list of tensors (``template_0``, ``template_1``, ...): the template
graph returns them, the search graph takes them after the search crop ``search``. The search
graph returns ``cls`` and ``loc`` and, for SiamMask, the refinement inputs ``mask_feat_<i>`` and
``mask_corr`` (the refinement itself picks one score position per frame and stays in torch).

The search input side is dynamic (re-detection windows: 255 -> 311 px and more); the template
side is fixed (``exemplar_size``).
"""
from __future__ import annotations

import copy
import dataclasses
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn
from torch.utils import _pytree as pytree

OPSET = 17


@dataclass(frozen=True)
class TemplateLayout:
    """How a template value flattens into tensors: its dataclass type, the pytree spec of
    its fields and the number of leaves."""

    kind: type
    spec: Any
    count: int
    none_fields: Tuple[int, ...] = ()

    def flatten(self, template: Any) -> List[Tensor]:
        leaves, _ = pytree.tree_flatten(_fields(template)[0])
        return list(leaves)

    def unflatten(self, leaves: Sequence[Tensor]) -> Any:
        values = list(pytree.tree_unflatten(list(leaves), self.spec))
        for index in self.none_fields:
            values.insert(index, None)
        return self.kind(*values)


def _fields(template: Any) -> Tuple[Tuple[Any, ...], Tuple[int, ...]]:
    """(the non-None field values, indices of the None fields)."""
    if not dataclasses.is_dataclass(template):
        raise TypeError(f"template value {type(template).__name__} is not a dataclass")
    values = [getattr(template, f.name) for f in dataclasses.fields(template)]
    return (tuple(v for v in values if v is not None),
            tuple(i for i, v in enumerate(values) if v is None))


def template_layout(model: nn.Module, exemplar_size: int = 127) -> TemplateLayout:
    """The layout of ``model``'s cached template (one template pass on zeros)."""
    with torch.inference_mode():
        template = model.template(torch.zeros(1, 3, exemplar_size, exemplar_size), cache_kernels=True)
    values, none_fields = _fields(template)
    leaves, spec = pytree.tree_flatten(values)
    if not all(isinstance(leaf, Tensor) for leaf in leaves):
        raise TypeError("template value holds non-tensor leaves")
    return TemplateLayout(type(template), spec, len(leaves), none_fields)


def has_mask(model: nn.Module) -> bool:
    return bool(getattr(model, "has_mask", False))


class TemplateBranch(nn.Module):
    """z (1, 3, E, E) -> the flattened cached template (tuple of tensors)."""

    def __init__(self, model: nn.Module, layout: TemplateLayout) -> None:
        super().__init__()
        self.model, self.layout = model, layout

    def forward(self, z: Tensor) -> Tuple[Tensor, ...]:
        return tuple(self.layout.flatten(self.model.template(z, cache_kernels=True)))


class SearchBranch(nn.Module):
    """(x (1, 3, S, S), *template tensors) -> (cls, loc[, mask features..., mask corr])."""

    def __init__(self, model: nn.Module, layout: TemplateLayout) -> None:
        super().__init__()
        self.model, self.layout = model, layout

    def forward(self, x: Tensor, *leaves: Tensor) -> Tuple[Tensor, ...]:
        out = self.model.track(x, self.layout.unflatten(leaves))
        extra: Tuple[Tensor, ...] = ()
        if "mask_context" in out:
            ctx = out["mask_context"]
            extra = tuple(ctx.features) + (ctx.corr_feature,)
        return (out["cls"], out["loc"]) + extra


@dataclass(frozen=True)
class ExportedGraphs:
    """The two serialised graphs and their tensor names."""

    template_onnx: bytes
    search_onnx: bytes
    template_names: Tuple[str, ...]
    search_outputs: Tuple[str, ...]
    mask_features: int


def mask_feature_count(model: nn.Module, layout: TemplateLayout, instance_size: int,
                       exemplar_size: int = 127) -> int:
    if not has_mask(model):
        return 0
    with torch.inference_mode():
        t = model.template(torch.zeros(1, 3, exemplar_size, exemplar_size), cache_kernels=True)
        out = model.track(torch.zeros(1, 3, instance_size, instance_size), t)
    return len(out["mask_context"].features)


def _to_onnx(module: nn.Module, args: Tuple[Tensor, ...], inputs: List[str], outputs: List[str],
             dynamic: dict) -> bytes:
    buffer = io.BytesIO()
    # each export on its own copy: torch's ONNX eval-mode peephole (conv + BN fusion) writes
    # into the parameters it exports, so a second export of the same module would fuse twice
    module = copy.deepcopy(module)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, buffer, input_names=inputs, output_names=outputs,
                          dynamic_axes=dynamic or None, opset_version=OPSET,
                          do_constant_folding=True, dynamo=False)
    return buffer.getvalue()


def export_graphs(model: nn.Module, exemplar_size: int = 127, instance_size: int = 255,
                  dynamic_search: bool = True) -> ExportedGraphs:
    """Export ``model`` (eval mode, float32, CPU) as (template graph, search graph) bytes.

    ``model`` itself is left untouched (each graph is exported from a copy, see ``_to_onnx``)."""
    model = copy.deepcopy(model).eval().float().cpu()
    layout = template_layout(model, exemplar_size)
    names = tuple(f"template_{i}" for i in range(layout.count))
    z = torch.zeros(1, 3, exemplar_size, exemplar_size)
    with torch.no_grad():
        leaves = tuple(TemplateBranch(model, layout)(z))
        template_bytes = _to_onnx(TemplateBranch(model, layout), (z,), ["template"], list(names), {})
        masks = mask_feature_count(model, layout, instance_size, exemplar_size)
        outputs = ["cls", "loc"] + [f"mask_feat_{i}" for i in range(masks)] + (["mask_corr"] if masks else [])
        x = torch.zeros(1, 3, instance_size, instance_size)
        dynamic = {}
        if dynamic_search:
            dynamic = {"search": {2: "side", 3: "side"}}
            dynamic.update({name: {2: f"{name}_h", 3: f"{name}_w"} for name in outputs})
        search_bytes = _to_onnx(SearchBranch(model, layout), (x,) + leaves, ["search", *names],
                                outputs, dynamic)
    return ExportedGraphs(template_bytes, search_bytes, names, tuple(outputs), masks)


def write_graphs(graphs: ExportedGraphs, out_dir: Union[str, os.PathLike], stem: str) -> Tuple[Path, Path]:
    """Write ``<stem>.template.onnx`` and ``<stem>.search.onnx`` into ``out_dir``."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / f"{stem}.template.onnx", folder / f"{stem}.search.onnx")
    paths[0].write_bytes(graphs.template_onnx)
    paths[1].write_bytes(graphs.search_onnx)
    return paths


def network_of(tracker: Any) -> Optional[nn.Module]:
    """The torch network inside a built tracker (wrappers: ``rpn`` / ``base`` / ``tracker``)."""
    seen = 0
    while tracker is not None and seen < 8:
        model = getattr(tracker, "model", None)
        if isinstance(model, nn.Module):
            return model
        torch_model = getattr(model, "torch_model", None)
        if isinstance(torch_model, nn.Module):
            return torch_model
        tracker = next((getattr(tracker, a) for a in ("rpn", "base", "tracker", "inner")
                        if getattr(tracker, a, None) is not None), None)
        seen += 1
    return None
