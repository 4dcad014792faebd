"""Training crops with geometric jitter and photometric augmentation (the SiamRPN/DaSiamRPN
recipe: shift, scale, aspect, blur, motion blur, colour, grey, flip).

Conventions: images are (H, W, 3) uint8 BGR; boxes in frame pixels are ``box_xywh`` (0-based,
top-left corner, the tracker's centre convention ``x + (w - 1) / 2``); boxes in a crop are
``box_xyxy`` in crop pixels whose centres are integer coordinates, so the centre of a 255-px
crop is 127.0 -- the point RPN anchors and the tracker's decoding call offset 0.

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

from ..core.crop import channel_mean

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


def mean_color(image: np.ndarray) -> Tuple[float, float, float]:
    """Per-channel mean (B, G, R) of an image, the padding colour of its crops."""
    mean = channel_mean(image)
    return (float(mean[0]), float(mean[1]), float(mean[2]))


def tracker_window_matrix(state_xy: Sequence[float], crop_per_frame_px: Sequence[float],
                          out_size: int) -> np.ndarray:
    """(2, 3) affine frame -> crop matrix of the tracker's crop (:func:`core.crop.crop_patch`)
    around a state centre ``state_xy`` (pixel-index coordinates: pixel centres at integers).

    Like the tracker, the window's left edge is ``floor(state - side / 2)`` (side = out_size /
    k frame px) and the resize maps crop pixel ``u`` to frame ``left + (u + 0.5) / k - 0.5``;
    so the state centre lands 0.5-1.5 frame px right/down of the crop centre, exactly where
    the tracker's crops put it (its decoding ignores that offset; training on the same crops
    teaches the network to compensate it on average).
    """
    matrix = np.zeros((2, 3), dtype=np.float64)
    for axis in range(2):
        k = float(crop_per_frame_px[axis])
        left = math.floor(float(state_xy[axis]) - out_size / k / 2.0)
        matrix[axis, axis] = k
        matrix[axis, 2] = -k * (left - 0.5) - 0.5
    return matrix


def warp_crop(image: np.ndarray, matrix: np.ndarray, out_size: int,
              pad_bgr: Sequence[float]) -> np.ndarray:
    """(out_size, out_size, 3) uint8 crop of ``image`` through the (2, 3) frame -> crop affine
    ``matrix`` (bilinear; pixels from outside the frame take ``pad_bgr``)."""
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
    """Crop ``image`` around ``box_xywh`` as the tracker would from a state ``side_px`` wide
    (frame px onto ``out_size`` crop px) that is off the target by the ``jitter`` shift, with
    the target scaled / rotated by ``jitter`` (geometry only).

    Returns the (out_size, out_size, 3) uint8 crop and the target ``box_xyxy`` (4,) float32 in
    the *decoding* frame of the crop: its centre is ``(out_size - 1) / 2`` plus the target's
    offset from the state centre (what the tracker adds to its state), so labels are unbiased
    for the tracker's decoding. The box centre uses the tracker's convention ``x + (w - 1) / 2``.
    The shift is limited so the target centre stays inside the crop.
    """
    x, y, w, h = (float(v) for v in box_xywh)
    centre = (x + (w - 1.0) / 2.0, y + (h - 1.0) / 2.0)
    k = out_size / float(side_px)
    kx = k * (1.0 + jitter.scale * float(rng.uniform(-1, 1)))
    ky = k * (1.0 + jitter.scale * float(rng.uniform(-1, 1)))
    mid = (out_size - 1) / 2.0
    limit = max(0.0, min(jitter.shift_px, mid - 4.0))
    du = float(rng.uniform(-limit, limit)) if limit > 0 else 0.0
    dv = float(rng.uniform(-limit, limit)) if limit > 0 else 0.0
    angle = float(rng.uniform(-jitter.rotate_deg, jitter.rotate_deg)) if jitter.rotate_deg else 0.0
    pad = mean_color(image) if pad_bgr is None else pad_bgr
    state = (centre[0] - du / kx, centre[1] - dv / ky)
    matrix = tracker_window_matrix(state, (kx, ky), out_size)
    if angle:
        # Rotate the content about the target's position in the crop.
        tu = matrix[0, 0] * centre[0] + matrix[0, 2]
        tv = matrix[1, 1] * centre[1] + matrix[1, 2]
        rot = cv2.getRotationMatrix2D((tu, tv), angle, 1.0)
        matrix = rot @ np.vstack([matrix, [0.0, 0.0, 1.0]])
    crop = warp_crop(image, matrix, out_size, pad)
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
