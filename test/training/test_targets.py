"""Label assignment: hand-checked anchors, SiamRPN sampling limits, negatives, SiamFC labels."""
import numpy as np
import pytest

from siam_tracker_ros.training.targets import (RPNTargetConfig, anchor_boxes_cxcywh, encode_deltas,
                                               iou_with_box, rpn_targets, siamfc_targets)

RATIOS = (0.33, 0.5, 1.0, 2.0, 3.0)


@pytest.fixture(scope="module")
def anchors():
    return anchor_boxes_cxcywh(25, 8, RATIOS, (8,), 255)


def test_anchor_grid_hand_checked(anchors):
    assert anchors.shape == (5, 25, 25, 4)
    # PySOT sizes (int truncation): 104x32, 88x40, 64x64, 40x80, 32x96.
    np.testing.assert_array_equal(anchors[:, 0, 0, 2:], [[104, 32], [88, 40], [64, 64], [40, 80], [32, 96]])
    # Centre cell (12, 12) sits on the crop centre 127; the grid spans 127 -+ 96 in steps of 8.
    np.testing.assert_array_equal(anchors[2, 12, 12], [127, 127, 64, 64])
    np.testing.assert_array_equal(anchors[0, 0, 0, :2], [31, 31])
    np.testing.assert_array_equal(anchors[0, 3, 24, :2], [223, 55])   # (x=24, y=3)


def test_iou_hand_checked(anchors):
    box = (95.0, 95.0, 159.0, 159.0)                     # the centre 64x64 anchor exactly
    iou = iou_with_box(anchors, box)
    assert iou[2, 12, 12] == pytest.approx(1.0)
    assert iou[2, 12, 13] == pytest.approx(56 * 64 / (2 * 64 * 64 - 56 * 64))   # shifted 8 px: 0.778
    assert iou[2, 12, 16] == pytest.approx(32 * 64 / (2 * 64 * 64 - 32 * 64))   # shifted 32 px: 0.333
    assert iou[2, 0, 0] == 0.0


def test_deltas_invert_tracker_decoding(anchors):
    box = (100.0, 110.0, 150.0, 190.0)
    delta = encode_deltas(anchors, box)
    ax, ay, aw, ah = (anchors[..., i] for i in range(4))
    cx, cy = delta[0] * aw + ax, delta[1] * ah + ay          # the tracker's decoding
    w, h = np.exp(delta[2]) * aw, np.exp(delta[3]) * ah
    np.testing.assert_allclose(cx, 125.0, atol=1e-4)
    np.testing.assert_allclose(cy, 150.0, atol=1e-4)
    np.testing.assert_allclose(w, 50.0, rtol=1e-5)
    np.testing.assert_allclose(h, 80.0, rtol=1e-5)


def test_positive_pair_labels(anchors):
    rng = np.random.default_rng(0)
    box = (95.0, 95.0, 159.0, 159.0)
    cls, delta, weight = rpn_targets(anchors, box, True, RPNTargetConfig(), rng)
    iou = iou_with_box(anchors, box)
    pos, neg = cls == 1, cls == 0
    assert 0 < pos.sum() <= 16 and pos.sum() + neg.sum() == 64
    assert np.all(iou[pos] > 0.6) and np.all(iou[neg] < 0.3)
    assert pos[2, 12, 12] or (iou > 0.6).sum() > 16
    np.testing.assert_allclose(weight[pos], 1.0 / pos.sum())
    assert weight[~pos].sum() == 0
    np.testing.assert_allclose(delta[:, 2, 12, 12], 0.0, atol=1e-6)


def test_positive_cap_and_total(anchors):
    cfg = RPNTargetConfig(pos_num=3, total_num=10)
    cls, _, _ = rpn_targets(anchors, (95.0, 95.0, 159.0, 159.0), True, cfg, np.random.default_rng(1))
    assert (cls == 1).sum() == 3 and (cls == 0).sum() == 7


def test_best_anchor_forced_when_none_passes(anchors):
    box = (127 - 70, 127 - 8, 127 + 70, 127 + 8)      # 140 x 16: no anchor reaches IoU 0.6
    assert iou_with_box(anchors, box).max() < 0.6
    cls, _, _ = rpn_targets(anchors, box, True, RPNTargetConfig(), np.random.default_rng(0))
    assert (cls == 1).sum() == 1
    cls, _, _ = rpn_targets(anchors, box, True, RPNTargetConfig(force_best_positive=False),
                            np.random.default_rng(0))
    assert (cls == 1).sum() == 0


def test_negative_pair_only_background_near_object(anchors):
    box = (150.0, 60.0, 200.0, 100.0)                  # centre (175, 80): cell x=18, y=6
    cls, delta, weight = rpn_targets(anchors, box, False, RPNTargetConfig(), np.random.default_rng(0))
    assert (cls == 1).sum() == 0 and (cls == 0).sum() == 16
    _, ys, xs = np.nonzero(cls == 0)
    assert ys.min() >= 3 and ys.max() <= 9 and xs.min() >= 15 and xs.max() <= 21
    assert weight.sum() == 0 and not delta.any()


def test_target_config_rejects_bad_values():
    with pytest.raises(ValueError):
        RPNTargetConfig(thr_high=0.2, thr_low=0.3)
    with pytest.raises(ValueError):
        RPNTargetConfig(pos_num=100, total_num=64)


def test_siamfc_labels_radius_and_balance():
    labels, weights = siamfc_targets(17, 8, 255, (107.0, 107.0, 147.0, 147.0), True, radius_px=16.0)
    # Centre cell (8, 8) at 127; cells within 16 px: the centre, 4 at 8 px, 4 at 16 px, 4 at 11.3 px.
    assert labels[8, 8] == 1 and labels.sum() == 13
    assert weights[labels == 1].sum() == pytest.approx(0.5)
    assert weights.sum() == pytest.approx(1.0)
    labels, weights = siamfc_targets(17, 8, 255, (107.0, 107.0, 147.0, 147.0), False)
    assert labels.sum() == 0 and weights.sum() == pytest.approx(1.0)
