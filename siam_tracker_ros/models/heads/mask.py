"""SiamMask heads: ``MaskCorr`` (depthwise correlation producing the 256-channel feature the
refinement uses, plus a 63*63-channel head output that SiamMask's tracker ignores) and
``Refine`` (the top-down refinement of one score-map position to 127x127 mask logits)."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import torch.nn.functional as F
from torch import Tensor, nn

from .rpn import DepthwiseXCorr

REFINE_OUTPUT_SIZE = 127


class MaskCorr(DepthwiseXCorr):
    """DepthwiseXCorr(in, hidden, out=3969). ``forward`` returns ``(head_output or None,
    feature)``; the head output (N, 3969, 25, 25) is computed only when ``with_head``."""

    def forward(self, z: Tensor, x: Tensor, kernel: Optional[Tensor] = None,  # type: ignore[override]
                with_head: bool = True) -> Tuple[Optional[Tensor], Tensor]:
        if kernel is None:
            kernel = self.template_kernel(z)
        feature = self.correlate(x, kernel)
        return (self.head(feature) if with_head else None), feature


def _conv_relu_pair(c_in: int, c_mid: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_mid, 3, padding=1), nn.ReLU(inplace=True),
                         nn.Conv2d(c_mid, c_out, 3, padding=1), nn.ReLU(inplace=True))


class Refine(nn.Module):
    """SiamMask refinement for score position ``pos = (row, col)`` of the 25x25 map.

    Inputs: the search backbone outputs ``(stem 64@125², layer1 256@63², layer2 512@31²)`` and
    the MaskCorr feature (N, 256, 25, 25). Output (N, 127*127) logits (before sigmoid).
    Upsampling is nearest with floor indexing (``F.interpolate`` default, as PySOT).
    """

    def __init__(self) -> None:
        super().__init__()
        self.v0 = _conv_relu_pair(64, 16, 4)
        self.v1 = _conv_relu_pair(256, 64, 16)
        self.v2 = _conv_relu_pair(512, 128, 32)
        self.h2 = _conv_relu_pair(32, 32, 32)
        self.h1 = _conv_relu_pair(16, 16, 16)
        self.h0 = _conv_relu_pair(4, 4, 4)
        self.deconv = nn.ConvTranspose2d(256, 32, 15, 15)
        self.post0 = nn.Conv2d(32, 16, 3, padding=1)
        self.post1 = nn.Conv2d(16, 4, 3, padding=1)
        self.post2 = nn.Conv2d(4, 1, 3, padding=1)

    def forward(self, features: Sequence[Tensor], corr_feature: Tensor, pos: Tuple[int, int]) -> Tensor:
        row, col = int(pos[0]), int(pos[1])
        if not (0 <= row < corr_feature.size(2) and 0 <= col < corr_feature.size(3)):
            raise ValueError(f"refine position {pos} outside the {tuple(corr_feature.shape[2:])} score map")
        p0 = F.pad(features[0], [16, 16, 16, 16])[:, :, 4 * row:4 * row + 61, 4 * col:4 * col + 61]
        p1 = F.pad(features[1], [8, 8, 8, 8])[:, :, 2 * row:2 * row + 31, 2 * col:2 * col + 31]
        p2 = F.pad(features[2], [4, 4, 4, 4])[:, :, row:row + 15, col:col + 15]
        p3 = corr_feature[:, :, row, col].reshape(-1, corr_feature.size(1), 1, 1)
        out = self.deconv(p3)
        out = self.post0(F.interpolate(self.h2(out) + self.v2(p2), size=(31, 31), mode="nearest"))
        out = self.post1(F.interpolate(self.h1(out) + self.v1(p1), size=(61, 61), mode="nearest"))
        out = self.post2(F.interpolate(self.h0(out) + self.v0(p0), size=(127, 127), mode="nearest"))
        return out.reshape(-1, REFINE_OUTPUT_SIZE * REFINE_OUTPUT_SIZE)
