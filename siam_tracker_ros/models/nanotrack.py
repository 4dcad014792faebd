"""NanoTrack v1 / v2 / v3 (HonglinChu/SiamTrackers, ``NanoTrack/``): MobileNetV3-small backbone
and an anchor-free BAN head, as a stateless ``nn.Module`` with the upstream checkpoint layout
(``backbone.*``, ``neck.*``, ``ban_head.*``; the upstream ``.pth`` files load with
``strict=True``, key for key).

Inputs are float32 BGR 0..255 crops (no normalisation, no channel swap): template
(N, 3, 127, 127) -> 8x8 features, search (N, 3, S, S) -> ceil-ish S/16 features.

The ``neck`` (1x1 conv + BN) is built because its weights are in every upstream checkpoint, but
upstream never calls it when tracking, and neither do we (it does not even fit v1's 48-ch
features: it was trained as 64 -> 64).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Tuple, Union

from torch import Tensor, nn

from .backbones.mobilenet_v3 import SMALL_48, SMALL_96, MobileNetV3Small
from .heads.ban import BAN_HEADS, BANHead
from .neck import AdjustLayer

VERSIONS = (1, 2, 3)
POINT_STRIDE = 16
# (backbone blocks, unused neck channels) per version.
_ARCH = {1: (SMALL_48, 64), 2: (SMALL_48, 64), 3: (SMALL_96, 96)}


@dataclass(frozen=True)
class NanoTemplate:
    """Template branch output kept by the tracker: the backbone features ``zf`` (N, C, 8, 8)
    and the head's template-only branches computed from them (``kernels``)."""

    zf: Tensor
    kernels: Dict[str, Tensor]

    @property
    def batch_size(self) -> int:
        return int(self.zf.size(0))


class NanoTrackModel(nn.Module):
    """NanoTrack network of one ``version`` (1, 2 or 3). Build with :func:`build_nanotrack_model`."""

    def __init__(self, version: int) -> None:
        super().__init__()
        if version not in _ARCH:
            raise ValueError(f"NanoTrack version must be one of {VERSIONS}, got {version!r}")
        blocks, neck_channels = _ARCH[version]
        self.version = int(version)
        self.backbone = MobileNetV3Small(blocks)
        self.neck = AdjustLayer(neck_channels, neck_channels)  # checkpoint only, never called
        self.ban_head: BANHead = BAN_HEADS[version]()

    @property
    def stride(self) -> int:
        return POINT_STRIDE

    def score_size(self, instance_size: int) -> int:
        """Side of the score map for a search input of ``instance_size`` px (255 -> 16 for
        v1/v2, 15 for v3)."""
        return self.backbone.output_side(instance_size) - self.ban_head.shrink

    def template(self, z: Tensor, cache_kernels: bool = True) -> NanoTemplate:
        """z (N, 3, 127, 127) -> :class:`NanoTemplate` (the head's template branches are always
        computed once here; ``cache_kernels`` is accepted for the tracker interface)."""
        zf = self.backbone(z)[0]
        return NanoTemplate(zf, self.ban_head.template_kernels(zf))

    def search_features(self, x: Tensor) -> Tensor:
        """Search backbone: x (N, 3, S, S) -> (N, C, s, s)."""
        return self.backbone(x)[0]

    def head_outputs(self, xf: Tensor, template: NanoTemplate) -> Dict[str, Tensor]:
        """``{'cls': (N, 2, s', s'), 'loc': (N, 4, s', s')}`` from search features; a template
        of batch 1 serves any search batch."""
        cls, loc = self.ban_head(template.kernels, xf)
        return {"cls": cls, "loc": loc}

    def track(self, x: Tensor, template: NanoTemplate) -> Dict[str, Tensor]:
        """Search branch: ``head_outputs(search_features(x), template)``."""
        return self.head_outputs(self.search_features(x), template)

    def forward(self, z: Tensor, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Template + search in one call (training, tracing): returns (cls, loc)."""
        out = self.track(x, self.template(z))
        return out["cls"], out["loc"]


def build_nanotrack_model(version: int) -> NanoTrackModel:
    """A fresh NanoTrack model in eval mode (untrained weights; load a checkpoint next)."""
    return NanoTrackModel(int(version)).eval()


def load_nanotrack(version: int, weights: Union[str, os.PathLike, Mapping[str, Any]]) -> NanoTrackModel:
    """:func:`build_nanotrack_model` + strict :func:`~.checkpoint.load_checkpoint` of an
    upstream checkpoint (or a state_dict); a checkpoint that does not fit is a one-line
    :class:`~siam_tracker_ros.core.errors.CheckpointError`."""
    from .checkpoint import load_checkpoint

    model = build_nanotrack_model(version)
    load_checkpoint(model, weights, f"nanotrack_v{int(version)}")
    return model.eval()
