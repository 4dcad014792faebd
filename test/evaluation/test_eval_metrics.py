"""Metrics against hand-computed figures (every expected number below is worked out by hand)."""
import math

import numpy as np
import pytest

from siam_tracker_ros.evaluation import metrics as M

GT = np.array([0.0, 0.0, 10.0, 10.0])


def test_iou_of_hand_made_pairs():
    a = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]], float)
    b = np.array([[5, 5, 10, 10], [0, 0, 10, 10], [20, 20, 5, 5], [np.nan] * 4, [0, 0, 0, 5]], float)
    np.testing.assert_allclose(M.iou_xywh(a, b), [25 / 175, 1.0, 0.0, 0.0, 0.0])
    # bound: clip (-5, 0, 10, 10) to x >= 0 -> (0, 0, 5, 10): IoU with (0, 0, 5, 10) is 1
    assert M.iou_xywh([-5, 0, 10, 10], [0, 0, 5, 10], bound_wh=(100, 100))[0] == pytest.approx(1.0)


def test_inputs_are_not_modified():
    gt = np.array([[0, 0, 10, 10], [np.nan] * 4, [1, 1, 4, 4]], float)
    pred = np.array([[1, 1, 10, 10], [0, 0, 3, 3], [np.nan] * 4], float)
    gt0, pred0 = gt.copy(), pred.copy()
    M.success_curve(gt, pred)
    M.precision_curve(gt, pred)
    M.normalized_precision_curve(gt, pred)
    M.iou_xywh(gt, pred, bound_wh=(5, 5))
    M.reacquisition_events(gt, pred, np.array([True, False, True]))
    np.testing.assert_array_equal(gt, gt0)
    np.testing.assert_array_equal(pred, pred0)


