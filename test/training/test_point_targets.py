"""Point labels of BAN heads (NanoTrack): grid, ellipse rule, sampling, ltrb targets; and the
point-head losses."""
import numpy as np
import pytest
import torch

from siam_tracker_ros.training.losses import ltrb_iou, point_box_loss, point_cls_loss
from siam_tracker_ros.training.point_targets import (PointTargetConfig, ltrb_targets, point_grid,
                                                      point_targets)


def test_grid_matches_the_tracker_points():
    # NanoTrack's tracker: offsets -(S // 2) * 16 + 16 i around the crop centre (127 for 255 px).
    assert point_grid(16, 16, 255)[[0, 8, 15]].tolist() == [-1.0, 127.0, 239.0]
    assert point_grid(15, 16, 255)[[0, 7, 14]].tolist() == [15.0, 127.0, 239.0]


def test_positive_pair_ellipses_and_counts():
    grid = point_grid(15, 16, 255)
    box = (127 - 40, 127 - 30, 127 + 40, 127 + 30)              # 80 x 60 around the centre
    cls, ltrb = point_targets(grid, box, True, PointTargetConfig(), np.random.default_rng(0))
    assert cls.shape == (1, 15, 15) and ltrb.shape == (4, 15, 15)
    pos = np.argwhere(cls[0] == 1)
    # inner ellipse: semi-axes 20 x 15 px -> the centre point and its two x neighbours (16 px)
    assert sorted(map(tuple, pos)) == [(7, 6), (7, 7), (7, 8)]
    neg = np.argwhere(cls[0] == 0)
    assert len(neg) == 64 - 16                                    # total_num - pos_num
    for y, x in neg:                                              # outside the inscribed ellipse
        assert ((grid[x] - 127) / 40) ** 2 + ((grid[y] - 127) / 30) ** 2 > 1
    np.testing.assert_allclose(ltrb[:, 7, 7], [40, 30, 40, 30])
    np.testing.assert_allclose(ltrb[:, 7, 8], [56, 30, 24, 30])


def test_pos_num_caps_positives_and_sampling_is_seeded():
    grid = point_grid(16, 16, 255)
    box = (20, 20, 235, 235)                                      # large: many inner points
    cfg = PointTargetConfig(pos_num=4, total_num=20)
    a, _ = point_targets(grid, box, True, cfg, np.random.default_rng(5))
    b, _ = point_targets(grid, box, True, cfg, np.random.default_rng(5))
    assert (a == 1).sum() == 4 and np.array_equal(a, b)


def test_thin_box_gets_its_nearest_point_as_positive():
    grid = point_grid(15, 16, 255)
    box = (100, 124, 150, 136)             # 50 x 12 around (125, 130): no point in its w/4 x h/4
    cls, _ = point_targets(grid, box, True, PointTargetConfig(), np.random.default_rng(0))
    assert np.argwhere(cls[0] == 1).tolist() == [[7, 7]]
    cls, _ = point_targets(grid, box, True, PointTargetConfig(force_nearest_positive=False),
                           np.random.default_rng(0))
    assert (cls == 1).sum() == 0


def test_negative_pair_labels_background_on_the_other_object_only():
    grid = point_grid(15, 16, 255)
    box = (60, 60, 140, 140)
    cls, ltrb = point_targets(grid, box, False, PointTargetConfig(neg_num=3), np.random.default_rng(0))
    assert (cls == 1).sum() == 0 and (cls == 0).sum() == 3 and not ltrb.any()


def test_ltrb_iou_and_box_loss():
    t = torch.tensor([[10.0, 20.0, 30.0, 40.0]])
    iou, giou = ltrb_iou(t, t)
    assert float(iou) == pytest.approx(1.0) and float(giou) == pytest.approx(1.0)
    half = torch.tensor([[10.0, 20.0, 10.0, 40.0]])               # half the width, same point
    iou, _ = ltrb_iou(half, t)
    assert float(iou) == pytest.approx((20 * 60 + 1) / (40 * 60 + 1))
    grid = point_grid(15, 16, 255)
    target = torch.from_numpy(ltrb_targets(grid, (90, 90, 170, 160)))[None]
    labels = torch.full((1, 1, 15, 15), -1, dtype=torch.int64)
    labels[0, 0, 7, 7] = 1
    assert float(point_box_loss(target.clamp(min=1e-3), target, labels)) == pytest.approx(0.0, abs=1e-6)
    assert float(point_box_loss(target.clamp(min=1e-3) * 2, target, labels, "giou")) > 0.3
    assert float(point_box_loss(target, target, torch.full_like(labels, -1))) == 0.0
    with pytest.raises(ValueError, match="unknown point box loss"):
        point_box_loss(target, target, labels, "smooth_l1")


def test_point_cls_loss_is_balanced_cross_entropy():
    cls = torch.zeros(1, 2, 3, 3)
    cls[0, 1, 1, 1] = 10.0                                        # confident foreground at the centre
    labels = torch.full((1, 1, 3, 3), 0, dtype=torch.int64)
    labels[0, 0, 1, 1] = 1
    loss = float(point_cls_loss(cls, labels))
    assert loss == pytest.approx(0.5 * np.log(2), rel=1e-3)       # positives ~0, negatives log 2
