"""TrackResult / boxes <-> vision_msgs and TrackerStatus, as pure functions.

vision_msgs conventions (4.x): BoundingBox2D ``center`` is the box centre in pixels (x right,
y down), ``size_x``/``size_y`` the full width/height along the box's own axes, ``center.theta``
its rotation in radians, counter-clockwise as seen in the image (0 = axis-aligned). Our boxes are
``box_xywh`` = (x, y, w, h), top-left corner, pixels (see siam_tracker_ros.core.types).
"""
from __future__ import annotations

import math
from typing import Iterable, Optional, Sequence

import numpy as np
try:
    from std_msgs.msg import Header
    from vision_msgs.msg import BoundingBox2D, Detection2D, Detection2DArray, ObjectHypothesisWithPose

    from siam_tracker.msg import TrackerStatus
except ImportError:  # no ROS 2 Python (bag tools with rosbags only): same fields and constructors
    from .bag.types import (BoundingBox2D, Detection2D, Detection2DArray, Header,
                            ObjectHypothesisWithPose, TrackerStatus)

from ..core.errors import InvalidInputError
from ..core.types import BoxXYWH, TrackResult, TrackState


def box_xywh_to_bbox(box_xywh: Sequence[float], theta: float = 0.0) -> BoundingBox2D:
    """(x, y, w, h) pixels -> BoundingBox2D (centre + size), with rotation ``theta`` (rad, CCW)."""
    x, y, w, h = (float(v) for v in box_xywh)
    bbox = BoundingBox2D()
    bbox.center.position.x = x + w / 2.0
    bbox.center.position.y = y + h / 2.0
    bbox.center.theta = float(theta)
    bbox.size_x = w
    bbox.size_y = h
    return bbox


def polygon_to_bbox(polygon: np.ndarray, theta: float) -> BoundingBox2D:
    """(4, 2) corners (x, y pixels, any order) of a box rotated by ``theta`` (rad, CCW as seen in
    the image, y down) -> BoundingBox2D. Sizes are the corners' extents along the box's own axes,
    so a slightly non-rectangular quadrilateral (e.g. a fitted mask) still gives a sensible box."""
    corners = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    cos_t, sin_t = math.cos(theta), math.sin(theta)
    # Box axes in image coordinates: x axis turned CCW on screen = (cos, -sin) with y down.
    along_x = corners @ np.array([cos_t, -sin_t])
    along_y = corners @ np.array([sin_t, cos_t])
    mid_x, mid_y = (along_x.max() + along_x.min()) / 2.0, (along_y.max() + along_y.min()) / 2.0
    bbox = BoundingBox2D()
    bbox.center.position.x = float(mid_x * cos_t + mid_y * sin_t)
    bbox.center.position.y = float(-mid_x * sin_t + mid_y * cos_t)
    bbox.center.theta = float(theta)
    bbox.size_x = float(along_x.max() - along_x.min())
    bbox.size_y = float(along_y.max() - along_y.min())
    return bbox


def bbox_to_box_xywh(bbox: BoundingBox2D) -> BoxXYWH:
    """BoundingBox2D -> (x, y, w, h) pixels, top-left corner. ``center.theta`` is ignored (an
    init box is axis-aligned); sizes are passed through unchecked (zero size = "stop" for the
    node; :func:`siam_tracker_ros.core.types.validate_init_box` checks a box against the frame)."""
    w, h = float(bbox.size_x), float(bbox.size_y)
    return (float(bbox.center.position.x) - w / 2.0, float(bbox.center.position.y) - h / 2.0, w, h)


def detection_to_box_xywh(detection: Detection2D) -> BoxXYWH:
    """Detection2D -> its bbox as (x, y, w, h) pixels (see :func:`bbox_to_box_xywh`)."""
    return bbox_to_box_xywh(detection.bbox)


def detection_score(detection: Detection2D) -> float:
    """Highest ``results[i].hypothesis.score`` of a detection; 0.0 when it has no results."""
    return max((float(r.hypothesis.score) for r in detection.results), default=0.0)


def best_detection(detections: Iterable[Detection2D]) -> Optional[Detection2D]:
    """The detection with the highest :func:`detection_score` (first one on ties); None if empty."""
    best, best_score = None, -math.inf
    for detection in detections:
        score = detection_score(detection)
        if score > best_score or best is None:
            best, best_score = detection, score
    return best


def box_xywh_to_detection(box_xywh: Sequence[float], header: Optional[Header] = None,
                          target_id: str = "", label: str = "", score: float = 1.0,
                          theta: float = 0.0) -> Detection2D:
    """(x, y, w, h) pixels -> Detection2D with one hypothesis (``label``, ``score``), ``id``."""
    return _detection(box_xywh_to_bbox(box_xywh, theta), header, target_id, label, score)


def result_to_detection(result: TrackResult, header: Optional[Header] = None, target_id: str = "",
                        label: str = "") -> Detection2D:
    """TrackResult -> Detection2D: header copied, ``id`` = target_id, results[0] = (label, score).

    A rotated result (``polygon`` set and ``theta`` != 0, e.g. SiamMask) gives the rotated box
    fitted to the polygon; otherwise the axis-aligned ``bbox_xywh``.
    """
    if result.polygon is not None and abs(result.theta) > 1e-9:
        bbox = polygon_to_bbox(result.polygon, result.theta)
    else:
        bbox = box_xywh_to_bbox(result.bbox_xywh, result.theta)
    return _detection(bbox, header, target_id, label, result.score)


def result_to_detection_array(result: Optional[TrackResult], header: Optional[Header] = None,
                              target_id: str = "", label: str = "") -> Detection2DArray:
    """Detection2DArray with one entry when ``result`` shows a target (TRACKING/UNCERTAIN), else
    none. The array and its entry both carry ``header``."""
    array_msg = Detection2DArray()
    if header is not None:
        array_msg.header = header
    if result is not None and result.is_target_visible:
        array_msg.detections = [result_to_detection(result, header, target_id, label)]
    return array_msg


def _detection(bbox: BoundingBox2D, header: Optional[Header], target_id: str, label: str,
               score: float) -> Detection2D:
    detection = Detection2D()
    if header is not None:
        detection.header = header
    detection.bbox = bbox
    detection.id = str(target_id)
    hypothesis = ObjectHypothesisWithPose()
    hypothesis.hypothesis.class_id = str(label)
    hypothesis.hypothesis.score = float(score)
    detection.results = [hypothesis]
    return detection


# TrackerStatus.state constants use TrackState's values; test/ros checks they stay in step.
def track_state_to_status(state: TrackState) -> int:
    """TrackState -> TrackerStatus.state (uint8)."""
    return int(state.value)


def status_to_track_state(state: int) -> TrackState:
    """TrackerStatus.state -> TrackState; InvalidInputError for an unknown value."""
    try:
        return TrackState(int(state))
    except ValueError:
        raise InvalidInputError(f"unknown TrackerStatus state {state}") from None


STATUS_STATE_NAMES = {
    TrackerStatus.STATE_IDLE: "IDLE",
    TrackerStatus.STATE_TRACKING: "TRACKING",
    TrackerStatus.STATE_UNCERTAIN: "UNCERTAIN",
    TrackerStatus.STATE_LOST: "LOST",
    TrackerStatus.STATE_SEARCHING: "SEARCHING",
}
