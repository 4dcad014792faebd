"""OpenCV single-object trackers behind the :class:`Tracker` protocol, as evaluation baselines:
CSRT, KCF and MIL (opencv-contrib) and ``nano``: OpenCV's ``TrackerNano`` (NanoTrack's ONNX
backbone + head run by OpenCV DNN; it is not the reference NanoTrack tracker, see
``siam_tracker_ros`` NanoTrack docs).

OpenCV takes an integer rectangle: the init box is rounded (x, y to the nearest pixel, w, h to
>= 1). CSRT/KCF/MIL give no confidence: score is 1.0 (TRACKING) when ``update`` succeeds, 0.0
(LOST, last box repeated) when it reports a failure. ``nano`` reports
``getTrackingScore()`` (the network's foreground probability at the chosen position).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Sequence, Tuple

import numpy as np

from ..core.errors import InvalidInputError, NotInitializedError
from ..core.types import TrackResult, TrackState, validate_frame, validate_init_box

BASELINES = {"csrt": "TrackerCSRT_create", "kcf": "TrackerKCF_create", "mil": "TrackerMIL_create",
             "nano": "TrackerNano"}
# OpenCV TrackerNano's model pair: NanoTrack v2's ONNX backbone and head, bundled with the
# NanoTrack checkpoints (paths relative to a bundled root, see bundled_files.find_bundled_file).
NANO_DEFAULT_ONNX = ("models/nanotrack/v2/nanotrack_backbone_sim.onnx",
                     "models/nanotrack/v2/nanotrack_head_sim.onnx")


def resolve_nano_models(models: Optional[Tuple[str, str]] = None) -> Tuple[str, str]:
    """(backbone, head) ONNX paths for ``nano``: the given pair, else the bundled v2 pair;
    InvalidInputError (one line) when a file is missing."""
    if models is None:
        from .bundled_files import find_bundled_file

        found = [find_bundled_file(p) for p in NANO_DEFAULT_ONNX]
        if any(f is None for f in found):
            raise InvalidInputError(f"OpenCV TrackerNano: bundled ONNX pair {', '.join(NANO_DEFAULT_ONNX)} "
                                    f"not found; pass the backbone and head ONNX files")
        return str(found[0]), str(found[1])
    backbone, head = (os.fspath(Path(os.fspath(m)).expanduser()) for m in models)
    for what, path in (("backbone", backbone), ("head", head)):
        if not os.path.isfile(path):
            raise InvalidInputError(f"OpenCV TrackerNano: {what} ONNX file {path} not found")
    return backbone, head


def _factory(kind: str, nano_models: Optional[Tuple[str, str]] = None):
    import cv2

    if kind not in BASELINES:
        raise InvalidInputError(f"unknown baseline {kind!r} (known: {', '.join(BASELINES)})")
    name = BASELINES[kind]
    if kind == "nano":
        if not hasattr(cv2, "TrackerNano"):
            raise InvalidInputError(f"OpenCV {cv2.__version__} has no TrackerNano (needs OpenCV >= 4.7)")
        backbone, head = resolve_nano_models(nano_models)

        def create():
            params = cv2.TrackerNano_Params()
            params.backbone, params.neckhead = backbone, head
            try:
                return cv2.TrackerNano.create(params)
            except cv2.error as exc:
                raise InvalidInputError(f"OpenCV TrackerNano cannot load {backbone} / {head}: "
                                        f"{' '.join(str(exc).split())[:200]}") from None
        return create
    for owner in (cv2, getattr(cv2, "legacy", None)):
        if owner is not None and hasattr(owner, name):
            return getattr(owner, name)
    raise InvalidInputError(f"OpenCV {cv2.__version__} has no {name}: install opencv-contrib-python(-headless)")


class OpenCVTracker:
    """An OpenCV tracker (``kind`` in :data:`BASELINES`) implementing the Tracker protocol;
    ``nano_models`` = (backbone, head) ONNX files for ``kind="nano"`` (default: bundled v2)."""

    def __init__(self, kind: str, nano_models: Optional[Tuple[str, str]] = None):
        self.kind = kind
        self._create = _factory(kind, nano_models)
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
            score = float(self._tracker.getTrackingScore()) if self.kind == "nano" else 1.0
            return TrackResult(self._last, score, TrackState.TRACKING)
        return TrackResult(self._last, 0.0, TrackState.LOST)

    def reset(self) -> None:
        self._tracker = None
        self._last = None
