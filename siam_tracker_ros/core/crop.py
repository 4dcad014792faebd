"""THE crop: a square window around a centre, padded with a constant colour, resized.

Geometry follows PySOT's ``get_subwindow`` exactly (the golden test checks it):
``xmin = floor(cx - (side + 1) / 2 + 0.5)``, ``xmax = xmin + side - 1`` (same in y), so the
window sits 0.5-1.5 px up-left of the centre; pixels outside the frame take ``pad_bgr``
truncated to uint8; the uint8 patch is resized with OpenCV INTER_LINEAR only when
``side != out_size``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence, Tuple

import cv2
import numpy as np

if TYPE_CHECKING:  # torch only for the device crop, imported lazily there
    import torch


@dataclass(frozen=True)
class CropWindow:
    """A crop's geometry in frame pixels: top-left (xmin, ymin), square ``side``, padding
    (left, top, right, bottom) needed beyond the frame, and the output size in pixels."""

    xmin: int
    ymin: int
    side: int
    out_size: int
    pad_ltrb: Tuple[int, int, int, int]

    @property
    def scale(self) -> float:
        """Output pixels per frame pixel."""
        return self.out_size / self.side


def channel_mean(frame: np.ndarray) -> np.ndarray:
    """Per-channel mean (float64, shape (C,)) of an (H, W, C) frame: the crops' padding colour.

    Bit-identical to ``np.mean(frame, axis=(0, 1))`` (PySOT's channel average): for uint8 frames
    with at most 4 channels the per-channel sums are exact integers in float64 either way, and
    OpenCV's ``sumElems`` takes ~0.02 ms where numpy's strided reduction takes ~5 ms at 640x480
    (~45 ms at 1080p). Other frames go through numpy.
    """
    if frame.dtype == np.uint8 and frame.ndim == 3 and 1 <= frame.shape[2] <= 4:
        sums = cv2.sumElems(np.ascontiguousarray(frame))[:frame.shape[2]]
        return np.asarray(sums, dtype=np.float64) / float(frame.shape[0] * frame.shape[1])
    return np.mean(frame, axis=(0, 1), dtype=np.float64)


def crop_window(center_xy: Sequence[float], side: int, out_size: int,
                frame_hw: Sequence[int]) -> CropWindow:
    """Geometry of the ``side`` x ``side`` window around ``center_xy`` in a frame (H, W)."""
    side = int(side)
    if side < 1:
        raise ValueError(f"crop side must be >= 1 px, got {side}")
    height, width = int(frame_hw[0]), int(frame_hw[1])
    half = (side + 1) / 2.0
    xmin = int(math.floor(float(center_xy[0]) - half + 0.5))
    ymin = int(math.floor(float(center_xy[1]) - half + 0.5))
    xmax, ymax = xmin + side - 1, ymin + side - 1
    pad = (max(0, -xmin), max(0, -ymin), max(0, xmax - width + 1), max(0, ymax - height + 1))
    return CropWindow(xmin, ymin, side, int(out_size), pad)


def _copy_inside(patch, frame, win: CropWindow) -> None:
    """Copy the part of ``win`` that lies inside ``frame`` (H, W, C) into ``patch`` (side, side,
    C); works on numpy arrays and torch tensors alike."""
    height, width = int(frame.shape[0]), int(frame.shape[1])
    x0, y0 = max(win.xmin, 0), max(win.ymin, 0)
    x1, y1 = min(win.xmin + win.side, width), min(win.ymin + win.side, height)
    if x1 > x0 and y1 > y0:
        patch[y0 - win.ymin:y1 - win.ymin, x0 - win.xmin:x1 - win.xmin] = frame[y0:y1, x0:x1]


def crop_patch(frame: np.ndarray, center_xy: Sequence[float], side: int, out_size: int,
               pad_bgr: Sequence[float]) -> Tuple[np.ndarray, CropWindow]:
    """Crop ``frame`` (H, W, 3 uint8) and return the (out_size, out_size, 3) uint8 patch.

    Only the part of the window inside the frame is copied (the rest is the truncated
    ``pad_bgr`` colour), which equals PySOT's pad-the-whole-image result bit for bit at a
    fraction of the cost for large windows.
    """
    win = crop_window(center_xy, side, out_size, frame.shape[:2])
    if any(win.pad_ltrb):
        patch = np.empty((win.side, win.side, frame.shape[2]), np.uint8)
        patch[...] = np.asarray(pad_bgr, dtype=np.float64).astype(np.uint8)
        _copy_inside(patch, frame, win)
    else:
        patch = frame[win.ymin:win.ymin + win.side, win.xmin:win.xmin + win.side]
    if win.side != win.out_size:
        patch = cv2.resize(patch, (win.out_size, win.out_size))
    return np.ascontiguousarray(patch), win


def crop_patch_tensor(frame: "torch.Tensor", center_xy: Sequence[float], side: int,
                      out_size: int, pad_bgr: Sequence[float]) -> Tuple["torch.Tensor", CropWindow]:
    """:func:`crop_patch` on the device: ``frame`` (H, W, 3) uint8 tensor -> (1, 3, out, out)
    float32 tensor (BGR 0..255) on the frame's device.

    Same window and padding as :func:`crop_patch`; the resize is torch's bilinear
    (half-pixel centres, no antialiasing, rounded to integers like OpenCV's uint8 resize), so
    values may differ from OpenCV's by about one grey level: close, not bit-exact.
    """
    import torch
    import torch.nn.functional as F

    win = crop_window(center_xy, side, out_size, tuple(frame.shape[:2]))
    if any(win.pad_ltrb):
        colour = torch.as_tensor(np.asarray(pad_bgr, dtype=np.float64).astype(np.uint8),
                                 device=frame.device)
        patch = colour.view(1, 1, -1).expand(win.side, win.side, -1).clone()
        _copy_inside(patch, frame, win)
    else:
        patch = frame[win.ymin:win.ymin + win.side, win.xmin:win.xmin + win.side]
    image = patch.permute(2, 0, 1).unsqueeze(0).float()
    if win.side != win.out_size:
        image = F.interpolate(image, size=(win.out_size, win.out_size), mode="bilinear",
                              align_corners=False).round_().clamp_(0, 255)
    return image, win
