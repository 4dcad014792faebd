"""SiamMask output geometry: the refined 127x127 mask warped back into the frame, and the
rotated box around it, as PySOT's SiamMaskTracker computes them.

Boxes are ``box_xywh`` float pixels; masks are (H, W) arrays; polygons are (4, 2) float32
corners (x, y).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence, Tuple

import cv2
import numpy as np


def exemplar_window_xywh(crop_center_xy: Sequence[float], crop_side: int, instance_size: int,
                         exemplar_size: int, base_size: int, stride: int,
                         pos_yx: Tuple[int, int]) -> Tuple[float, float, float, float]:
    """Frame-pixel window of the exemplar-sized receptive field of score position (y, x).

    The search crop is taken as the ``crop_side`` square centred exactly on
    ``crop_center_xy`` (PySOT's ``crop_box``, ignoring the crop's sub-pixel offset); the
    window starts ``(x - base_size / 2) * stride`` crop pixels from its corner.
    """
    side = float(crop_side)
    crop_x = float(crop_center_xy[0]) - side / 2
    crop_y = float(crop_center_xy[1]) - side / 2
    s = side / instance_size
    row, col = int(pos_yx[0]), int(pos_yx[1])
    return (crop_x + (col - base_size / 2) * stride * s,
            crop_y + (row - base_size / 2) * stride * s,
            s * exemplar_size, s * exemplar_size)


def warp_mask_to_frame(mask: np.ndarray, window_xywh: Sequence[float],
                       frame_hw: Sequence[int]) -> np.ndarray:
    """Warp a square (M, M) float32 mask covering ``window_xywh`` into an (H, W) float32 frame
    (bilinear, zero outside), with PySOT's affine map (including its ``(W - 1) / W``
    scale quirk)."""
    height, width = int(frame_hw[0]), int(frame_hw[1])
    out_size = mask.shape[1]
    s = out_size / float(window_xywh[2])
    back = (-float(window_xywh[0]) * s, -float(window_xywh[1]) * s, width * s, height * s)
    a = (width - 1) / back[2]
    b = (height - 1) / back[3]
    mapping = np.array([[a, 0.0, -a * back[0]], [0.0, b, -b * back[1]]], dtype=np.float64)
    return cv2.warpAffine(np.ascontiguousarray(mask, dtype=np.float32), mapping, (width, height),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


@dataclass
class MaskGeometry:
    """Binary mask (H, W) uint8 0/1, polygon (4, 2) float32, rotation ``theta`` (radians,
    counter-clockwise on screen, in [-pi/4, pi/4)), and whether the polygon came from the mask
    (False: the fallback state box)."""

    mask: np.ndarray
    polygon: np.ndarray
    theta: float
    from_mask: bool


def box_corners(box_xywh: Sequence[float]) -> np.ndarray:
    """(4, 2) float32 corners of an axis-aligned box: top-left, top-right, bottom-right,
    bottom-left."""
    x, y, w, h = (float(v) for v in box_xywh)
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32)


def canonical_corners(corners: np.ndarray) -> np.ndarray:
    """Reorder a rectangle's 4 corners (in cyclic order) clockwise on screen, starting at the
    corner with the smallest ``x + y`` (ties: smaller y). OpenCV versions differ in the corner
    order of ``boxPoints``; this order does not."""
    pts = np.asarray(corners, dtype=np.float32).reshape(4, 2)
    x, y = pts[:, 0].astype(np.float64), pts[:, 1].astype(np.float64)
    shoelace = float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    if shoelace < 0:                       # counter-clockwise on screen (y down)
        pts = pts[::-1]
    keys = [(round(float(px + py), 3), float(py)) for px, py in pts]
    start = min(range(4), key=lambda i: keys[i])
    return np.ascontiguousarray(np.roll(pts, -start, axis=0))


def rect_theta(angle_deg: float) -> float:
    """OpenCV ``minAreaRect`` angle (degrees, clockwise on screen) -> counter-clockwise radians
    folded into [-pi/4, pi/4) (a rectangle's orientation is defined modulo 90 degrees)."""
    theta = -math.radians(angle_deg)
    quarter = math.pi / 2
    return (theta + math.pi / 4) % quarter - math.pi / 4


def mask_geometry(mask_prob: np.ndarray, threshold: float,
                  fallback_box_xywh: Sequence[float], min_area: float = 100.0) -> MaskGeometry:
    """Threshold the full-frame probabilities (``> threshold``) and fit ``minAreaRect`` to the
    largest external contour; if no contour has area > ``min_area`` px the polygon is the
    corners of ``fallback_box_xywh``. Corners in :func:`canonical_corners` order."""
    binary = (mask_prob > threshold).astype(np.uint8)
    contours = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[-2]
    areas = [cv2.contourArea(c) for c in contours]
    if areas and max(areas) > min_area:
        contour = contours[int(np.argmax(areas))].reshape(-1, 2)
        rect = cv2.minAreaRect(contour)
        polygon = canonical_corners(cv2.boxPoints(rect))
        return MaskGeometry(binary, polygon, rect_theta(rect[2]), True)
    return MaskGeometry(binary, box_corners(fallback_box_xywh), 0.0, False)
