"""Training losses for Siamese heads (tensor shapes as the networks emit them).

* :func:`rpn_cls_loss`: cross-entropy of ``cls`` (N, 2A, S, S) (channels
  ``[bg_0..bg_{A-1}, fg_0..fg_{A-1}]``), balanced: mean over positives and mean over negatives,
  weighted 0.5 each.
* :func:`rpn_loc_loss`: smooth L1 (or L1) on the normalised deltas of ``loc`` (N, 4A, S, S)
  (channels ``[dx*A, dy*A, dw*A, dh*A]``), weighted per anchor, summed, divided by N.
* :func:`rpn_iou_loss`: ``1 - GIoU`` of the decoded boxes on positive anchors (alternative box
  loss).
* :func:`point_cls_loss`, :func:`point_box_loss`: point-based (BAN, NanoTrack) heads: the
  balanced cross-entropy on point labels and ``1 - IoU`` (or GIoU, L1) of the predicted
  left/top/right/bottom distances on positive points.
* :func:`siamfc_logistic_loss`: weighted logistic loss of a SiamFC response map.
* :func:`mask_bce_loss`: per-pixel BCE of mask logits on positive positions (SiamMask heads;
  not used by the default model, which has no mask head).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def rpn_cls_loss(cls: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Balanced cross-entropy. ``cls`` (N, 2A, S, S) logits, ``labels`` (N, A, S, S) int64 in
    {-1 ignore, 0 bg, 1 fg}. A class with no labelled anchor in the batch contributes 0."""
    n, c2, h, w = cls.shape
    logp = F.log_softmax(cls.float().view(n, 2, c2 // 2, h, w), dim=1)
    pos, neg = labels == 1, labels == 0
    zero = cls.new_zeros(()).float()
    loss_pos = -logp[:, 1][pos].mean() if bool(pos.any()) else zero
    loss_neg = -logp[:, 0][neg].mean() if bool(neg.any()) else zero
    return 0.5 * loss_pos + 0.5 * loss_neg


def rpn_loc_loss(loc: torch.Tensor, delta: torch.Tensor, weight: torch.Tensor,
                 kind: str = "smooth_l1", beta: float = 1.0 / 9.0) -> torch.Tensor:
    """Box regression. ``loc`` (N, 4A, S, S), ``delta`` (N, 4, A, S, S) targets, ``weight``
    (N, A, S, S) (``1 / num_pos`` on a pair's positives). ``kind``: ``smooth_l1`` or ``l1``."""
    n, c4, h, w = loc.shape
    pred = loc.float().view(n, 4, c4 // 4, h, w)
    if kind == "smooth_l1":
        per = F.smooth_l1_loss(pred, delta, reduction="none", beta=beta)
    elif kind == "l1":
        per = (pred - delta).abs()
    else:
        raise ValueError(f"unknown box loss {kind!r} (smooth_l1, l1, giou)")
    return (per.sum(dim=1) * weight).sum() / n


def decode_deltas(delta: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """Boxes ``xyxy`` (..., 4) from deltas (4, ...) and anchors (..., 4 cxcywh) (same layout)."""
    ax, ay, aw, ah = anchors.unbind(-1)
    cx = delta[0] * aw + ax
    cy = delta[1] * ah + ay
    w = torch.exp(delta[2].clamp(max=6.0)) * aw
    h = torch.exp(delta[3].clamp(max=6.0)) * ah
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)


def giou(a_xyxy: torch.Tensor, b_xyxy: torch.Tensor) -> torch.Tensor:
    """Generalised IoU of matching boxes (..., 4 xyxy) -> (...)."""
    iw = (torch.minimum(a_xyxy[..., 2], b_xyxy[..., 2]) - torch.maximum(a_xyxy[..., 0], b_xyxy[..., 0])).clamp(min=0)
    ih = (torch.minimum(a_xyxy[..., 3], b_xyxy[..., 3]) - torch.maximum(a_xyxy[..., 1], b_xyxy[..., 1])).clamp(min=0)
    inter = iw * ih
    area_a = (a_xyxy[..., 2] - a_xyxy[..., 0]) * (a_xyxy[..., 3] - a_xyxy[..., 1])
    area_b = (b_xyxy[..., 2] - b_xyxy[..., 0]) * (b_xyxy[..., 3] - b_xyxy[..., 1])
    union = area_a + area_b - inter
    iou = inter / union.clamp(min=1e-9)
    ew = torch.maximum(a_xyxy[..., 2], b_xyxy[..., 2]) - torch.minimum(a_xyxy[..., 0], b_xyxy[..., 0])
    eh = torch.maximum(a_xyxy[..., 3], b_xyxy[..., 3]) - torch.minimum(a_xyxy[..., 1], b_xyxy[..., 1])
    enclose = (ew * eh).clamp(min=1e-9)
    return iou - (enclose - union) / enclose


def rpn_iou_loss(loc: torch.Tensor, delta: torch.Tensor, weight: torch.Tensor,
                 anchors: torch.Tensor) -> torch.Tensor:
    """``1 - GIoU`` between boxes decoded from ``loc`` and from the target ``delta`` on
    anchors with weight > 0. ``anchors`` (A, S, S, 4) cxcywh crop pixels; other shapes as
    :func:`rpn_loc_loss`."""
    n, c4, h, w = loc.shape
    pred = loc.float().view(n, 4, c4 // 4, h, w).permute(1, 0, 2, 3, 4)
    target = delta.permute(1, 0, 2, 3, 4)
    grid = anchors.unsqueeze(0).expand(n, -1, -1, -1, -1)
    loss = 1.0 - giou(decode_deltas(pred, grid), decode_deltas(target, grid))
    return (loss * weight).sum() / n


def siamfc_logistic_loss(score: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Weighted logistic loss. ``score`` (N, 1, S, S) logits, ``labels``/``weights`` (N, S, S)
    (weights sum to 1 per pair); mean over the batch."""
    per = F.binary_cross_entropy_with_logits(score.float()[:, 0], labels, reduction="none")
    return (per * weights).sum() / score.shape[0]


def mask_bce_loss(mask_logits: torch.Tensor, mask_target: torch.Tensor,
                  valid: torch.Tensor) -> torch.Tensor:
    """Mean per-pixel BCE over positions with ``valid`` True. ``mask_logits`` and
    ``mask_target`` (K, H, W) (targets in {0, 1}), ``valid`` (K,) bool. Returns 0 when no
    position is valid. Not used by the default model (no mask head)."""
    if not bool(valid.any()):
        return mask_logits.sum() * 0.0
    logits = mask_logits.float()[valid]
    return F.binary_cross_entropy_with_logits(logits, mask_target.float()[valid])


def ltrb_iou(pred: torch.Tensor, target: torch.Tensor) -> "tuple[torch.Tensor, torch.Tensor]":
    """(IoU, GIoU) of boxes given as distances (..., 4: left, top, right, bottom) from the
    same point; IoU is smoothed by +1 px^2 on both sides (no 0/0 for degenerate boxes)."""
    pl, pt, pr, pb = pred.unbind(-1)
    tl, tt, tr, tb = target.unbind(-1)
    inter_w = (torch.minimum(pl, tl) + torch.minimum(pr, tr)).clamp(min=0)
    inter_h = (torch.minimum(pt, tt) + torch.minimum(pb, tb)).clamp(min=0)
    inter = inter_w * inter_h
    union = (pl + pr) * (pt + pb) + (tl + tr) * (tt + tb) - inter
    iou = (inter + 1.0) / (union + 1.0)
    hull = (torch.maximum(pl, tl) + torch.maximum(pr, tr)) * (torch.maximum(pt, tt) + torch.maximum(pb, tb))
    return iou, iou - (hull - union) / hull.clamp(min=1e-7)


def point_cls_loss(cls: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Balanced cross-entropy of a point head: ``cls`` (N, 2, S, S) logits (channel 1 =
    target), ``labels`` (N, 1, S, S) in {-1, 0, 1}; :func:`rpn_cls_loss` with one "anchor"."""
    return rpn_cls_loss(cls, labels)


def point_box_loss(loc: torch.Tensor, ltrb: torch.Tensor, labels: torch.Tensor,
                   kind: str = "iou") -> torch.Tensor:
    """Box loss of a point head on its positive points, averaged over all positives of the
    batch. ``loc`` (N, 4, S, S) predicted distances (left, top, right, bottom; positive, the
    head's ``exp`` applied), ``ltrb`` (N, 4, S, S) targets, ``labels`` (N, 1, S, S).
    ``kind``: ``iou`` (1 - IoU, NanoTrack's "linear IoU"), ``giou`` (1 - GIoU) or ``l1``
    (sum of absolute distance errors / the target box's mean side). 0 without positives."""
    pos = labels[:, 0] == 1
    if not bool(pos.any()):
        return loc.float().sum() * 0.0
    pred = loc.float().permute(0, 2, 3, 1)[pos]
    target = ltrb.float().permute(0, 2, 3, 1)[pos]
    if kind == "l1":
        side = 0.5 * ((target[:, 0] + target[:, 2]) + (target[:, 1] + target[:, 3]))
        return ((pred - target).abs().sum(-1) / side.clamp(min=1.0)).mean()
    iou, gio = ltrb_iou(pred, target)
    if kind == "iou":
        return (1.0 - iou).mean()
    if kind == "giou":
        return (1.0 - gio).mean()
    raise ValueError(f"unknown point box loss {kind!r} (iou, giou, l1)")
