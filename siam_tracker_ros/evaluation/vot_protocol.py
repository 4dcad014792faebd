"""VOT short-term supervised (reset) protocol and its figures: accuracy, robustness, EAO.

Protocol (as PySOT's ``tools/test.py`` runs VOT): the tracker is initialised on frame 0; on
every later frame the overlap of its box with the ground truth (polygon overlap bounded by the
image when the sequence has polygons) is measured; overlap == 0 is a *failure*, the tracker is
re-initialised ``skip`` (5) frames later on the ground truth of that frame (the next frame with a
valid ground truth). Frames between a failure and the re-initialisation are not fed to the
tracker.

Figures (as PySOT's ``toolkit/evaluation/ar_benchmark.py`` / ``eao_benchmark.py``):
accuracy = mean overlap over all tracked frames of all sequences, leaving out each
initialisation frame and the ``burnin - 1`` (9) frames after it; failures = total failures;
robustness = 100 * failures / total frames (PySOT's figure); EAO = mean over sequence lengths
[low, high] of the expected average overlap of fragments cut at failures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence as SequenceType, Tuple

import numpy as np

from ..core.boxes import iou_xywh, valid_boxes
from ..core.tracker import Tracker
from ..data.sequence import Sequence
from .metrics import polygon_iou

FRAME_TRACKED = 0
FRAME_INIT = 1
FRAME_FAILURE = 2
FRAME_SKIPPED = 3

DEFAULT_SKIP = 5
DEFAULT_BURNIN = 10
# EAO length ranges [low, high] PySOT uses per VOT edition.
EAO_RANGES = {"VOT2016": (108, 371), "VOT2017": (100, 356), "VOT2018": (100, 356), "VOT2019": (46, 291)}


@dataclass
class SupervisedRun:
    """One sequence under the reset protocol.

    codes: (N,) int8, FRAME_TRACKED / FRAME_INIT / FRAME_FAILURE / FRAME_SKIPPED per frame.
    boxes_xywh: (N, 4) tracker output (init box on init frames, NaN on skipped frames).
    overlaps: (N,) overlap with the ground truth on tracked frames, NaN elsewhere.
    """

    name: str
    codes: np.ndarray
    boxes_xywh: np.ndarray
    overlaps: np.ndarray

    @property
    def failures(self) -> np.ndarray:
        """Frame indices of the failures."""
        return np.nonzero(self.codes == FRAME_FAILURE)[0]

    def vot_lines(self) -> list:
        """Lines in PySOT's VOT result format: '1' init, '2' failure, '0' skipped, else x,y,w,h."""
        lines = []
        for code, box in zip(self.codes, self.boxes_xywh):
            if code == FRAME_TRACKED:
                lines.append(",".join(f"{v:.4f}" for v in box))
            else:
                lines.append({FRAME_INIT: "1", FRAME_FAILURE: "2", FRAME_SKIPPED: "0"}[int(code)])
        return lines


def vot_init_box(polygon: np.ndarray) -> Tuple[float, float, float, float]:
    """Axis-aligned init box of a VOT polygon (K, 2), the way PySOT initialises on VOT: centre
    = mean of the corners; w, h = the bounding box sides scaled by sqrt(A_poly / A_bbox) (area
    preserving, A_poly from the first two edges), plus 1; returned as
    (cx - (w - 1) / 2, cy - (h - 1) / 2, w, h) so a PySOT-style tracker (centre = x + (w-1)/2)
    starts from the polygon centre."""
    pts = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    cx, cy = float(pts[:, 0].mean()), float(pts[:, 1].mean())
    x1, x2 = float(pts[:, 0].min()), float(pts[:, 0].max())
    y1, y2 = float(pts[:, 1].min()), float(pts[:, 1].max())
    if len(pts) == 4:
        a_poly = float(np.linalg.norm(pts[0] - pts[1]) * np.linalg.norm(pts[1] - pts[2]))
    else:
        a_poly = (x2 - x1) * (y2 - y1)
    a_box = (x2 - x1) * (y2 - y1)
    scale = math.sqrt(a_poly / a_box) if a_box > 0 else 1.0
    w, h = scale * (x2 - x1) + 1, scale * (y2 - y1) + 1
    return (cx - (w - 1) / 2, cy - (h - 1) / 2, w, h)


def frame_overlap(sequence: Sequence, t: int, box: np.ndarray,
                  bound_wh: Optional[Tuple[float, float]]) -> float:
    """Overlap of ``box`` (xywh) with frame t's ground truth: polygon overlap when the sequence
    has a polygon there, else the rectangle IoU, both bounded by ``bound_wh``; NaN when the
    ground truth has no valid box."""
    gt_box = sequence.boxes_xywh[t]
    if not valid_boxes(gt_box)[0]:
        return float("nan")
    if sequence.polygons is not None and np.isfinite(sequence.polygons[t]).all():
        return float(polygon_iou(sequence.polygons[t][None], np.asarray(box)[None], bound_wh=bound_wh)[0])
    return float(iou_xywh(gt_box, box, bound_wh=bound_wh)[0])


