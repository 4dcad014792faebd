"""Training crops with geometric jitter and photometric augmentation (the SiamRPN/DaSiamRPN
recipe: shift, scale, aspect, blur, motion blur, colour, grey, flip).

Conventions: images are (H, W, 3) uint8 BGR; boxes in frame pixels are ``box_xywh`` (0-based,
top-left corner); boxes in a crop are ``box_xyxy`` in crop pixels whose centres are integer
coordinates (pixel ``u`` covers ``[u - 0.5, u + 0.5]``), so the centre of a 255-px crop is
127.0 -- the point RPN anchors and the tracker's decoding call offset 0.

The crop geometry equals the tracker's at zero jitter: the template window side is
``s_z = sqrt((w + p) (h + p))`` with ``p = context (w + h)``, mapped onto ``exemplar_size``
pixels, and the search window is the same scale with ``instance_size`` pixels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

# Principal components of natural-image RGB colour (Krizhevsky et al. 2012, published values),
# reordered to BGR: eigenvalues and eigenvectors (columns) for PCA lighting noise.
_PCA_EIGVAL = np.array([0.2175, 0.0188, 0.0045], dtype=np.float64)
_PCA_EIGVEC_RGB = np.array([[-0.5675, 0.7192, 0.4009],
                            [-0.5808, -0.0045, -0.8140],
                            [-0.5836, -0.6948, 0.4203]], dtype=np.float64)
_PCA_EIGVEC_BGR = _PCA_EIGVEC_RGB[::-1]


@dataclass(frozen=True)
class CropJitter:
    """Augmentation of one crop (all probabilities in [0, 1]).

    shift_px: the target centre moves up to this many crop pixels from the crop centre (each
    axis, uniform). scale: each axis of the target is scaled by a factor in
    ``[1 - scale, 1 + scale]`` (independently, so the aspect ratio changes too).
    rotate_deg: in-plane rotation up to this angle (the box becomes the rotated box's
    axis-aligned hull). color: strength of PCA lighting noise (1.0 = AlexNet's).
    brightness / contrast: max relative change. blur / motion_blur / gray: probabilities.
    """

    shift_px: float = 0.0
    scale: float = 0.0
    rotate_deg: float = 0.0
    color: float = 0.0
    brightness: float = 0.0
    contrast: float = 0.0
    blur: float = 0.0
    motion_blur: float = 0.0
    gray: float = 0.0

    def __post_init__(self) -> None:
        if self.shift_px < 0 or not 0 <= self.scale < 1 or self.rotate_deg < 0 or self.color < 0:
            raise ValueError("need shift_px >= 0, 0 <= scale < 1, rotate_deg >= 0, color >= 0")
        for name in ("brightness", "contrast", "blur", "motion_blur", "gray"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")


# PySOT's training defaults (template: SHIFT 4, SCALE 0.05; search: SHIFT 64, SCALE 0.18,
# BLUR 0.2) plus DaSiamRPN's motion blur and a little brightness/contrast.
TEMPLATE_JITTER = CropJitter(shift_px=4.0, scale=0.05, color=1.0)
SEARCH_JITTER = CropJitter(shift_px=64.0, scale=0.18, rotate_deg=0.0, color=1.0, brightness=0.2,
                           contrast=0.2, blur=0.2, motion_blur=0.1, gray=0.05)


def context_side(size_wh: Sequence[float], context_amount: float = 0.5) -> float:
    """Side ``s_z`` (frame px) of the template window around a target of ``size_wh``."""
    w, h = float(size_wh[0]), float(size_wh[1])
    pad = context_amount * (w + h)
    return math.sqrt((w + pad) * (h + pad))


def mean_color(image: np.ndarray) -> Tuple[float, float, float]:
    """Per-channel mean (B, G, R) of an image, the padding colour of its crops."""
    mean = image.reshape(-1, image.shape[-1]).mean(axis=0)
    return (float(mean[0]), float(mean[1]), float(mean[2]))


def warp_crop(image: np.ndarray, center_xy: Sequence[float], crop_per_frame_px: Sequence[float],
              out_size: int, target_uv: Sequence[float], pad_bgr: Sequence[float],
              rotate_deg: float = 0.0) -> np.ndarray:
    """(out_size, out_size, 3) uint8 crop mapping frame point ``center_xy`` to crop point
    ``target_uv``, scaled by ``crop_per_frame_px`` = (kx, ky) crop pixels per frame pixel and
    rotated by ``rotate_deg`` (counter-clockwise in the image) about that point. Bilinear,
    outside pixels take ``pad_bgr``."""
    kx, ky = float(crop_per_frame_px[0]), float(crop_per_frame_px[1])
    cx, cy = float(center_xy[0]), float(center_xy[1])
    u0, v0 = float(target_uv[0]), float(target_uv[1])
    theta = math.radians(rotate_deg)
    c, s = math.cos(theta), math.sin(theta)
    # crop = R @ diag(kx, ky) @ (frame - centre) + target_uv
    a = np.array([[c * kx, s * ky], [-s * kx, c * ky]], dtype=np.float64)
    offset = np.array([u0, v0]) - a @ np.array([cx, cy])
    matrix = np.hstack([a, offset[:, None]])
    return cv2.warpAffine(image, matrix, (int(out_size), int(out_size)), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT,
                          borderValue=tuple(float(v) for v in pad_bgr))


def _rotated_hull_wh(w: float, h: float, rotate_deg: float) -> Tuple[float, float]:
    theta = math.radians(rotate_deg)
    c, s = abs(math.cos(theta)), abs(math.sin(theta))
    return w * c + h * s, w * s + h * c


def jittered_crop(image: np.ndarray, box_xywh: Sequence[float], out_size: int, side_px: float,
                  jitter: CropJitter, rng: np.random.Generator,
                  pad_bgr: Optional[Sequence[float]] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Crop ``image`` around ``box_xywh`` so that ``side_px`` frame pixels span ``out_size``
    crop pixels, with the target shifted / scaled / rotated by ``jitter`` (geometry only).

    Returns the (out_size, out_size, 3) uint8 crop and the target ``box_xyxy`` (4,) float32
    in crop pixels. The shift is limited so the target centre stays inside the crop.
    """
    x, y, w, h = (float(v) for v in box_xywh)
    center = (x + w / 2.0, y + h / 2.0)
    k = out_size / float(side_px)
    kx = k * (1.0 + jitter.scale * float(rng.uniform(-1, 1)))
    ky = k * (1.0 + jitter.scale * float(rng.uniform(-1, 1)))
    mid = (out_size - 1) / 2.0
    limit = max(0.0, min(jitter.shift_px, mid - 4.0))
    du = float(rng.uniform(-limit, limit)) if limit > 0 else 0.0
    dv = float(rng.uniform(-limit, limit)) if limit > 0 else 0.0
    angle = float(rng.uniform(-jitter.rotate_deg, jitter.rotate_deg)) if jitter.rotate_deg else 0.0
    pad = mean_color(image) if pad_bgr is None else pad_bgr
    crop = warp_crop(image, center, (kx, ky), out_size, (mid + du, mid + dv), pad, angle)
    bw, bh = _rotated_hull_wh(w * kx, h * ky, angle)
    box = np.array([mid + du - bw / 2, mid + dv - bh / 2, mid + du + bw / 2, mid + dv + bh / 2],
                   dtype=np.float32)
    return crop, box


def motion_blur_kernel(length: int, angle_deg: float) -> np.ndarray:
    """(length, length) float32 line kernel (sums to 1) along ``angle_deg``."""
    length = max(1, int(length))
    kernel = np.zeros((length, length), dtype=np.float32)
    kernel[length // 2, :] = 1.0
    centre = ((length - 1) / 2.0, (length - 1) / 2.0)
    rot = cv2.getRotationMatrix2D(centre, float(angle_deg), 1.0)
    kernel = cv2.warpAffine(kernel, rot, (length, length), flags=cv2.INTER_LINEAR)
    total = float(kernel.sum())
    if total <= 0:
        kernel[length // 2, length // 2] = 1.0
        total = 1.0
    return kernel / total


def photometric(patch: np.ndarray, jitter: CropJitter, rng: np.random.Generator) -> np.ndarray:
    """Colour (PCA lighting, brightness, contrast, grey) and blur (Gaussian, motion) changes of a
    (S, S, 3) uint8 BGR crop; returns a new uint8 crop. Draws a fixed number of random values
    whatever is applied, so streams stay aligned."""
    u = rng.random(6)
    alphas = rng.normal(0.0, 0.1, 3)
    sigma = float(rng.uniform(0.5, 2.0))
    mlen = int(rng.integers(5, 16))
    mangle = float(rng.uniform(0.0, 180.0))
    out = patch.astype(np.float32)
    if jitter.color > 0:
        shift_bgr = _PCA_EIGVEC_BGR @ (alphas * _PCA_EIGVAL) * 255.0 * jitter.color
        out += shift_bgr.astype(np.float32)[None, None, :]
    if jitter.contrast > 0:
        gain = 1.0 + jitter.contrast * (2 * u[0] - 1)
        mean = out.mean()
        out = (out - mean) * gain + mean
    if jitter.brightness > 0:
        out *= 1.0 + jitter.brightness * (2 * u[1] - 1)
    if u[2] < jitter.gray:
        out[...] = (out @ np.array([0.114, 0.587, 0.299], dtype=np.float32))[..., None]
    out = np.clip(out, 0, 255)
    if u[3] < jitter.blur:
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    if u[4] < jitter.motion_blur:
        out = cv2.filter2D(out, -1, motion_blur_kernel(mlen, mangle))
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def flip_pair(template: np.ndarray, search: np.ndarray,
              search_box_xyxy: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mirror both crops left-right (the pair stays consistent) and the search box with them."""
    size = search.shape[1]
    x0, y0, x1, y1 = (float(v) for v in search_box_xyxy)
    box = np.array([size - 1 - x1, y0, size - 1 - x0, y1], dtype=np.float32)
    return template[:, ::-1].copy(), search[:, ::-1].copy(), box
