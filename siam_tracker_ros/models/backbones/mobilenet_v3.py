"""NanoTrack's MobileNetV3-small backbones (module layout of its checkpoints: ``features.N``).

A stem (3x3 stride-2 conv, BN, hard-swish) and inverted-residual blocks; the whole sequence is
the output (total stride 16). NanoTrack v1/v2 end at 48 channels; v3 appends a 5x5 block with
expansion 6 to 96 channels (stride 1).

NanoTrack's block differs from standard MobileNetV3 where a block has an expansion conv: its
squeeze-excite runs *before* the activation that follows the depth-wise conv
(pw -> BN -> act -> dw -> BN -> SE -> act -> pw -> BN). Blocks without expansion run
dw -> BN -> act -> SE -> pw -> BN. A residual is added when stride is 1 and the channel count
is kept. Sequence indices match the checkpoints (activations and identity SE hold no weights).
"""
from __future__ import annotations

from typing import Sequence, Tuple

import torch.nn.functional as F
from torch import Tensor, nn

# (kernel, expansion, out channels, squeeze-excite, hard-swish, stride) per block.
BlockSpec = Tuple[int, float, int, bool, bool, int]

SMALL_48: Tuple[BlockSpec, ...] = (
    (3, 1.0, 16, True, False, 2),
    (3, 4.5, 24, False, False, 2),
    (3, 3.67, 24, False, False, 1),
    (5, 4.0, 40, True, True, 2),
    (5, 6.0, 40, True, True, 1),
    (5, 6.0, 40, True, True, 1),
    (5, 3.0, 48, True, True, 1),
    (5, 3.0, 48, True, True, 1),
)
SMALL_96: Tuple[BlockSpec, ...] = SMALL_48 + ((5, 6.0, 96, True, True, 1),)


def make_divisible(value: float, divisor: int = 8) -> int:
    """Nearest multiple of ``divisor`` (at least ``divisor``), never more than 10 % below."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


class SqueezeExcite(nn.Module):
    """Global average -> linear to ``make_divisible(C // 4)`` -> ReLU -> linear -> hard-sigmoid
    -> channel scale (keys ``fc.0``, ``fc.2``)."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        hidden = make_divisible(channels // reduction, 8)
        self.fc = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(inplace=True),
                                nn.Linear(hidden, channels), nn.Hardsigmoid())

    def forward(self, x: Tensor) -> Tensor:
        weights = self.fc(F.adaptive_avg_pool2d(x, 1).view(x.size(0), x.size(1)))
        return x * weights.view(x.size(0), x.size(1), 1, 1)


def _activation(hard_swish: bool) -> nn.Module:
    return nn.Hardswish() if hard_swish else nn.ReLU(inplace=True)


class InvertedResidual(nn.Module):
    """One NanoTrack MobileNetV3 block (``conv`` = the sequence; see the module doc)."""

    def __init__(self, in_ch: int, hidden: int, out_ch: int, kernel: int, stride: int,
                 use_se: bool, hard_swish: bool) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        self.residual = stride == 1 and in_ch == out_ch
        pad = (kernel - 1) // 2
        depthwise = [nn.Conv2d(hidden, hidden, kernel, stride, pad, groups=hidden, bias=False),
                     nn.BatchNorm2d(hidden)]
        se = SqueezeExcite(hidden) if use_se else nn.Identity()
        project = [nn.Conv2d(hidden, out_ch, 1, 1, 0, bias=False), nn.BatchNorm2d(out_ch)]
        if in_ch == hidden:
            layers = depthwise + [_activation(hard_swish), se] + project
        else:
            expand = [nn.Conv2d(in_ch, hidden, 1, 1, 0, bias=False), nn.BatchNorm2d(hidden),
                      _activation(hard_swish)]
            layers = expand + depthwise + [se, _activation(hard_swish)] + project
        self.conv = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV3Small(nn.Module):
    """NanoTrack's backbone: ``forward(x)`` -> ``(features,)`` of ``out_channels[0]``
    channels at stride 16 (BGR 0..255 input, no normalisation)."""

    stride = 16

    def __init__(self, blocks: Sequence[BlockSpec] = SMALL_48, width_mult: float = 1.0) -> None:
        super().__init__()
        channels = make_divisible(16 * width_mult, 8)
        layers: list = [nn.Sequential(nn.Conv2d(3, channels, 3, 2, 1, bias=False),
                                      nn.BatchNorm2d(channels), nn.Hardswish())]
        for kernel, expansion, out, use_se, hard_swish, stride in blocks:
            out_ch = make_divisible(out * width_mult, 8)
            hidden = make_divisible(channels * expansion, 8)
            layers.append(InvertedResidual(channels, hidden, out_ch, kernel, stride, use_se,
                                           hard_swish))
            channels = out_ch
        self.features = nn.Sequential(*layers)
        self.out_channels: Tuple[int, ...] = (channels,)

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        return (self.features(x),)

    @staticmethod
    def output_side(input_side: int) -> int:
        """Feature-map side for a square input of ``input_side`` px (four stride-2 layers)."""
        side = int(input_side)
        for _ in range(4):
            side = (side - 1) // 2 + 1
        return side
