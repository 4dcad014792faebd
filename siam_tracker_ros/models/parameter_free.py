"""A parameter-free Siamese model: fixed hand-made features and a normalised SiamFC head.

Used by the tests, by the appearance verifier, and as the fallback tracker when the bundled
config/model files are missing (a pip install without data files). Nothing is
learned and nothing is stored between calls: the fixed kernels are non-persistent buffers
(the ``state_dict`` is empty), so the module can be moved with ``.to(device)``.

Features (per input pixel, then averaged over ``cell_size`` x ``cell_size`` cells):

* intensity ``(B+G+R)/3``, contrast-normalised over a 5x5-cell neighbourhood;
* two colour-opponent channels ``R-G`` and ``(R+G)/2-B`` (scaled by ``colour_weight``);
* ``orientation_bins`` gradient-orientation channels (unsigned orientation, soft-binned
  magnitude of a Sobel gradient), normalised by the gradient energy of the 3x3-cell
  neighbourhood (HOG-like, contrast invariant).

Head: weighted zero-mean normalised cross-correlation (ZNCC) of the template features over
every position of the search features, jointly over all channels, with a separable spatial
weight on the template. Scores lie in [-1, 1]: 1 = the window is an affine copy of the
template. Computed with FFTs (one forward transform of the search features, one inverse per
statistic); a batch of searches may share one template or have one template each.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class ParameterFreeConfig:
    """Settings of :class:`ParameterFreeSiamFC` (the ``model:`` section of our tracker YAML).

    cell_size: pixels per feature cell (= the total stride), >= 1.
    orientation_bins: number of unsigned gradient-orientation channels, >= 2.
    colour_weight / intensity_weight / gradient_weight: relative channel-group gains.
    variance_floor: added to the search-window variance in the ZNCC denominator (feature
      units squared, summed over channels); keeps flat areas (e.g. frame padding) near 0.
    """

    type: str = "parameter_free"
    cell_size: int = 4
    orientation_bins: int = 6
    colour_weight: float = 2.0
    intensity_weight: float = 1.0
    gradient_weight: float = 1.0
    variance_floor: float = 0.05

    def __post_init__(self) -> None:
        if self.type != "parameter_free":
            raise ValueError(f"model type must be 'parameter_free', got {self.type!r}")
        if self.cell_size < 1:
            raise ValueError(f"cell_size must be >= 1, got {self.cell_size}")
        if self.orientation_bins < 2:
            raise ValueError(f"orientation_bins must be >= 2, got {self.orientation_bins}")
        for name in ("colour_weight", "intensity_weight", "gradient_weight", "variance_floor"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


class ParameterFreeSiamFC(nn.Module):
    """Fixed features + ZNCC head. No learnable parameters, no state.

    ``features``: (B, 3, H, W) float32 BGR in 0..255 -> (B, C, H // s, W // s), s = cell_size,
    C = 3 + orientation_bins. Cell (i, j) covers input pixels [s*i, s*i + s) x [s*j, s*j + s).
    ``correlate``: template (Bz, C, h, w) over search (B, C, H', W') -> (B, 1, H'-h+1, W'-w+1);
    output (i, j) = template origin placed at search cell (i, j).
    """

    def __init__(self, cfg: ParameterFreeConfig = ParameterFreeConfig()) -> None:
        super().__init__()
        self.cfg = cfg
        self.total_stride = cfg.cell_size
        self.channels = 3 + cfg.orientation_bins
        angles = torch.arange(cfg.orientation_bins, dtype=torch.float32) * (2 * math.pi / cfg.orientation_bins)
        # Unit vectors of the bin centres in double-angle space (orientation is unsigned).
        self.register_buffer("bins", torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
                             [:, :, None, None], persistent=False)

    # ------------------------------------------------------------------ features
    def features(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) float BGR 0..255 -> (B, 3 + bins, H // s, W // s) float32."""
        cfg = self.cfg
        s = cfg.cell_size
        x = images.float()
        # Intensity and colour opponents are linear in BGR: pool first, combine per cell.
        bgr = _cell_mean(x, s) * (1.0 / 255.0)
        blue, green, red = bgr[:, 0:1], bgr[:, 1:2], bgr[:, 2:3]
        inten_c = (blue + green + red) * (1.0 / 3.0)
        colour_c = torch.cat([red - green, 0.5 * (red + green) - blue], dim=1)

        # Sobel gradient of the full-resolution intensity (replicate border), by slicing.
        inten = x.mean(dim=1, keepdim=True) * (1.0 / 255.0)
        pad = F.pad(inten, (1, 1, 1, 1), mode="replicate")
        smooth_v = pad[:, :, :-2] + 2.0 * pad[:, :, 1:-1] + pad[:, :, 2:]          # (B,1,H,W+2)
        smooth_h = pad[..., :-2] + 2.0 * pad[..., 1:-1] + pad[..., 2:]              # (B,1,H+2,W)
        gx = (smooth_v[..., 2:] - smooth_v[..., :-2]) * 0.125
        gy = (smooth_h[:, :, 2:] - smooth_h[:, :, :-2]) * 0.125
        # Double-angle vector (unsigned orientation) scaled by |g|^2; bin response
        # |g| * relu(cos(2 (theta - theta_k))) = relu(<(c2, s2), u_k>) / |g|.
        double = torch.cat([gx * gx - gy * gy, 2.0 * gx * gy], dim=1)               # (B,2,H,W)
        inv_mag = torch.rsqrt(gx * gx + gy * gy + 1e-12)
        orient = F.conv2d(double, self.bins).clamp_min_(0.0).mul_(inv_mag)
        orient_c = _cell_mean(orient, s)

        mean5 = F.avg_pool2d(inten_c, 5, 1, 2, count_include_pad=False)
        var5 = F.avg_pool2d(inten_c * inten_c, 5, 1, 2, count_include_pad=False) - mean5 * mean5
        inten_n = (inten_c - mean5) / torch.sqrt(var5.clamp_min(0.0) + 0.02 ** 2)

        energy = F.avg_pool2d(orient_c.pow(2).sum(1, keepdim=True), 3, 1, 1, count_include_pad=False)
        orient_n = orient_c / torch.sqrt(energy + 0.01 ** 2)

        # Opponent values span ~1/4 of the normalised channels' range: scale them up by 4.
        return torch.cat([inten_n * cfg.intensity_weight, colour_c * (cfg.colour_weight * 4.0),
                          orient_n * cfg.gradient_weight], dim=1)

    # ------------------------------------------------------------------ head
    def correlate(self, z_feat: torch.Tensor, x_feat: torch.Tensor,
                  z_weight: Optional[Tuple[torch.Tensor, torch.Tensor]] = None) -> torch.Tensor:
        """Weighted ZNCC of templates over search features -> (B, 1, Ho, Wo) in [-1, 1].

        z_feat: (1, C, h, w) (shared by the batch) or (B, C, h, w) (one template per search).
        x_feat: (B, C, H, W), H >= h, W >= w.
        z_weight: separable spatial weight (wy (h,), wx (w,)), >= 0; None = uniform.
        """
        bz, channels, h, w = z_feat.shape
        batch = x_feat.shape[0]
        if bz not in (1, batch):
            raise ValueError(f"template batch {bz} must be 1 or the search batch {batch}")
        dtype, device = x_feat.dtype, x_feat.device
        if z_weight is None:
            wy = torch.ones(h, dtype=dtype, device=device)
            wx = torch.ones(w, dtype=dtype, device=device)
        else:
            wy, wx = (t.to(device=device, dtype=dtype) for t in z_weight)
        wy = wy / wy.sum()
        wx = wx / wx.sum()
        weight = wy[:, None] * wx[None, :]                                   # (h, w), sums to 1

        z_mean = (z_feat * weight).sum(dim=(2, 3), keepdim=True)
        z_centred = z_feat - z_mean
        kernel = z_centred * weight                                          # (bz, C, h, w)
        z_var = (z_centred * kernel).sum(dim=(1, 2, 3))                      # (bz,)

        # Valid correlations by FFT (circular size = search size: no wrap-around in the valid
        # part). Direct convolution with a 31x31 kernel is ~50x slower on CPU.
        height, width = x_feat.shape[2:]
        size = (height, width)
        crop = (slice(None), slice(None), slice(h - 1, height), slice(w - 1, width))
        x_spec = torch.fft.rfft2(x_feat, s=size)                                   # (B, C, ...)
        k_spec = torch.fft.rfft2(kernel.flip(-2, -1), s=size)                      # (bz, C, ...)
        w_spec = torch.fft.rfft2(weight.flip(-2, -1), s=size)                      # (h, w) -> ...
        sq_spec = torch.fft.rfft2((x_feat * x_feat).sum(1, keepdim=True), s=size)  # (B, 1, ...)
        num = torch.fft.irfft2((x_spec * k_spec).sum(1, keepdim=True), s=size)[crop]
        x_mean = torch.fft.irfft2(x_spec * w_spec, s=size)[crop]                   # (B, C, Ho, Wo)
        x_sq = torch.fft.irfft2(sq_spec * w_spec, s=size)[crop]                    # (B, 1, Ho, Wo)
        x_var = (x_sq - (x_mean * x_mean).sum(1, keepdim=True)).clamp_min(0.0)

        denom = torch.sqrt(z_var.view(-1, 1, 1, 1) * (x_var + self.cfg.variance_floor) + 1e-12)
        return (num / denom).clamp(-1.0, 1.0)

    def forward(self, z_images: torch.Tensor, x_images: torch.Tensor,
                z_weight: Optional[Tuple[torch.Tensor, torch.Tensor]] = None) -> torch.Tensor:
        """Template images (Bz, 3, h, w) and search images (B, 3, H, W) -> ZNCC maps."""
        return self.correlate(self.features(z_images), self.features(x_images), z_weight)


def _cell_mean(maps: torch.Tensor, s: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, H // s, W // s) means of s x s cells (trailing rows/cols dropped)."""
    return maps if s == 1 else F.avg_pool2d(maps, s, s)


def build_parameter_free_model(cfg: ParameterFreeConfig = ParameterFreeConfig()) -> ParameterFreeSiamFC:
    """The parameter-free model in eval mode (it has no parameters, so no weights)."""
    return ParameterFreeSiamFC(cfg).eval()
