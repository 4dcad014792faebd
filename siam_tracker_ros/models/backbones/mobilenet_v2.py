"""PySOT's dilated MobileNetV2 (``mobilenetv2``), keys ``layer0..layer7``.

``layer0`` = 3x3 stride-2 conv with padding 0 + BN + ReLU6; ``layer1..7`` are inverted
residual stages (t, c, n, s, d) with the last four dilated instead of strided (total stride 8).
Every block has the 1x1 expansion conv, also for t = 1 (unlike torchvision). Channels are
``int(c * width_mult)``: width 1.4 -> 44 (stem), 22, 33, 44, 89, 134, 224, 448.

Input (N, 3, H, W) float32; outputs (tuple, in ``used_layers`` order) are layer outputs:
``used_layers [3, 5, 7]`` -> 44, 134, 448 channels, 127 -> 15x15, 255 -> 31x31.
"""
from __future__ import annotations

from typing import Sequence, Tuple

from torch import Tensor, nn

# (expand ratio t, channels c, blocks n, stride s, dilation d) of layer1..layer7.
_STAGES = ((1, 16, 1, 1, 1), (6, 24, 2, 2, 1), (6, 32, 3, 2, 1), (6, 64, 4, 1, 2),
           (6, 96, 3, 1, 2), (6, 160, 3, 1, 4), (6, 320, 1, 1, 4))


class InvertedResidual(nn.Module):
    """``conv`` = 1x1 expand + BN + ReLU6, 3x3 depthwise (stride, dilation) + BN + ReLU6,
    1x1 project + BN; residual when stride 1 and in == out."""

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int, dilation: int = 1) -> None:
        super().__init__()
        hidden = inp * expand_ratio
        padding = dilation if dilation > 1 else 2 - stride
        self.use_residual = stride == 1 and inp == oup
        self.conv = nn.Sequential(
            nn.Conv2d(inp, hidden, 1, 1, 0, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, padding, dilation=dilation, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


class MobileNetV2(nn.Module):
    """PySOT ``MobileNetV2(width_mult, used_layers)``."""

    stride = 8

    def __init__(self, width_mult: float = 1.0, used_layers: Sequence[int] = (3, 5, 7)) -> None:
        super().__init__()
        used = tuple(int(i) for i in used_layers)
        if not used or any(i not in range(8) for i in used):
            raise ValueError(f"used_layers must be a non-empty subset of 0..7, got {list(used_layers)}")
        self.used_layers = used
        channels = int(32 * width_mult)
        widths = [channels]
        self.layer0 = nn.Sequential(nn.Conv2d(3, channels, 3, 2, 0, bias=False),
                                    nn.BatchNorm2d(channels), nn.ReLU6(inplace=True))
        last_dilation = 1
        for index, (t, c, n, s, d) in enumerate(_STAGES, start=1):
            out = int(c * width_mult)
            first_dilation = d if d == last_dilation else max(d // 2, 1)
            blocks = [InvertedResidual(channels, out, s, t, first_dilation)]
            blocks += [InvertedResidual(out, out, 1, t, d) for _ in range(1, n)]
            self.add_module(f"layer{index}", nn.Sequential(*blocks))
            channels, last_dilation = out, d
            widths.append(out)
        self.out_channels: Tuple[int, ...] = tuple(widths[i] for i in used)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        outputs = []
        for index in range(max(self.used_layers) + 1):
            x = getattr(self, f"layer{index}")(x)
            outputs.append(x)
        return tuple(outputs[i] for i in self.used_layers)
