"""Result types shared by every tracker, the CLI, evaluation and the ROS node.

Box convention: ``box_xywh`` = (x, y, w, h) in pixels, 0-based, x right, y down; (x, y) is
the top-left corner of the box. An integer box covers columns x..x+w-1 and rows y..y+h-1.
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .errors import InvalidInputError

BoxXYWH = Tuple[float, float, float, float]


class TrackState(enum.Enum):
    """Per-frame tracker state (the node publishes it in TrackerStatus)."""

    IDLE = 0        # no target
    TRACKING = 1    # confident local tracking
    UNCERTAIN = 2   # confidence between the loss and re-acquisition thresholds
    LOST = 3        # target declared lost on this frame (first frame below threshold)
    SEARCHING = 4   # re-detection in progress (widening / global search)


@dataclass
class TrackResult:
    """What a tracker reports for one frame.

    bbox_xywh: axis-aligned box, float pixels. polygon: (4, 2) float32 corners of a rotated
    box (SiamMask) or None. mask: (H, W) uint8 0/1 full-frame mask or None. score: confidence
    in [0, 1]. theta: rotation of the rotated box in radians, counter-clockwise, 0 if none.
    extras: tracker-specific diagnostics (never needed by consumers).
    """

    bbox_xywh: BoxXYWH
    score: float
    state: TrackState
    polygon: Optional[np.ndarray] = None
    mask: Optional[np.ndarray] = None
    theta: float = 0.0
    extras: dict = field(default_factory=dict)

    @property
    def center_xy(self) -> Tuple[float, float]:
        x, y, w, h = self.bbox_xywh
        return (x + w / 2.0, y + h / 2.0)

    @property
    def is_target_visible(self) -> bool:
        """True while the tracker claims a target position (TRACKING or UNCERTAIN)."""
        return self.state in (TrackState.TRACKING, TrackState.UNCERTAIN)


MIN_BOX_SIDE_PX = 1.0       # a smaller init box has no pixels to learn the target from
MAX_BOX_FRAME_RATIO = 2.0   # a larger one would make the crop allocate without bound


def validate_box_values(box_xywh: Sequence[float]) -> List[float]:
    """The checks of :func:`validate_init_box` that need no frame: 4 finite numbers, width and
    height positive and at least ``MIN_BOX_SIDE_PX``. Returns the values as floats."""
    try:
        values = [float(v) for v in box_xywh]
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"init box must be 4 numbers x,y,w,h, got {box_xywh!r}") from exc
    if len(values) != 4:
        raise InvalidInputError(f"init box must be 4 numbers x,y,w,h, got {len(values)} values")
    if not all(math.isfinite(v) for v in values):
        raise InvalidInputError(f"init box has a NaN or infinite value: {values}")
    w, h = values[2], values[3]
    if w <= 0 or h <= 0:
        raise InvalidInputError(f"init box must have positive width and height, got w={w:g}, h={h:g}")
    if w < MIN_BOX_SIDE_PX or h < MIN_BOX_SIDE_PX:
        raise InvalidInputError(f"init box {w:g}x{h:g} is smaller than {MIN_BOX_SIDE_PX:g} px")
    return values


def validate_init_box(box_xywh: Sequence[float], frame_shape: Sequence[int]) -> BoxXYWH:
    """Check an initialisation box against a frame of shape (H, W[, C]).

    The box must be finite, at least 1 px and at most twice the frame in width and height, and
    overlap the frame. Raises
    :class:`InvalidInputError` with one readable line otherwise; returns the box as floats.
    """
    x, y, w, h = validate_box_values(box_xywh)
    height, width = int(frame_shape[0]), int(frame_shape[1])
    if w > MAX_BOX_FRAME_RATIO * width or h > MAX_BOX_FRAME_RATIO * height:
        raise InvalidInputError(f"init box {w:g}x{h:g} is more than {MAX_BOX_FRAME_RATIO:g} times "
                                f"the {width}x{height} frame")
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        raise InvalidInputError(
            f"init box {x:g},{y:g},{w:g},{h:g} lies outside the {width}x{height} frame")
    return (x, y, w, h)


def validate_frame(frame: np.ndarray) -> np.ndarray:
    """Check a frame is an (H, W, 3) uint8 BGR array with H, W > 0; return it unchanged."""
    if not isinstance(frame, np.ndarray):
        raise InvalidInputError(f"frame must be a numpy array, got {type(frame).__name__}")
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise InvalidInputError(f"frame must be HxWx3 (BGR), got shape {frame.shape}")
    if frame.dtype != np.uint8:
        raise InvalidInputError(f"frame must be uint8, got {frame.dtype}")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InvalidInputError(f"frame is empty: shape {frame.shape}")
    return frame
