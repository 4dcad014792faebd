"""PySOT's dilated ("atrous") ResNet, not torchvision's.

Differences from torchvision: ``conv1`` has padding 0 (127 -> 61); a stride-2 3x3 conv has
padding 0; the downsample branches of strided or dilated stages are 3x3 convs; layer3 and
layer4 keep stride 8 with dilation 2 and 4 (their first block uses half the dilation);
layer3/layer4 exist only when listed in ``used_layers``.

Input (N, 3, H, W) float32; outputs (tuple, in ``used_layers`` order) from
``[relu(bn1(conv1)), layer1, layer2, layer3, layer4]``: 64, 256, 512, 1024, 2048 channels
(ResNet-50); sizes 127 -> 61, 31, 15, 15, 15 and 255 -> 125, 63, 31, 31, 31.
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple, Type, Union

from torch import Tensor, nn

from .pooling import channels_last_on_cpu, to_model_layout

_OUTPUT_NAMES = ("stem", "layer1", "layer2", "layer3", "layer4")


def _block_conv_geometry(stride: int, dilation: int, first_of_dilated: bool) -> Tuple[int, int]:
    """(dilation, padding) of a block's strided 3x3 conv, PySOT's rule: padding ``2 - stride``;
    dilated stages use their dilation as padding, halved in the stage's first block."""
    if first_of_dilated and dilation > 1:
        dilation //= 2
    padding = dilation if dilation > 1 else 2 - stride
    return dilation, padding


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride, dilation) -> 1x1 (x4 channels), residual, ReLU."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None, dilation: int = 1) -> None:
        super().__init__()
        dd, pad = _block_conv_geometry(stride, dilation, downsample is not None)
        if stride != 1 and dd != 1:
            raise ValueError("a block cannot have both stride and dilation")
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=pad,
                               dilation=dd, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        out += shortcut
        return self.relu(out)


class BasicBlock(nn.Module):
    """3x3 (stride, dilation) -> 3x3 (dilation), residual, ReLU (ResNet-18/34)."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None, dilation: int = 1) -> None:
        super().__init__()
        dd, pad = _block_conv_geometry(stride, dilation, downsample is not None)
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=3, stride=stride, padding=pad,
                               dilation=dd, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, padding=dilation,
                               dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        out += shortcut
        return self.relu(out)


Block = Union[Type[Bottleneck], Type[BasicBlock]]


class ResNetAtrous(nn.Module):
    """PySOT ``ResNet`` (resnet_atrous.py); keys ``conv1, bn1, layer1..layer4``."""

    stride = 8

    def __init__(self, block: Block, blocks_per_stage: Sequence[int],
                 used_layers: Sequence[int] = (2, 3, 4)) -> None:
        super().__init__()
        used = tuple(int(i) for i in used_layers)
        if not used or any(i not in range(5) for i in used):
            raise ValueError(f"used_layers must be a non-empty subset of 0..4, got {list(used_layers)}")
        self.used_layers = used
        self._inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=0, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_stage(block, 64, blocks_per_stage[0])
        self.layer2 = self._make_stage(block, 128, blocks_per_stage[1], stride=2)
        self.layer3 = (self._make_stage(block, 256, blocks_per_stage[2], dilation=2)
                       if 3 in used else None)
        self.layer4 = (self._make_stage(block, 512, blocks_per_stage[3], dilation=4)
                       if 4 in used else None)
        e = block.expansion
        widths = [64, 64 * e, 128 * e]
        widths.append(256 * e if self.layer3 is not None else widths[2])   # identity if absent
        widths.append(512 * e if self.layer4 is not None else widths[3])
        self.out_channels: Tuple[int, ...] = tuple(widths[i] for i in used)

    def _make_stage(self, block: Block, planes: int, count: int, stride: int = 1,
                    dilation: int = 1) -> nn.Sequential:
        out_planes = planes * block.expansion
        downsample = None
        if stride != 1 or self._inplanes != out_planes:
            if stride == 1 and dilation == 1:
                conv = nn.Conv2d(self._inplanes, out_planes, kernel_size=1, stride=stride, bias=False)
            else:
                dd = dilation // 2 if dilation > 1 else 1
                pad = dd if dilation > 1 else 0
                conv = nn.Conv2d(self._inplanes, out_planes, kernel_size=3, stride=stride,
                                 padding=pad, dilation=dd, bias=False)
            downsample = nn.Sequential(conv, nn.BatchNorm2d(out_planes))
        layers = [block(self._inplanes, planes, stride, downsample, dilation=dilation)]
        self._inplanes = out_planes
        layers += [block(out_planes, planes, dilation=dilation) for _ in range(1, count)]
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        last = max(self.used_layers)
        # Stem channels-last on the CPU for the fast exact max-pool (see .pooling).
        stem = self.relu(self.bn1(self.conv1(channels_last_on_cpu(x))))
        outputs = [to_model_layout(stem, self.conv1.weight)]
        if last >= 1:
            outputs.append(self.layer1(to_model_layout(self.maxpool(stem), self.conv1.weight)))
        if last >= 2:
            outputs.append(self.layer2(outputs[1]))
        if last >= 3:
            outputs.append(outputs[2] if self.layer3 is None else self.layer3(outputs[2]))
        if last >= 4:
            outputs.append(outputs[3] if self.layer4 is None else self.layer4(outputs[3]))
        return tuple(outputs[i] for i in self.used_layers)


def resnet50(used_layers: Sequence[int] = (2, 3, 4)) -> ResNetAtrous:
    """PySOT ``resnet50``: Bottleneck blocks (3, 4, 6, 3)."""
    return ResNetAtrous(Bottleneck, (3, 4, 6, 3), used_layers)


def resnet34(used_layers: Sequence[int] = (2, 3, 4)) -> ResNetAtrous:
    """PySOT ``resnet34``: BasicBlock blocks (3, 4, 6, 3)."""
    return ResNetAtrous(BasicBlock, (3, 4, 6, 3), used_layers)


def resnet18(used_layers: Sequence[int] = (2, 3, 4)) -> ResNetAtrous:
    """PySOT ``resnet18``: BasicBlock blocks (2, 2, 2, 2)."""
    return ResNetAtrous(BasicBlock, (2, 2, 2, 2), used_layers)
