"""Batched cross-correlations as one grouped convolution each (no Python loop over the batch).

All take a search map ``x`` (N, C, H, W) and a template kernel with batch N or 1 (1 is
broadcast to every search map, e.g. several search tiles against one template); correlation
is PyTorch's (no kernel flip), valid padding, stride 1.
"""
from __future__ import annotations

import torch
from torch import Tensor
import torch.nn.functional as F


def _match_batch(kernel: Tensor, batch: int, name: str) -> Tensor:
    if kernel.size(0) == batch:
        return kernel
    if kernel.size(0) == 1:
        return kernel.expand(batch, *kernel.shape[1:])
    raise ValueError(f"{name}: kernel batch {kernel.size(0)} does not match search batch {batch}")


def xcorr_depthwise(x: Tensor, kernel: Tensor, padding: int = 0) -> Tensor:
    """Per-channel correlation: x (N, C, H, W), kernel (N|1, C, h, w) -> (N, C, H-h+1, W-w+1)
    (``padding`` zero pixels around ``x`` add ``2 * padding`` to each output side)."""
    batch, channels, height, width = x.shape
    if kernel.size(1) != channels:
        raise ValueError(f"xcorr_depthwise: kernel has {kernel.size(1)} channels, search {channels}")
    kernel = _match_batch(kernel, batch, "xcorr_depthwise")
    out = F.conv2d(x.reshape(1, batch * channels, height, width),
                   kernel.reshape(batch * channels, 1, kernel.size(2), kernel.size(3)),
                   padding=padding, groups=batch * channels)
    return out.reshape(batch, channels, out.size(2), out.size(3))


def xcorr_pixelwise(x: Tensor, kernel: Tensor) -> Tensor:
    """Pixel-wise correlation (NanoTrack / Alpha-Refine): x (N, C, H, W), kernel (N|1, C, h, w)
    -> (N, h*w, H, W); output channel k (template position k, row-major) at (y, x) is the dot
    product over channels of template feature k and search feature (y, x). One batched matmul."""
    batch, channels, height, width = x.shape
    if kernel.size(1) != channels:
        raise ValueError(f"xcorr_pixelwise: kernel has {kernel.size(1)} channels, search {channels}")
    if kernel.size(0) not in (1, batch):
        raise ValueError(f"xcorr_pixelwise: kernel batch {kernel.size(0)} does not match search batch {batch}")
    kernel_mat = kernel.reshape(kernel.size(0), channels, -1).transpose(1, 2)
    out = torch.matmul(kernel_mat, x.reshape(batch, channels, height * width))
    return out.reshape(batch, -1, height, width)


def xcorr_up_channel(x: Tensor, kernel: Tensor) -> Tensor:
    """UP-channel correlation (SiamRPN, PySOT ``xcorr_fast``): x (N, C, H, W), kernel
    (N|1, K*C, h, w) -> (N, K, H-h+1, W-w+1); output channel k correlates x with the C-channel
    slice k of the kernel, summed over channels."""
    batch, channels, height, width = x.shape
    if kernel.size(1) % channels:
        raise ValueError(f"xcorr_up_channel: kernel channels {kernel.size(1)} not a multiple of {channels}")
    kernel = _match_batch(kernel, batch, "xcorr_up_channel")
    weight = kernel.reshape(-1, channels, kernel.size(2), kernel.size(3))
    out = F.conv2d(x.reshape(1, batch * channels, height, width), weight, groups=batch)
    return out.reshape(batch, -1, out.size(2), out.size(3))


def xcorr_plain(x: Tensor, z: Tensor) -> Tensor:
    """SiamFC correlation summed over channels: x (N, C, H, W), z (N|1, C, h, w) ->
    (N, 1, H-h+1, W-w+1)."""
    if z.size(1) != x.size(1):
        raise ValueError(f"xcorr_plain: template has {z.size(1)} channels, search {x.size(1)}")
    return xcorr_up_channel(x, z)
