"""RPN heads (PySOT ``pysot/models/head/rpn.py`` layout).

Outputs for A anchors on an S x S score map: ``cls`` (N, 2A, S, S) with channels
``[bg x A, fg x A]`` and ``loc`` (N, 4A, S, S) with ``[dx x A, dy x A, dw x A, dh x A]``.

The template branch of each head (``conv_kernel`` / ``template_*_conv``) can be computed once
with ``template_kernels`` and passed back as ``kernels``; without it the branch is recomputed
from the template features on every call, as PySOT does (same values either way).
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .xcorr import xcorr_depthwise, xcorr_up_channel

HeadKernels = Tuple[Tensor, Tensor]


def _conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size=kernel_size, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class DepthwiseXCorr(nn.Module):
    """``conv_kernel`` (template) and ``conv_search`` (search): 3x3 conv + BN + ReLU each;
    depthwise correlation; ``head`` = 1x1 conv + BN + ReLU + 1x1 conv (bias) -> out channels.
    Template 7x7 -> kernel 5x5, search 31x31 -> 29x29 -> correlation 25x25.
    (``hidden_kernel_size`` is accepted for PySOT compatibility and unused, as in PySOT.)"""

    def __init__(self, in_channels: int, hidden: int, out_channels: int, kernel_size: int = 3,
                 hidden_kernel_size: int = 5) -> None:
        super().__init__()
        self.conv_kernel = _conv_bn_relu(in_channels, hidden, kernel_size)
        self.conv_search = _conv_bn_relu(in_channels, hidden, kernel_size)
        self.head = nn.Sequential(
            nn.Conv2d(hidden, hidden, kernel_size=1, bias=False), nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True), nn.Conv2d(hidden, out_channels, kernel_size=1))

    def template_kernel(self, z: Tensor) -> Tensor:
        """The template branch: (N, C, 7, 7) -> (N, hidden, 5, 5)."""
        return self.conv_kernel(z)

    def correlate(self, x: Tensor, kernel: Tensor) -> Tensor:
        """Search branch + depthwise correlation: (N, C, H, W) -> (N, hidden, H-6, W-6)."""
        return xcorr_depthwise(self.conv_search(x), kernel)

    def forward(self, z: Tensor, x: Tensor, kernel: Optional[Tensor] = None) -> Tensor:
        if kernel is None:
            kernel = self.template_kernel(z)
        return self.head(self.correlate(x, kernel))


class DepthwiseRPN(nn.Module):
    """``cls`` = DepthwiseXCorr(in, out, 2A), ``loc`` = DepthwiseXCorr(in, out, 4A)."""

    multi_level = False

    def __init__(self, anchor_num: int = 5, in_channels: int = 256, out_channels: int = 256) -> None:
        super().__init__()
        self.anchor_num = anchor_num
        self.cls = DepthwiseXCorr(in_channels, out_channels, 2 * anchor_num)
        self.loc = DepthwiseXCorr(in_channels, out_channels, 4 * anchor_num)

    def template_kernels(self, z: Tensor) -> HeadKernels:
        return self.cls.template_kernel(z), self.loc.template_kernel(z)

    def forward(self, z: Tensor, x: Tensor, kernels: Optional[HeadKernels] = None) -> Tuple[Tensor, Tensor]:
        cls_kernel, loc_kernel = kernels if kernels is not None else (None, None)
        return self.cls(z, x, cls_kernel), self.loc(z, x, loc_kernel)


class UPChannelRPN(nn.Module):
    """Original SiamRPN head: template 3x3 convs to C*2A / C*4A channels (the correlation
    kernels), search 3x3 convs C -> C, UP-channel correlation, 1x1 ``loc_adjust`` on loc."""

    multi_level = False

    def __init__(self, anchor_num: int = 5, feature_in: int = 256) -> None:
        super().__init__()
        self.anchor_num = anchor_num
        self.template_cls_conv = nn.Conv2d(feature_in, feature_in * 2 * anchor_num, kernel_size=3)
        self.template_loc_conv = nn.Conv2d(feature_in, feature_in * 4 * anchor_num, kernel_size=3)
        self.search_cls_conv = nn.Conv2d(feature_in, feature_in, kernel_size=3)
        self.search_loc_conv = nn.Conv2d(feature_in, feature_in, kernel_size=3)
        self.loc_adjust = nn.Conv2d(4 * anchor_num, 4 * anchor_num, kernel_size=1)

    def template_kernels(self, z: Tensor) -> HeadKernels:
        return self.template_cls_conv(z), self.template_loc_conv(z)

    def forward(self, z: Tensor, x: Tensor, kernels: Optional[HeadKernels] = None) -> Tuple[Tensor, Tensor]:
        cls_kernel, loc_kernel = kernels if kernels is not None else self.template_kernels(z)
        cls = xcorr_up_channel(self.search_cls_conv(x), cls_kernel)
        loc = self.loc_adjust(xcorr_up_channel(self.search_loc_conv(x), loc_kernel))
        return cls, loc


class MultiRPN(nn.Module):
    """One DepthwiseRPN per level (``rpn2``, ``rpn3``, ...), fused by the plain mean or, if
    ``weighted``, by ``softmax(cls_weight)`` / ``softmax(loc_weight)`` (summed in level order,
    as PySOT does)."""

    multi_level = True

    def __init__(self, anchor_num: int, in_channels: Sequence[int], weighted: bool = False) -> None:
        super().__init__()
        if not in_channels:
            raise ValueError("MultiRPN needs at least one level")
        self.anchor_num = anchor_num
        self.weighted = bool(weighted)
        self.num_levels = len(in_channels)
        for level, channels in enumerate(in_channels, start=2):
            self.add_module(f"rpn{level}", DepthwiseRPN(anchor_num, channels, channels))
        if self.weighted:
            self.cls_weight = nn.Parameter(torch.ones(len(in_channels)))
            self.loc_weight = nn.Parameter(torch.ones(len(in_channels)))

    def _level(self, index: int) -> DepthwiseRPN:
        return getattr(self, f"rpn{index + 2}")

    def template_kernels(self, zs: Sequence[Tensor]) -> Tuple[HeadKernels, ...]:
        return tuple(self._level(i).template_kernels(z) for i, z in enumerate(zs))

    def forward(self, zs: Sequence[Tensor], xs: Sequence[Tensor],
                kernels: Optional[Sequence[HeadKernels]] = None) -> Tuple[Tensor, Tensor]:
        if len(zs) != self.num_levels or len(xs) != self.num_levels:
            raise ValueError(f"MultiRPN expects {self.num_levels} levels, got {len(zs)} / {len(xs)}")
        outputs = [self._level(i)(z, x, None if kernels is None else kernels[i])
                   for i, (z, x) in enumerate(zip(zs, xs))]
        if self.weighted:
            cls_w = F.softmax(self.cls_weight, 0)
            loc_w = F.softmax(self.loc_weight, 0)
            cls = outputs[0][0] * cls_w[0]
            loc = outputs[0][1] * loc_w[0]
            for i in range(1, self.num_levels):
                cls = cls + outputs[i][0] * cls_w[i]
                loc = loc + outputs[i][1] * loc_w[i]
            return cls, loc
        cls, loc = outputs[0]
        for c, l in outputs[1:]:
            cls = cls + c
            loc = loc + l
        return cls / self.num_levels, loc / self.num_levels