def run_supervised(tracker: Tracker, sequence: Sequence, skip: int = DEFAULT_SKIP) -> SupervisedRun:
    """Drive ``tracker`` over ``sequence`` with the VOT reset protocol (see module docstring)."""
    n = len(sequence)
    codes = np.full(n, FRAME_SKIPPED, dtype=np.int8)
    boxes = np.full((n, 4), np.nan)
    overlaps = np.full(n, np.nan)
    next_init = 0
    for t in range(n):
        if t < next_init:
            continue
        frame = sequence.frames[t]
        bound_wh = (frame.shape[1], frame.shape[0])
        if t == next_init:
            if not valid_boxes(sequence.boxes_xywh[t])[0]:
                next_init += 1
                continue
            if sequence.polygons is not None and np.isfinite(sequence.polygons[t]).all():
                init = vot_init_box(sequence.polygons[t])
            else:
                init = tuple(float(v) for v in sequence.boxes_xywh[t])
            tracker.initialize(frame, init)
            codes[t] = FRAME_INIT
            boxes[t] = init
            continue
        result = tracker.track(frame)
        boxes[t] = result.bbox_xywh
        overlap = frame_overlap(sequence, t, boxes[t], bound_wh)
        if overlap > 0 or math.isnan(overlap):
            codes[t] = FRAME_TRACKED
            overlaps[t] = overlap
        else:
            codes[t] = FRAME_FAILURE
            next_init = t + skip
    return SupervisedRun(sequence.name, codes, boxes, overlaps)


@dataclass(frozen=True)
class AccuracyRobustness:
    accuracy: float
    failures: int
    robustness: float      # 100 * failures / frames (PySOT)
    num_frames: int


def accuracy_robustness(runs: Iterable[SupervisedRun], burnin: int = DEFAULT_BURNIN) -> AccuracyRobustness:
    """Accuracy over all frames of all runs (burn-in after each init left out), total failures
    and PySOT's robustness figure."""
    kept, failures, frames = [], 0, 0
    for run in runs:
        overlaps = run.overlaps.copy()
        for t in np.nonzero(run.codes == FRAME_INIT)[0]:
            overlaps[t:t + burnin] = np.nan
        kept.append(overlaps)
        failures += int((run.codes == FRAME_FAILURE).sum())
        frames += len(run.codes)
    values = np.concatenate(kept) if kept else np.zeros(0)
    values = values[~np.isnan(values)]
    accuracy = float(values.mean()) if values.size else float("nan")
    robustness = 100.0 * failures / frames if frames else float("nan")
    return AccuracyRobustness(accuracy, failures, robustness, frames)


def expected_overlap_curve(runs: SequenceType[SupervisedRun], skip: int = DEFAULT_SKIP) -> np.ndarray:
    """(L,) expected average overlap Phi(Ns) for Ns = 1..L (L = longest run), index Ns - 1.

    Each run is cut into fragments starting at frame 0 and at every re-initialisation
    (failure + ``skip``); a fragment that ends in a failure continues with zeros to length L,
    the last one is undefined (NaN) past the end of the sequence. Phi(1) = 1; Phi(Ns) = mean
    over fragments defined at Ns of their mean overlap over frames 2..Ns (the init frame is
    left out; unknown overlaps count 0). Every fragment has weight 1."""
    max_len = max(len(r.codes) for r in runs)
    rows = []
    for run in runs:
        overlaps = np.nan_to_num(run.overlaps, nan=0.0)
        n = len(overlaps)
        points = [0] + [int(f) + skip for f in run.failures if int(f) + skip <= n]
        for i, start in enumerate(points):
            row = np.full(max_len, np.nan)
            if i + 1 < len(points):
                piece = overlaps[start:points[i + 1] + 1]
                row[:] = 0.0
            else:
                piece = overlaps[start:]
            row[:len(piece)] = piece
            rows.append(row)
    fragments = np.array(rows)
    curve = np.full(max_len, np.nan)
    curve[0] = 1.0
    for i in range(1, max_len):
        defined = ~np.isnan(fragments[:, i])
        if defined.any():
            curve[i] = float(np.mean(fragments[defined, 1:i + 1].mean(axis=1)))
    return curve


def expected_average_overlap(runs: SequenceType[SupervisedRun], low: Optional[int] = None,
                             high: Optional[int] = None, skip: int = DEFAULT_SKIP) -> float:
    """EAO: mean of :func:`expected_overlap_curve` over lengths [low, high] (1-based,
    inclusive; NaN entries skipped). Defaults: low = 1, high = median run length (for datasets
    without a VOT range; use :data:`EAO_RANGES` for VOT editions)."""
    runs = list(runs)
    if not runs:
        return float("nan")
    curve = expected_overlap_curve(runs, skip=skip)
    low = 1 if low is None else int(low)
    high = int(np.median([len(r.codes) for r in runs])) if high is None else int(high)
    window = curve[max(0, low - 1):min(len(curve), high)]
    window = window[~np.isnan(window)]
    return float(window.mean()) if window.size else float("nan")
