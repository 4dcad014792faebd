"""The node's output messages of one frame, as pure functions: what ``siam_tracker`` publishes
and what ``bag eval`` writes come from here (so a bag evaluation is the node's code path).

=====================  ================================  ======================================
field                  type                              content
=====================  ================================  ======================================
``detection``          vision_msgs/Detection2D or None   the target while shown (TRACKING /
                                                         UNCERTAIN)
``detections``         vision_msgs/Detection2DArray      every frame, 0 or 1 entry
``confidence``         std_msgs/Float32                  the score while a target is followed
``mask``               sensor_msgs/Image mono8 0/255     when asked: the model's mask, or the
                                                         box filled, or all 0 when not shown
``debug_image``        sensor_msgs/Image bgr8            when asked: the overlay
=====================  ================================  ======================================

Every message carries the source image header unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
try:
    from sensor_msgs.msg import Image
    from std_msgs.msg import Float32, Header
    from vision_msgs.msg import Detection2D, Detection2DArray

    from siam_tracker.msg import TrackerStatus
except ImportError:  # no ROS 2 Python (bag tools with rosbags only): same fields and constructors
    from .bag.types import Detection2D, Detection2DArray, Float32, Header, Image, TrackerStatus

from ..core.stream_session import Target
from ..core.stream_tracker import StreamStatus
from ..core.types import TrackResult
from . import detection_conversion, image_conversion
from .overlay import box_mask, draw_result


@dataclass(frozen=True)
class FrameMessages:
    """The output messages of one frame (``mask`` / ``debug_image`` None when not asked for)."""

    detection: Optional[Detection2D]
    detections: Detection2DArray
    confidence: Float32
    mask: Optional[Image] = None
    debug_image: Optional[Image] = None


def frame_messages(header: Header, image: np.ndarray, result: Optional[TrackResult],
                   target: Optional[Target], mask: bool = False,
                   debug_image: bool = False) -> FrameMessages:
    """Messages for a processed frame ``image`` (BGR) with the tracker's ``result`` (None while
    no target is followed) for ``target``."""
    result = result if target is not None else None
    visible = result is not None and result.is_target_visible
    detections = detection_conversion.result_to_detection_array(
        result if visible else None, header, "" if target is None else target.target_id,
        "" if target is None else target.label)
    detection = detections.detections[0] if visible else None
    confidence = Float32(data=float(result.score) if result is not None else 0.0)
    mask_msg = debug_msg = None
    if mask:
        pixels = np.zeros(image.shape[:2], np.uint8)
        if visible:
            pixels = result.mask if result.mask is not None else box_mask(image.shape, result)
        mask_msg = image_conversion.mask_to_image(pixels, header)
    if debug_image:
        label = "" if target is None else f"{target.label} #{target.target_id}"
        debug_msg = image_conversion.bgr_to_image(draw_result(image, result, label), header)
    return FrameMessages(detection, detections, confidence, mask_msg, debug_msg)


def status_message(header: Header, status: StreamStatus, latency_ms: float,
                   mask_from_box: bool) -> TrackerStatus:
    """``~/status`` of a :class:`StreamStatus` under ``header``."""
    return TrackerStatus(
        header=header, state=status.state.value, confidence=float(status.confidence),
        target_id=status.target_id, frames_since_seen=int(status.frames_since_seen),
        latency_ms=float(latency_ms), frames_processed=int(status.frames_processed),
        frames_dropped=int(status.frames_dropped), enabled=bool(status.enabled),
        mask_from_box=bool(mask_from_box), last_error=status.last_error)


def node_header(header: Any) -> Header:
    """A copy of any message's header (rosbags' or rclpy's) as this module's Header class."""
    out = Header()
    out.stamp.sec = int(header.stamp.sec)
    out.stamp.nanosec = int(header.stamp.nanosec)
    out.frame_id = str(header.frame_id)
    return out
