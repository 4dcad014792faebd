"""``slimnet``: the compact backbone of the project's SiamRPN-slim (trained from scratch here;
the default before NanoTrack v3).

Plain 3x3 convolutions + BatchNorm + ReLU, total stride 8, chosen for CPU speed (dense 3x3
convolutions run several times faster per FLOP than depthwise ones on CPU) and for a
receptive field (87 px) that covers a template-sized target (~64 px in the crop):

==========  ==============================  =================  =================
stage       layers                          search 255 px      template 127 px
==========  ==============================  =================  =================
stem        3x3 s2 p0                       127 x 127          63 x 63
stage1      3x3 s2 p0, 3x3 p1               63 x 63            31 x 31
stage2      3x3 s2 p0, 3x3 p1               31 x 31            15 x 15
stage3      3x3 dilation 2 p2, 3x3 p1       31 x 31            15 x 15
==========  ==============================  =================  =================

The sizes match PySOT's ResNet/MobileNet backbones (127 -> 15, 255 -> 31), so the PySOT neck
(7x7 template crop), depthwise RPN heads and ``BASE_SIZE: 8`` tracker geometry apply unchanged.
Input: (N, 3, H, W) float32 BGR 0..255 (no normalisation: the stem's BatchNorm absorbs the
scale). Output: a 1-tuple (N, channels[-1], H', W'). State-dict keys ``backbone.stem.*``,
``backbone.stage{1,2,3}.*`` (each block ``{i}.conv``, ``{i}.bn``).
"""
from __future__ import annotations

from typing import Sequence, Tuple

from torch import Tensor, nn


class ConvBNReLU(nn.Module):
    """``conv`` (3x3, no bias) + ``bn`` + ReLU."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, padding: int = 1,
                 dilation: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=padding,
                              dilation=dilation, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.bn(self.conv(x)))


class SlimNet(nn.Module):
    """Stride-8 plain ConvNet; ``channels`` = (stem, stage1, stage2, stage3) widths, multiplied
    by ``width_mult`` (rounded, at least 8)."""

    def __init__(self, channels: Sequence[int] = (16, 32, 64, 96), width_mult: float = 1.0) -> None:
        super().__init__()
        if len(channels) != 4 or min(channels) <= 0 or width_mult <= 0:
            raise ValueError(f"channels must be 4 positive widths and width_mult > 0, got "
                             f"{list(channels)}, {width_mult}")
        c0, c1, c2, c3 = (max(8, int(round(c * width_mult))) for c in channels)
        self.stem = ConvBNReLU(3, c0, stride=2, padding=0)
        self.stage1 = nn.Sequential(ConvBNReLU(c0, c1, stride=2, padding=0), ConvBNReLU(c1, c1))
        self.stage2 = nn.Sequential(ConvBNReLU(c1, c2, stride=2, padding=0), ConvBNReLU(c2, c2))
        self.stage3 = nn.Sequential(ConvBNReLU(c2, c3, padding=2, dilation=2), ConvBNReLU(c3, c3))
        self.out_channels: Tuple[int, ...] = (c3,)
        self.stride = 8

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        return (self.stage3(self.stage2(self.stage1(self.stem(x)))),)
