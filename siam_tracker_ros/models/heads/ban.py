"""NanoTrack's anchor-free (BAN) heads, v1 / v2 / v3, with the module layout of its checkpoints
(keys ``ban_head.*``).

Every head maps (template features 8x8, search features SxS) to ``cls`` (N, 2, S', S') logits
[background, foreground] and ``loc`` (N, 4, S', S') distances left, top, right, bottom (already
``exp``-ed, search-crop px), S' = S for v1/v2 and S - 1 for v3. The template-only branches are
split out (:meth:`template_kernels`), so a tracker computes them once per target:
``head(kernels, xf)`` with ``kernels = head.template_kernels(zf)``.

* v1: pixel-wise correlation of the raw features -> channel attention -> cls tower
  (3 x [dw 5/5/3, pw, BN, ReLU6] to 128 ch) and box tower (4 x [dw 3/3/5/5, pw, BN, ReLU6] to
  96 ch) -> 1x1 convs.
* v2: per branch (cls, reg) a 1x1 conv + BN on template and search, pixel-wise correlation and
  channel attention; towers of 6 x [dw 3x3, pw, BN, ReLU6] (64 -> 96 ch).
* v3: per branch a pixel-wise part (1x1 conv + BN on both, correlation, attention, 2x2 dw conv
  + BN + ReLU6 + 1x1 conv + BN: 64 ch, side S - 1) and a depth-wise part on the template's
  centre 4x4 (1x1 conv + BN on both, depth-wise correlation with padding 1: 96 ch, side S - 1),
  concatenated and reduced by a 1x1 conv; towers of 6 x [dw 3x3, BN, ReLU6, pw, BN].
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .xcorr import xcorr_depthwise, xcorr_pixelwise

TEMPLATE_POSITIONS = 64  # 8x8 template map -> 64 correlation channels


class ChannelAttention(nn.Module):
    """Global average -> 1x1 conv -> ReLU -> 1x1 conv -> sigmoid -> channel scale."""

    def __init__(self, channels: int = TEMPLATE_POSITIONS) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels, kernel_size=1)
        self.fc2 = nn.Conv2d(channels, channels, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        weights = torch.sigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1)))))
        return x * weights


def _pw_bn(in_ch: int, out_ch: int) -> nn.Sequential:
    """1x1 conv (with bias) + BN (keys ``0``, ``1``)."""
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, kernel_size=1), nn.BatchNorm2d(out_ch))


class PixelwiseBranch(nn.Module):
    """Pixel-wise correlation + channel attention (key ``CA_layer``); with ``adjust`` a 1x1
    conv + BN on each input first (``conv_kernel``, ``conv_search``); with ``reduce`` a 2x2
    depth-wise conv + BN + ReLU6 + 1x1 conv + BN after (``conv``, v3)."""

    def __init__(self, channels: int, adjust: bool, reduce: bool) -> None:
        super().__init__()
        self.CA_layer = ChannelAttention(TEMPLATE_POSITIONS)
        if adjust:
            self.conv_kernel = _pw_bn(channels, channels)
            self.conv_search = _pw_bn(channels, channels)
        self.adjust = adjust
        if reduce:
            c = TEMPLATE_POSITIONS
            self.conv = nn.Sequential(nn.Conv2d(c, c, kernel_size=2, groups=c, bias=False),
                                      nn.BatchNorm2d(c), nn.ReLU6(inplace=True),
                                      nn.Conv2d(c, c, kernel_size=1), nn.BatchNorm2d(c))
        self.reduce = reduce

    def template_kernel(self, zf: Tensor) -> Tensor:
        return self.conv_kernel(zf) if self.adjust else zf

    def forward(self, kernel: Tensor, xf: Tensor) -> Tensor:
        search = self.conv_search(xf) if self.adjust else xf
        out = self.CA_layer(xcorr_pixelwise(search, kernel))
        return self.conv(out) if self.reduce else out


class DepthwiseBranch(nn.Module):
    """v3's depth-wise correlation: 1x1 conv + BN on each input, correlation with padding 1."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv_kernel = _pw_bn(channels, channels)
        self.conv_search = _pw_bn(channels, channels)

    def template_kernel(self, zf_center: Tensor) -> Tensor:
        return self.conv_kernel(zf_center)

    def forward(self, kernel: Tensor, xf: Tensor) -> Tensor:
        return xcorr_depthwise(self.conv_search(xf), kernel, padding=1)


def _separable_tower(channels: Sequence[int], kernels: Sequence[int]) -> nn.Sequential:
    """v1/v2 tower: per layer [dw k x k, pw, BN, ReLU6]; ``channels`` = in, then each out."""
    layers: List[nn.Module] = []
    for (cin, cout), k in zip(zip(channels[:-1], channels[1:]), kernels):
        layers += [nn.Conv2d(cin, cin, k, 1, k // 2, groups=cin, bias=False),
                   nn.Conv2d(cin, cout, 1, 1, 0, bias=False), nn.BatchNorm2d(cout),
                   nn.ReLU6(inplace=True)]
    return nn.Sequential(*layers)


def _linear_tower(channels: int, depth: int) -> nn.Sequential:
    """v3 tower: per layer [dw 3x3, BN, ReLU6, pw, BN] (no activation after the pw)."""
    layers: List[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Conv2d(channels, channels, 3, 1, 1, groups=channels, bias=False),
                   nn.BatchNorm2d(channels), nn.ReLU6(inplace=True),
                   nn.Conv2d(channels, channels, 1, 1, 0, bias=False), nn.BatchNorm2d(channels)]
    return nn.Sequential(*layers)


def _conv1x1(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, kernel_size=1))


