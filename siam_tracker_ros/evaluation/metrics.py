"""Tracking metrics: pure functions over numpy arrays (inputs are never modified).

Boxes are ``(N, 4)`` float arrays of ``x, y, w, h`` (0-based pixels, (x, y) top-left). A box is
*valid* when it is finite with w > 0 and h > 0; a NaN row means "no box" (target absent in the
ground truth, or nothing reported by the tracker). An invalid predicted box has IoU 0.

Definitions follow the public toolkits:

* OTB success (PySOT ``toolkit/utils/statistics.py::success_overlap``): thresholds
  ``np.arange(0, 1.05, 0.05)`` (21 values), success(th) = fraction of frames with IoU > th
  (strict), AUC = mean of the curve (not a trapezoid integral); a dataset's figure is the mean of
  the per-sequence AUCs.
* precision (PySOT ``success_error``): centre distance <= th for th = 0..50 px; the figure is the
  value at 20 px. Normalised precision: centre offsets divided by the ground-truth w, h,
  thresholds 0..0.5 step 0.01, figure at 0.2 (PySOT's LaSOT/TrackingNet variant).
* frames without a valid ground-truth box are left out of numerator and denominator. PySOT keeps
  LaSOT's absent frames in the denominator (``n_frame``); ``absent_as_failure=True`` reproduces
  that. (PySOT also counts frames with an invalid ground truth as *precision successes* via a
  -1 distance; we do not.)
* GOT-10k AO / SR (got10k toolkit ``experiments/got10k.py``): IoUs of frames 1..N-1 where the
  target is visible, concatenated over all sequences (frame-weighted); AO = mean IoU,
  SR@t = fraction with IoU > t.
* VOT long-term precision / recall / F (Lukezic et al., "Now you see me", VOT-LT): see
  :func:`long_term_curves`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..core.boxes import as_boxes as _as_boxes, iou_xywh, valid_boxes

OTB_IOU_THRESHOLDS = np.arange(0, 1.05, 0.05)           # PySOT success_overlap
PRECISION_THRESHOLDS_PX = np.arange(0, 51, 1).astype(np.float64)
NORM_PRECISION_THRESHOLDS = np.arange(0, 51, 1) / 100.0
PRECISION_AT_PX = 20.0
NORM_PRECISION_AT = 0.2


def box_to_polygon(boxes) -> np.ndarray:
    """(N, 4, 2) corners (clockwise on screen: top-left, top-right, bottom-right, bottom-left)."""
    arr = _as_boxes(boxes)
    x0, y0, x1, y1 = arr[:, 0], arr[:, 1], arr[:, 0] + arr[:, 2], arr[:, 1] + arr[:, 3]
    return np.stack([np.stack([x0, y0], 1), np.stack([x1, y0], 1),
                     np.stack([x1, y1], 1), np.stack([x0, y1], 1)], axis=1)


def polygon_area(points: np.ndarray) -> float:
    """Area of a simple polygon (K, 2) by the shoelace formula (0 for < 3 points)."""
    if len(points) < 3:
        return 0.0
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _clip_polygon(subject: List[Tuple[float, float]], clip: np.ndarray) -> List[Tuple[float, float]]:
    """Sutherland-Hodgman: part of ``subject`` inside the convex polygon ``clip`` (K, 2)."""
    orientation = np.sign(np.sum((np.roll(clip[:, 0], -1) - clip[:, 0]) * (np.roll(clip[:, 1], -1) + clip[:, 1])))
    output = subject
    for i in range(len(clip)):
        if not output:
            break
        (ax, ay), (bx, by) = clip[i], clip[(i + 1) % len(clip)]

        def side(p):
            return -orientation * ((bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax))

        inputs, output = output, []
        for j in range(len(inputs)):
            cur, prev = inputs[j], inputs[j - 1]
            s_cur, s_prev = side(cur), side(prev)
            if s_cur >= 0:
                if s_prev < 0:
                    output.append(_intersect(prev, cur, s_prev, s_cur))
                output.append(cur)
            elif s_prev >= 0:
                output.append(_intersect(prev, cur, s_prev, s_cur))
    return output


def _intersect(p, q, sp, sq):
    t = sp / (sp - sq)
    return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))


def polygon_iou(polys_a, polys_b, bound_wh: Optional[Tuple[float, float]] = None) -> np.ndarray:
    """(N,) IoU of convex polygon pairs (N, K, 2) (or boxes (N, 4) xywh, converted to
    rectangles). ``bound_wh`` first clips both to the image [0, W] x [0, H] (VOT's bounded
    overlap). A pair with a non-finite or zero-area polygon gives 0."""
    a, b = _as_polygons(polys_a), _as_polygons(polys_b)
    if len(a) == 1 and len(b) > 1:
        a = np.repeat(a, len(b), axis=0)
    if len(b) == 1 and len(a) > 1:
        b = np.repeat(b, len(a), axis=0)
    if len(a) != len(b):
        raise ValueError(f"polygon arrays of different lengths {len(a)} and {len(b)}")
    frame = None if bound_wh is None else box_to_polygon([0, 0, bound_wh[0], bound_wh[1]])[0]
    out = np.zeros(len(a))
    for i in range(len(a)):
        pa, pb = a[i], b[i]
        if not (np.isfinite(pa).all() and np.isfinite(pb).all()):
            continue
        if frame is not None:
            pa = np.array(_clip_polygon([tuple(p) for p in pa], frame)).reshape(-1, 2)
            pb = np.array(_clip_polygon([tuple(p) for p in pb], frame)).reshape(-1, 2)
        area_a, area_b = polygon_area(pa), polygon_area(pb)
        if area_a <= 0 or area_b <= 0:
            continue
        inter = np.array(_clip_polygon([tuple(p) for p in pa], pb)).reshape(-1, 2)
        area_i = polygon_area(inter)
        out[i] = min(1.0, max(0.0, area_i / (area_a + area_b - area_i)))
    return out


def _as_polygons(polys) -> np.ndarray:
    arr = np.asarray(polys, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 4:
        return box_to_polygon(arr)
    if arr.ndim == 1 and arr.shape[0] == 4:
        return box_to_polygon(arr[None])
    if arr.ndim == 2 and arr.shape[1] == 2:
        arr = arr[None]
    if arr.ndim == 2 and arr.shape[1] % 2 == 0:   # flat x1,y1,x2,y2,... rows
        arr = arr.reshape(arr.shape[0], -1, 2)
    if arr.ndim != 3 or arr.shape[2] != 2:
        raise ValueError(f"polygons must be (N, K, 2), got shape {arr.shape}")
    return arr


def centers_xy(boxes) -> np.ndarray:
    """(N, 2) box centres x + w/2, y + h/2 (NaN rows stay NaN)."""
    arr = _as_boxes(boxes)
    return arr[:, :2] + arr[:, 2:] / 2.0


def center_errors(gt_boxes, pred_boxes) -> np.ndarray:
    """(N,) Euclidean centre distance in pixels; inf where the prediction is invalid, NaN where
    the ground truth is invalid."""
    gt, pred = _as_boxes(gt_boxes), _as_boxes(pred_boxes)
    dist = np.linalg.norm(centers_xy(gt) - centers_xy(pred), axis=1)
    dist = np.where(valid_boxes(pred), dist, np.inf)
    return np.where(valid_boxes(gt), dist, np.nan)


def normalized_center_errors(gt_boxes, pred_boxes) -> np.ndarray:
    """(N,) centre distance with the x/y offsets divided by the ground-truth w/h (PySOT's
    normalised precision); inf/NaN as in :func:`center_errors`."""
    gt, pred = _as_boxes(gt_boxes), _as_boxes(pred_boxes)
    with np.errstate(invalid="ignore", divide="ignore"):
        offset = (centers_xy(gt) - centers_xy(pred)) / gt[:, 2:]
    dist = np.linalg.norm(offset, axis=1)
    dist = np.where(valid_boxes(pred), dist, np.inf)
    return np.where(valid_boxes(gt), dist, np.nan)


def _denominator(gt_valid: np.ndarray, absent_as_failure: bool) -> int:
    return int(gt_valid.shape[0]) if absent_as_failure else int(gt_valid.sum())


def success_curve(gt_boxes, pred_boxes, thresholds=OTB_IOU_THRESHOLDS,
                  absent_as_failure: bool = False) -> np.ndarray:
    """(T,) fraction of frames with IoU > threshold (strict, as PySOT's success_overlap).

    Frames without a valid ground truth are skipped; ``absent_as_failure`` keeps them in the
    denominator (PySOT on LaSOT). All-zero when no frame counts."""
    gt = _as_boxes(gt_boxes)
    ok = valid_boxes(gt)
    denom = _denominator(ok, absent_as_failure)
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if denom == 0:
        return np.zeros(len(thresholds))
    ious = iou_xywh(gt[ok], _as_boxes(pred_boxes)[ok])
    return (ious[:, None] > thresholds[None, :]).sum(axis=0) / float(denom)


def success_auc(curve) -> float:
    """Area under a success curve as PySOT computes it: the mean of the curve values."""
    return float(np.mean(np.asarray(curve, dtype=np.float64)))


def _error_curve(errors: np.ndarray, thresholds, denom: int) -> np.ndarray:
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if denom == 0:
        return np.zeros(len(thresholds))
    counted = errors[np.isfinite(errors) | np.isinf(errors)]
    return (counted[:, None] <= thresholds[None, :]).sum(axis=0) / float(denom)


def precision_curve(gt_boxes, pred_boxes, thresholds=PRECISION_THRESHOLDS_PX,
                    absent_as_failure: bool = False) -> np.ndarray:
    """(T,) fraction of frames whose centre error is <= threshold (pixels, 0..50 by default)."""
    errors = center_errors(gt_boxes, pred_boxes)
    ok = ~np.isnan(errors)
    return _error_curve(errors[ok], thresholds, _denominator(ok, absent_as_failure))


def normalized_precision_curve(gt_boxes, pred_boxes, thresholds=NORM_PRECISION_THRESHOLDS,
                               absent_as_failure: bool = False) -> np.ndarray:
    """(T,) fraction of frames whose normalised centre error is <= threshold (0..0.5)."""
    errors = normalized_center_errors(gt_boxes, pred_boxes)
    ok = ~np.isnan(errors)
    return _error_curve(errors[ok], thresholds, _denominator(ok, absent_as_failure))


def curve_value_at(curve, thresholds, at: float) -> float:
    """Value of ``curve`` at the threshold equal to ``at`` (PySOT reports index 20)."""
    thresholds = np.asarray(thresholds, dtype=np.float64)
    idx = int(np.argmin(np.abs(thresholds - at)))
    if abs(thresholds[idx] - at) > 1e-9:
        raise ValueError(f"threshold {at} is not one of the curve's thresholds")
    return float(np.asarray(curve)[idx])


# --------------------------------------------------------------------------- GOT-10k

def got10k_sequence_ious(gt_boxes, pred_boxes, visible, bound_wh: Optional[Tuple[float, float]] = None) -> np.ndarray:
    """IoUs GOT-10k averages for one sequence: frames 1..N-1 (the first frame is the
    initialisation) where ``visible`` is True (cover > 0), boxes clipped to ``bound_wh``."""
    gt, pred = _as_boxes(gt_boxes), _as_boxes(pred_boxes)
    keep = np.asarray(visible, dtype=bool).copy()
    keep[0] = False
    keep &= valid_boxes(gt)
    return iou_xywh(gt[keep], pred[keep], bound_wh=bound_wh)


@dataclass(frozen=True)
class Got10kScores:
    """Average overlap and success rates (IoU > 0.5, > 0.75) over all frames of all sequences."""

    ao: float
    sr50: float
    sr75: float
    num_frames: int


def got10k_scores(sequence_ious: Sequence[np.ndarray]) -> Got10kScores:
    """AO / SR0.5 / SR0.75 over the concatenation of per-sequence IoU arrays (frame-weighted,
    as the got10k toolkit does). NaN scores when there is no frame."""
    ious = np.concatenate([np.asarray(x, dtype=np.float64).ravel() for x in sequence_ious]) \
        if len(sequence_ious) else np.zeros(0)
    if ious.size == 0:
        return Got10kScores(float("nan"), float("nan"), float("nan"), 0)
    return Got10kScores(float(ious.mean()), float((ious > 0.5).mean()), float((ious > 0.75).mean()),
                        int(ious.size))


# --------------------------------------------------------------------------- VOT long-term

@dataclass(frozen=True)
class LongTermScores:
    """VOT-LT figures: curves over ``thresholds`` (averaged over sequences) and the F-score
    (maximum of F over thresholds) with the precision/recall/threshold where it is reached."""

    thresholds: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f: np.ndarray
    f_score: float
    precision_at_best: float
    recall_at_best: float
    best_threshold: float


def long_term_overlaps(gt_boxes, pred_boxes, visible) -> np.ndarray:
    """(N,) per-frame overlap for long-term scoring: IoU where the target is visible, 0 where
    it is not (a report while the target is absent is a false positive)."""
    ious = iou_xywh(gt_boxes, pred_boxes)
    return np.where(np.asarray(visible, dtype=bool), ious, 0.0)


def confidence_thresholds(confidences: Sequence[np.ndarray], resolution: int = 100) -> np.ndarray:
    """Up to ``resolution`` thresholds: evenly spaced quantiles of every finite confidence
    (sorted, unique); at least one threshold."""
    values = np.concatenate([np.asarray(c, dtype=np.float64).ravel() for c in confidences]) \
        if len(confidences) else np.zeros(0)
    values = np.sort(values[np.isfinite(values)])
    if values.size == 0:
        return np.array([0.0])
    idx = np.unique(np.round(np.linspace(0, values.size - 1, resolution)).astype(np.int64))
    return np.unique(values[idx])


def long_term_curves(overlaps: Sequence[np.ndarray], confidences: Sequence[np.ndarray],
                     visible: Sequence[np.ndarray], thresholds: Optional[np.ndarray] = None) -> LongTermScores:
    """VOT long-term precision/recall/F over confidence thresholds tau.

    Per sequence (overlaps o_t from :func:`long_term_overlaps`, confidence c_t; a frame where
    the tracker reports nothing has c_t = -inf or NaN):
    Pr(tau) = mean of o_t over frames with c_t >= tau (1 when there is none),
    Re(tau) = sum of o_t over frames with c_t >= tau / number of visible frames (0 if none).
    Pr and Re are averaged over sequences, F = 2 Pr Re / (Pr + Re), F-score = max over tau.
    """
    if thresholds is None:
        thresholds = confidence_thresholds(confidences)
    thresholds = np.asarray(thresholds, dtype=np.float64)
    precisions, recalls = [], []
    for o, c, v in zip(overlaps, confidences, visible):
        o = np.asarray(o, dtype=np.float64)
        c = np.nan_to_num(np.asarray(c, dtype=np.float64), nan=-np.inf)
        n_visible = int(np.asarray(v, dtype=bool).sum())
        reported = c[:, None] >= thresholds[None, :]        # (N, T)
        counts = reported.sum(axis=0)
        sums = (o[:, None] * reported).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            precisions.append(np.where(counts > 0, sums / np.maximum(counts, 1), 1.0))
        recalls.append(sums / n_visible if n_visible else np.zeros(len(thresholds)))
    precision = np.mean(precisions, axis=0) if precisions else np.zeros(len(thresholds))
    recall = np.mean(recalls, axis=0) if recalls else np.zeros(len(thresholds))
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    best = int(np.argmax(f))
    return LongTermScores(thresholds, precision, recall, f, float(f[best]), float(precision[best]),
                          float(recall[best]), float(thresholds[best]))


# --------------------------------------------------------------------------- re-acquisition

@dataclass(frozen=True)
class AbsenceEvent:
    """One run of frames [start, end) where the target is not visible; ``reentry`` = end (the
    first visible frame after it) or None when the sequence ends first; ``delay`` = frames from
    re-entry until IoU >= threshold again (None: never re-acquired). ``out_of_view`` is True
    when the ground truth has no box during the run (not just occluded)."""

    start: int
    end: int
    out_of_view: bool
    delay: Optional[int]

    @property
    def recovered(self) -> bool:
        return self.delay is not None


def absence_events(gt_boxes, visible) -> List[Tuple[int, int, bool]]:
    """Runs [start, end) of not-visible frames that are followed by a visible frame, with a
    flag telling whether the box is missing (out of view) somewhere in the run."""
    vis = np.asarray(visible, dtype=bool)
    missing = ~valid_boxes(gt_boxes)
    events, t, n = [], 0, len(vis)
    while t < n:
        if vis[t]:
            t += 1
            continue
        start = t
        while t < n and not vis[t]:
            t += 1
        if t < n and start > 0:
            events.append((start, t, bool(missing[start:t].any())))
    return events


def reacquisition_events(gt_boxes, pred_boxes, visible, iou_threshold: float = 0.5) -> List[AbsenceEvent]:
    """Every absence (see :func:`absence_events`) with its re-acquisition delay: the number of
    frames from the first visible frame after the absence until the first frame with
    IoU(pred, gt) >= ``iou_threshold`` (0 = re-acquired on the re-entry frame)."""
    ious = iou_xywh(gt_boxes, pred_boxes)
    out = []
    for start, end, oov in absence_events(gt_boxes, visible):
        hits = np.nonzero(ious[end:] >= iou_threshold)[0]
        out.append(AbsenceEvent(start, end, oov, int(hits[0]) if hits.size else None))
    return out
