"""Build a :class:`SiameseModel` from a :class:`ModelConfig` (PySOT type names and KWARGS).

Supported types: backbones ``alexnetlegacy``, ``alexnet``, ``resnet18``, ``resnet34``,
``resnet50``, ``mobilenetv2``; necks ``AdjustLayer``, ``AdjustAllLayer``; RPN heads
``UPChannelRPN``, ``DepthwiseRPN``, ``MultiRPN``; mask ``MaskCorr``; refine ``Refine``.
Unknown types or arguments are a :class:`ConfigError` naming the config file.
"""
from __future__ import annotations

import inspect
from typing import Callable, Dict, Mapping

from torch import nn

from ..core.errors import ConfigError
from .pysot_config import ModelConfig, ModuleSpec
from .backbones.alexnet import AlexNet, AlexNetLegacy
from .backbones.mobilenet_v2 import MobileNetV2
from .backbones.resnet_atrous import resnet18, resnet34, resnet50
from .backbones.slim import SlimNet
from .heads.mask import MaskCorr, Refine
from .heads.rpn import DepthwiseRPN, MultiRPN, UPChannelRPN
from .neck import AdjustAllLayer, AdjustLayer
from .siamese import SiameseModel

BACKBONES: Dict[str, Callable[..., nn.Module]] = {
    "alexnetlegacy": AlexNetLegacy, "alexnet": AlexNet,
    "resnet18": resnet18, "resnet34": resnet34, "resnet50": resnet50,
    "mobilenetv2": MobileNetV2,
    "slimnet": SlimNet,  # SiamRPN-slim's backbone (H7, models/backbones/slim.py)
}
NECKS: Dict[str, Callable[..., nn.Module]] = {"AdjustLayer": AdjustLayer, "AdjustAllLayer": AdjustAllLayer}
RPN_HEADS: Dict[str, Callable[..., nn.Module]] = {
    "UPChannelRPN": UPChannelRPN, "DepthwiseRPN": DepthwiseRPN, "MultiRPN": MultiRPN}
MASK_HEADS: Dict[str, Callable[..., nn.Module]] = {"MaskCorr": MaskCorr}
REFINE_HEADS: Dict[str, Callable[..., nn.Module]] = {"Refine": Refine}


def _construct(section: str, spec: ModuleSpec, registry: Mapping[str, Callable[..., nn.Module]],
               where: str) -> nn.Module:
    factory = registry.get(spec.type)
    if factory is None:
        raise ConfigError(f"{where}: {section}.TYPE {spec.type!r} is not supported "
                          f"(supported: {', '.join(registry)})")
    kwargs = spec.kwargs_dict()
    params = inspect.signature(factory).parameters
    unknown = sorted(set(kwargs) - set(params))
    if unknown:
        raise ConfigError(f"{where}: unknown {section}.KWARGS key(s) {', '.join(unknown)} for "
                          f"{spec.type} (known: {', '.join(params)})")
    try:
        return factory(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: cannot build {section} {spec.type} from KWARGS {kwargs}: {exc}") from None


def build_model(model_cfg: ModelConfig) -> SiameseModel:
    """A fresh :class:`SiameseModel` in eval mode (untrained weights; load a checkpoint next)."""
    where = model_cfg.source
    backbone = _construct("BACKBONE", model_cfg.backbone, BACKBONES, where)
    neck = _construct("ADJUST", model_cfg.neck, NECKS, where) if model_cfg.neck is not None else None
    rpn_head = _construct("RPN", model_cfg.rpn, RPN_HEADS, where)
    mask_head = _construct("MASK", model_cfg.mask, MASK_HEADS, where) if model_cfg.mask is not None else None
    refine_head = (_construct("REFINE", model_cfg.refine, REFINE_HEADS, where)
                   if model_cfg.refine is not None else None)
    if refine_head is not None and mask_head is None:
        raise ConfigError(f"{where}: REFINE.REFINE needs MASK.MASK")
    model = SiameseModel(backbone, rpn_head, neck=neck, mask_head=mask_head, refine_head=refine_head)
    return model.eval()