class BANHead(nn.Module):
    """Common interface: ``template_kernels(zf)`` and ``forward(kernels, xf) -> (cls, loc)``."""

    version = 0
    shrink = 0  # the score map is ``shrink`` cells smaller than the search features

    def template_kernels(self, zf: Tensor) -> Dict[str, Tensor]:
        raise NotImplementedError

    def forward(self, kernels: Dict[str, Tensor], xf: Tensor) -> Tuple[Tensor, Tensor]:
        raise NotImplementedError


class BANHeadV1(BANHead):
    """NanoTrack v1 head (48-ch features)."""

    version = 1

    def __init__(self) -> None:
        super().__init__()
        c = TEMPLATE_POSITIONS
        self.corr_pw = PixelwiseBranch(48, adjust=False, reduce=False)
        self.cls_tower = _separable_tower((c, 128, 128, 128), (5, 5, 3))
        self.bbox_tower = _separable_tower((c, 96, 96, 96, 96), (3, 3, 5, 5))
        self.cls_logits = _conv1x1(128, 2)
        self.bbox_pred = _conv1x1(96, 4)

    def template_kernels(self, zf: Tensor) -> Dict[str, Tensor]:
        return {"pw": self.corr_pw.template_kernel(zf)}

    def forward(self, kernels: Dict[str, Tensor], xf: Tensor) -> Tuple[Tensor, Tensor]:
        corr = self.corr_pw(kernels["pw"], xf)
        cls = self.cls_logits(self.cls_tower(corr))
        loc = torch.exp(self.bbox_pred(self.bbox_tower(corr)))
        return cls, loc


class BANHeadV2(BANHead):
    """NanoTrack v2 head (48-ch features, separate cls / reg correlations)."""

    version = 2

    def __init__(self) -> None:
        super().__init__()
        c = TEMPLATE_POSITIONS
        self.corr_pw_reg = PixelwiseBranch(48, adjust=True, reduce=False)
        self.corr_pw_cls = PixelwiseBranch(48, adjust=True, reduce=False)
        self.cls_pw_tower = _separable_tower((c,) + (96,) * 6, (3,) * 6)
        self.bbox_pw_tower = _separable_tower((c,) + (96,) * 6, (3,) * 6)
        self.cls_pred = _conv1x1(96, 2)
        self.bbox_pred = _conv1x1(96, 4)

    def template_kernels(self, zf: Tensor) -> Dict[str, Tensor]:
        return {"reg": self.corr_pw_reg.template_kernel(zf),
                "cls": self.corr_pw_cls.template_kernel(zf)}

    def forward(self, kernels: Dict[str, Tensor], xf: Tensor) -> Tuple[Tensor, Tensor]:
        reg = self.corr_pw_reg(kernels["reg"], xf)
        cls = self.cls_pred(self.cls_pw_tower(self.corr_pw_cls(kernels["cls"], xf)))
        loc = torch.exp(self.bbox_pred(self.bbox_pw_tower(reg)))
        return cls, loc


class BANHeadV3(BANHead):
    """NanoTrack v3 head (96-ch features, pixel-wise + depth-wise correlation per branch)."""

    version = 3
    shrink = 1

    def __init__(self, channels: int = 96) -> None:
        super().__init__()
        c = int(channels)
        self.corr_dw_reg = DepthwiseBranch(c)
        self.corr_pw_reg = PixelwiseBranch(c, adjust=True, reduce=True)
        self.corr_dw_cls = DepthwiseBranch(c)
        self.corr_pw_cls = PixelwiseBranch(c, adjust=True, reduce=True)
        self.cls_tower = _linear_tower(c, 6)
        self.bbox_tower = _linear_tower(c, 6)
        self.cls_logits = _conv1x1(c, 2)
        self.bbox_pred = _conv1x1(c, 4)
        self.down_reg = _conv1x1(c + TEMPLATE_POSITIONS, c)
        self.down_cls = _conv1x1(c + TEMPLATE_POSITIONS, c)

    @staticmethod
    def center_crop(zf: Tensor) -> Tensor:
        """The template map's centre 4x4 (``[2:6, 2:6]``) when it is wider than 4."""
        return zf[:, :, 2:6, 2:6] if zf.size(3) > 4 else zf

    def template_kernels(self, zf: Tensor) -> Dict[str, Tensor]:
        center = self.center_crop(zf)
        return {"pw_reg": self.corr_pw_reg.template_kernel(zf),
                "pw_cls": self.corr_pw_cls.template_kernel(zf),
                "dw_reg": self.corr_dw_reg.template_kernel(center),
                "dw_cls": self.corr_dw_cls.template_kernel(center)}

    def forward(self, kernels: Dict[str, Tensor], xf: Tensor) -> Tuple[Tensor, Tensor]:
        reg = self.down_reg(torch.cat((self.corr_pw_reg(kernels["pw_reg"], xf),
                                       self.corr_dw_reg(kernels["dw_reg"], xf)), 1))
        cls = self.down_cls(torch.cat((self.corr_pw_cls(kernels["pw_cls"], xf),
                                       self.corr_dw_cls(kernels["dw_cls"], xf)), 1))
        logits = self.cls_logits(self.cls_tower(cls))
        loc = torch.exp(self.bbox_pred(self.bbox_tower(reg)))
        return logits, loc


BAN_HEADS: Dict[int, Any] = {1: BANHeadV1, 2: BANHeadV2, 3: BANHeadV3}
