"""OpenCV (opencv-contrib) single-object trackers behind the :class:`Tracker` protocol, as
evaluation baselines: CSRT, KCF and MIL.

OpenCV takes an integer rectangle: the init box is rounded (x, y to the nearest pixel, w, h to
>= 1). OpenCV gives no confidence: score is 1.0 (TRACKING) when ``update`` succeeds, 0.0 (LOST,
last box repeated) when it reports a failure.
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

from ..core.errors import InvalidInputError, NotInitializedError
from ..core.types import TrackResult, TrackState, validate_frame, validate_init_box

BASELINES = {"csrt": "TrackerCSRT_create", "kcf": "TrackerKCF_create", "mil": "TrackerMIL_create"}


def _factory(kind: str):
    import cv2

    if kind not in BASELINES:
        raise InvalidInputError(f"unknown baseline {kind!r} (known: {', '.join(BASELINES)})")
    name = BASELINES[kind]
    for owner in (cv2, getattr(cv2, "legacy", None)):
        if owner is not None and hasattr(owner, name):
            return getattr(owner, name)
    raise InvalidInputError(f"OpenCV {cv2.__version__} has no {name}: install opencv-contrib-python(-headless)")


class OpenCVTracker:
    """An OpenCV tracker (``kind`` in :data:`BASELINES`) implementing the Tracker protocol."""

    def __init__(self, kind: str):
        self.kind = kind
        self._create = _factory(kind)
        self._tracker = None
        self._last: Optional[Tuple[float, float, float, float]] = None

    @property
    def name(self) -> str:
        return f"opencv-{self.kind}"

    def initialize(self, frame: np.ndarray, box_xywh: Sequence[float]) -> TrackResult:
        validate_frame(frame)
        x, y, w, h = validate_init_box(box_xywh, frame.shape)
        rect = (int(round(x)), int(round(y)), max(1, int(round(w))), max(1, int(round(h))))
        self._tracker = self._create()
        self._tracker.init(frame, rect)
        self._last = (x, y, w, h)
        return TrackResult(self._last, 1.0, TrackState.TRACKING)

    def track(self, frame: np.ndarray) -> TrackResult:
        if self._tracker is None:
            raise NotInitializedError(f"{self.name}: track() called before initialize()")
        validate_frame(frame)
        ok, rect = self._tracker.update(frame)
        if ok:
            self._last = tuple(float(v) for v in rect)
            return TrackResult(self._last, 1.0, TrackState.TRACKING)
        return TrackResult(self._last, 0.0, TrackState.LOST)

    def reset(self) -> None:
        self._tracker = None
        self._last = None