def test_polygon_iou_hand_cases():
    diamond = np.array([[[0, -1], [1, 0], [0, 1], [-1, 0]]], float)          # area 2
    square = np.array([[[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]], float)  # area 1, inside
    assert M.polygon_iou(diamond, square)[0] == pytest.approx(0.5)
    assert M.polygon_iou(square, diamond)[0] == pytest.approx(0.5)
    assert M.polygon_iou(diamond, diamond)[0] == pytest.approx(1.0)
    # counter-clockwise order gives the same answer
    assert M.polygon_iou(diamond[:, ::-1], square)[0] == pytest.approx(0.5)
    # axis-aligned boxes agree with the rectangle IoU
    assert M.polygon_iou([[0, 0, 10, 10]], [[5, 5, 10, 10]])[0] == pytest.approx(25 / 175)
    # bounded: the left half of the 20x10 box lies outside x >= 0 -> clipped to (0,0,10,10)
    assert M.polygon_iou([[-10, 0, 20, 10]], [[0, 0, 10, 10]], bound_wh=(50, 50))[0] == pytest.approx(1.0)
    assert M.polygon_iou(np.full((1, 4, 2), np.nan), square)[0] == 0.0


def test_success_curve_and_auc_hand_computed():
    gt = np.tile(GT, (4, 1))
    pred = np.array([[0, 0, 10, 10], [0, 0, 10, 6], [0, 0, 10, 3], [20, 20, 5, 5]], float)  # IoU 1, .6, .3, 0
    curve = M.success_curve(gt, pred)
    assert len(M.OTB_IOU_THRESHOLDS) == 21
    # IoU > th (strict): 1 beats 20 thresholds (0..0.95), 0.6 beats 12 (0..0.55), 0.3 beats 6, 0 none
    counts = np.array([3] * 6 + [2] * 6 + [1] * 8 + [0])
    np.testing.assert_allclose(curve, counts / 4)
    assert M.success_auc(curve) == pytest.approx(38 / 84)


def test_absent_ground_truth_frames():
    gt = np.array([GT, [np.nan] * 4, GT, [0, 0, 0, 0]])
    pred = np.tile(GT, (4, 1))
    curve = M.success_curve(gt, pred)
    assert curve[0] == 1.0 and curve[-1] == 0.0            # 2 valid frames, both IoU 1
    pysot = M.success_curve(gt, pred, absent_as_failure=True)
    assert pysot[0] == 0.5                                   # PySOT keeps 4 frames in the denominator
    assert M.success_curve(np.full((3, 4), np.nan), pred[:3]).sum() == 0


def test_precision_curves_hand_computed():
    gt = np.array([[0, 0, 10, 20]] * 3, float)
    pred = np.array([[3, 4, 10, 20], [30, 0, 10, 20], [np.nan] * 4], float)  # 5 px, 30 px, nothing
    errors = M.center_errors(gt, pred)
    assert errors[0] == pytest.approx(5.0) and errors[1] == pytest.approx(30.0) and math.isinf(errors[2])
    curve = M.precision_curve(gt, pred)
    assert curve[4] == 0 and curve[5] == pytest.approx(1 / 3) and curve[30] == pytest.approx(2 / 3)
    assert M.curve_value_at(curve, M.PRECISION_THRESHOLDS_PX, 20) == pytest.approx(1 / 3)
    # normalised: offsets (2/10, 4/20) -> |(0.2, 0.2)| = 0.2828
    norm = M.normalized_center_errors(gt[:1], np.array([[2, 4, 10, 20]], float))
    assert norm[0] == pytest.approx(math.hypot(0.2, 0.2))
    np_curve = M.normalized_precision_curve(gt[:1], np.array([[2, 4, 10, 20]], float))
    assert np_curve[28] == 0 and np_curve[29] == 1


def test_got10k_scores_hand_computed():
    gt = np.tile(GT, (5, 1))
    pred = np.array([[50, 50, 1, 1], [0, 0, 10, 6], [0, 0, 10, 8], [0, 0, 10, 4], [0, 0, 10, 10]], float)
    visible = np.array([True, True, True, True, False])
    ious = M.got10k_sequence_ious(gt, pred, visible)   # frame 0 and the invisible frame 4 left out
    np.testing.assert_allclose(ious, [0.6, 0.8, 0.4])
    scores = M.got10k_scores([ious[:2], ious[2:]])
    assert scores.ao == pytest.approx(0.6)
    assert scores.sr50 == pytest.approx(2 / 3) and scores.sr75 == pytest.approx(1 / 3)
    assert scores.num_frames == 3


def test_long_term_precision_recall_hand_computed():
    gt = np.array([GT, GT, [np.nan] * 4, GT])
    pred = np.array([[0, 0, 10, 8], [0, 0, 10, 6], [0, 0, 10, 10], [0, 0, 10, 7]], float)
    visible = np.array([True, True, False, True])
    overlaps = M.long_term_overlaps(gt, pred, visible)
    np.testing.assert_allclose(overlaps, [0.8, 0.6, 0.0, 0.7])
    conf = np.array([0.9, 0.4, 0.9, 0.1])
    scores = M.long_term_curves([overlaps], [conf], [visible], thresholds=np.array([0.1, 0.4, 0.9, 1.0]))
    # tau=0.1: Pr=(.8+.6+0+.7)/4=.525, Re=2.1/3=.7, F=.6 ; tau=0.4: Pr=Re=1.4/3 ; tau=0.9: Pr=.4, Re=.8/3
    np.testing.assert_allclose(scores.precision, [0.525, 1.4 / 3, 0.4, 1.0])
    np.testing.assert_allclose(scores.recall, [0.7, 1.4 / 3, 0.8 / 3, 0.0])
    assert scores.f_score == pytest.approx(0.6)
    assert scores.best_threshold == 0.1 and scores.precision_at_best == pytest.approx(0.525)
    # two sequences: curves are averaged before F
    two = M.long_term_curves([overlaps, overlaps], [conf, conf], [visible, visible], thresholds=np.array([0.1]))
    assert two.f_score == pytest.approx(0.6)


def test_confidence_thresholds_are_sorted_quantiles():
    th = M.confidence_thresholds([np.array([0.5, np.nan, -np.inf, 0.1]), np.array([0.9])])
    np.testing.assert_allclose(th, [0.1, 0.5, 0.9])
    assert len(M.confidence_thresholds([np.linspace(0, 1, 1000)])) == 100


def test_reacquisition_delay_per_event():
    n = 12
    gt = np.tile(GT, (n, 1))
    gt[3:5] = np.nan                     # out of view on frames 3, 4 -> re-entry at 5
    visible = np.isfinite(gt[:, 0])
    visible[8] = False                   # a full occlusion (box kept) on frame 8 -> re-entry at 9
    pred = np.tile([40.0, 40, 10, 10], (n, 1))
    pred[7] = GT                         # re-acquired 2 frames after re-entry at 5
    events = M.reacquisition_events(gt, pred, visible)
    assert [(e.start, e.end, e.out_of_view, e.delay) for e in events] == [(3, 5, True, 2), (8, 9, False, None)]
    assert events[0].recovered and not events[1].recovered
    # an absence running to the end is not an event (no re-entry)
    assert M.absence_events(gt[:4], visible[:4]) == []
