"""AlexNet backbones of PySOT: ``AlexNetLegacy`` (keys ``features.N``) and ``AlexNet``
(keys ``layer1..layer5``), same computation.

Input (N, 3, H, W) float32 BGR 0..255; output a 1-tuple (N, 256*w, (H-63)/8, ...):
127 -> 6x6, 287 -> 26x26. No padding anywhere; BN before max-pool and ReLU; no final ReLU.
"""
from __future__ import annotations

from typing import List, Tuple

from torch import Tensor, nn

from .pooling import channels_last_on_cpu, to_model_layout

_BASE_CHANNELS = (96, 256, 384, 384, 256)


def _widths(width_mult: float) -> List[int]:
    return [3] + [int(c * width_mult) for c in _BASE_CHANNELS]


def _pooled_stage(conv: nn.Module, bn: nn.Module, pool: nn.Module, relu: nn.Module, x: Tensor) -> Tensor:
    """conv -> BN -> max-pool -> ReLU, PySOT's order. The max-pool runs channels-last on the
    CPU (exact, see :mod:`.pooling`); conv1 (3 input channels) runs channels-last too, where
    it gives bit-identical values, conv2 runs on NCHW as in PySOT."""
    if conv.in_channels == 3:
        x = channels_last_on_cpu(x)
    x = bn(conv(x))
    return relu(to_model_layout(pool(channels_last_on_cpu(x)), conv.weight))


def _alexnet_stages(width_mult: float) -> List[List[nn.Module]]:
    """The five stages as module lists (conv, BN, [max-pool], [ReLU])."""
    c = _widths(width_mult)
    return [
        [nn.Conv2d(c[0], c[1], kernel_size=11, stride=2), nn.BatchNorm2d(c[1]),
         nn.MaxPool2d(kernel_size=3, stride=2), nn.ReLU(inplace=True)],
        [nn.Conv2d(c[1], c[2], kernel_size=5), nn.BatchNorm2d(c[2]),
         nn.MaxPool2d(kernel_size=3, stride=2), nn.ReLU(inplace=True)],
        [nn.Conv2d(c[2], c[3], kernel_size=3), nn.BatchNorm2d(c[3]), nn.ReLU(inplace=True)],
        [nn.Conv2d(c[3], c[4], kernel_size=3), nn.BatchNorm2d(c[4]), nn.ReLU(inplace=True)],
        [nn.Conv2d(c[4], c[5], kernel_size=3), nn.BatchNorm2d(c[5])],
    ]


class AlexNetLegacy(nn.Module):
    """PySOT ``alexnetlegacy`` (siamrpn_alex_dwxcorr): one ``features`` Sequential."""

    stride = 8

    def __init__(self, width_mult: float = 1.0) -> None:
        super().__init__()
        self.features = nn.Sequential(*[m for stage in _alexnet_stages(width_mult) for m in stage])
        self.out_channels: Tuple[int, ...] = (_widths(width_mult)[-1],)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        f = self.features
        x = _pooled_stage(f[0], f[1], f[2], f[3], x)
        x = _pooled_stage(f[4], f[5], f[6], f[7], x)
        for index in range(8, len(f)):
            x = f[index](x)
        return (x,)


class AlexNet(nn.Module):
    """PySOT ``alexnet`` (training configs): the same net with keys ``layer1..layer5``."""

    stride = 8

    def __init__(self, width_mult: float = 1.0) -> None:
        super().__init__()
        for index, stage in enumerate(_alexnet_stages(width_mult), start=1):
            self.add_module(f"layer{index}", nn.Sequential(*stage))
        self.out_channels: Tuple[int, ...] = (_widths(width_mult)[-1],)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = _pooled_stage(*self.layer1, x)
        x = _pooled_stage(*self.layer2, x)
        for index in range(3, 6):
            x = getattr(self, f"layer{index}")(x)
        return (x,)
