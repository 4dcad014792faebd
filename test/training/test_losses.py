"""Losses: hand-computed values, ignore labels, balancing, GIoU, mask BCE."""
import math

import pytest
import torch
import torch.nn.functional as F

from siam_tracker_ros.training.losses import (decode_deltas, giou, mask_bce_loss, rpn_cls_loss,
                                              rpn_iou_loss, rpn_loc_loss, siamfc_logistic_loss)


def test_cls_loss_uniform_logits_is_ln2_and_ignores_unlabelled():
    cls = torch.zeros(2, 10, 3, 3)
    labels = torch.full((2, 5, 3, 3), -1, dtype=torch.int64)
    labels[0, 0, 0, 0] = 1
    labels[1, 4, 2, 2] = 0
    assert float(rpn_cls_loss(cls, labels)) == pytest.approx(math.log(2))


def test_cls_loss_balanced_halves():
    cls = torch.zeros(1, 2, 1, 2)            # A = 1: channel 0 = bg, channel 1 = fg
    cls[0, 1, 0, 0] = 20.0                   # confident fg on the positive: ~0 loss
    labels = torch.tensor([[[[1, 0]]]])      # second anchor negative with uniform logits: ln 2
    assert float(rpn_cls_loss(cls, labels)) == pytest.approx(0.5 * math.log(2), rel=1e-4)
    only_neg = torch.tensor([[[[-1, 0]]]])
    assert float(rpn_cls_loss(cls, only_neg)) == pytest.approx(0.5 * math.log(2), rel=1e-4)


def test_cls_loss_channel_layout_bg_then_fg():
    cls = torch.zeros(1, 4, 1, 1)            # A = 2: [bg0, bg1, fg0, fg1]
    cls[0, 2] = 10.0                         # anchor 0 fg
    labels = torch.tensor([[[[1]], [[-1]]]])
    assert float(rpn_cls_loss(cls, labels)) < 1e-3


def test_loc_loss_zero_at_target_and_hand_value():
    delta = torch.randn(2, 4, 5, 3, 3)
    weight = torch.zeros(2, 5, 3, 3)
    weight[0, 1, 1, 1] = 0.5
    weight[1, 2, 0, 0] = 1.0
    loc = delta.reshape(2, 20, 3, 3).clone()
    assert float(rpn_loc_loss(loc, delta, weight)) == pytest.approx(0.0, abs=1e-7)
    shifted = loc + 1.0                       # |diff| = 1 on all 4 coords: smooth L1 = 1 - beta/2
    beta = 1.0 / 9.0
    expected = (0.5 * 4 * (1 - beta / 2) + 1.0 * 4 * (1 - beta / 2)) / 2
    assert float(rpn_loc_loss(shifted, delta, weight, beta=beta)) == pytest.approx(expected, rel=1e-5)
    assert float(rpn_loc_loss(shifted, delta, weight, kind="l1")) == pytest.approx((0.5 * 4 + 4) / 2)
    with pytest.raises(ValueError):
        rpn_loc_loss(loc, delta, weight, kind="l2")


def test_giou_values_and_iou_loss():
    a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    assert float(giou(a, a)) == pytest.approx(1.0)
    b = torch.tensor([[20.0, 0.0, 30.0, 10.0]])
    assert float(giou(a, b)) == pytest.approx(-1.0 / 3.0)         # enclose 300, union 200
    anchors = torch.tensor([[[[127.0, 127.0, 64.0, 64.0]]]])      # (A=1, S=1, S=1, 4)
    delta = torch.tensor([0.1, -0.2, 0.3, -0.1]).view(1, 4, 1, 1, 1)
    weight = torch.ones(1, 1, 1, 1)
    assert float(rpn_iou_loss(delta.view(1, 4, 1, 1), delta, weight, anchors)) == pytest.approx(0.0, abs=1e-6)
    boxes = decode_deltas(delta.view(4, 1, 1, 1, 1)[:, 0], anchors)
    assert boxes.shape == (1, 1, 1, 4)
    assert float(boxes[0, 0, 0, 0] + boxes[0, 0, 0, 2]) / 2 == pytest.approx(127 + 6.4)


def test_siamfc_logistic_loss_matches_weighted_bce():
    score = torch.randn(2, 1, 5, 5)
    labels = (torch.rand(2, 5, 5) > 0.8).float()
    weights = torch.rand(2, 5, 5)
    expected = (F.binary_cross_entropy_with_logits(score[:, 0], labels, reduction="none") * weights).sum() / 2
    assert float(siamfc_logistic_loss(score, labels, weights)) == pytest.approx(float(expected), rel=1e-6)


def test_mask_bce_on_valid_positions_only():
    logits = torch.randn(3, 8, 8, requires_grad=True)
    target = (torch.rand(3, 8, 8) > 0.5).float()
    valid = torch.tensor([True, False, True])
    loss = mask_bce_loss(logits, target, valid)
    expected = F.binary_cross_entropy_with_logits(logits[valid], target[valid])
    assert float(loss.detach()) == pytest.approx(float(expected.detach()))
    none = mask_bce_loss(logits, target, torch.zeros(3, dtype=torch.bool))
    assert float(none.detach()) == 0.0
    none.backward()                                              # still differentiable
