"""Neck (PySOT ``ADJUST``): 1x1 conv + BN per level, then the template's 7x7 centre crop.

``AdjustLayer`` crops ``[l:l+7, l:l+7]`` with ``l = (W - 7) // 2`` whenever the map is narrower
than 20 px (a 127-px template gives 15x15 -> 7x7; search maps are 31x31 or larger and pass).
"""
from __future__ import annotations

from typing import Sequence, Tuple, Union

from torch import Tensor, nn

CENTER_CROP_BELOW = 20


class AdjustLayer(nn.Module):
    """``downsample`` = Conv2d(in, out, 1, bias=False) + BatchNorm2d(out); centre crop."""

    def __init__(self, in_channels: int, out_channels: int, center_size: int = 7) -> None:
        super().__init__()
        self.downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False),
                                        nn.BatchNorm2d(out_channels))
        self.center_size = center_size

    def forward(self, x: Union[Tensor, Sequence[Tensor]]) -> Union[Tensor, Tuple[Tensor, ...]]:
        """One map -> one map; a sequence of maps (used as the whole neck) -> a tuple."""
        if isinstance(x, (tuple, list)):
            return tuple(self._adjust(f) for f in x)
        return self._adjust(x)

    def _adjust(self, x: Tensor) -> Tensor:
        x = self.downsample(x)
        width = x.size(3)
        if width < CENTER_CROP_BELOW:
            left = (width - self.center_size) // 2
            x = x[:, :, left:left + self.center_size, left:left + self.center_size]
        return x


class AdjustAllLayer(nn.Module):
    """One AdjustLayer per level: ``downsample`` for a single level, else ``downsample2..``."""

    def __init__(self, in_channels: Sequence[int], out_channels: Sequence[int], center_size: int = 7) -> None:
        super().__init__()
        if len(in_channels) != len(out_channels) or not out_channels:
            raise ValueError(f"in_channels {list(in_channels)} and out_channels {list(out_channels)} "
                             "must be non-empty and of equal length")
        self.num = len(out_channels)
        self.out_channels: Tuple[int, ...] = tuple(int(c) for c in out_channels)
        if self.num == 1:
            self.downsample = AdjustLayer(in_channels[0], out_channels[0], center_size)
        else:
            for i, (cin, cout) in enumerate(zip(in_channels, out_channels)):
                self.add_module(f"downsample{i + 2}", AdjustLayer(cin, cout, center_size))

    def forward(self, features: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Per-level tensors in, per-level tensors out (tuples of the same length)."""
        if len(features) != self.num:
            raise ValueError(f"neck expects {self.num} feature level(s), got {len(features)}")
        if self.num == 1:
            return (self.downsample(features[0]),)
        return tuple(getattr(self, f"downsample{i + 2}")(f) for i, f in enumerate(features))

