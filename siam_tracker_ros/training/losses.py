"""Training losses for Siamese heads (tensor shapes as the networks emit them).

* :func:`rpn_cls_loss`: cross-entropy of ``cls`` (N, 2A, S, S) (channels
  ``[bg_0..bg_{A-1}, fg_0..fg_{A-1}]``), balanced: mean over positives and mean over negatives,
  weighted 0.5 each.
* :func:`rpn_loc_loss`: smooth L1 (or L1) on the normalised deltas of ``loc`` (N, 4A, S, S)
  (channels ``[dx*A, dy*A, dw*A, dh*A]``), weighted per anchor, summed, divided by N.
* :func:`rpn_iou_loss`: ``1 - GIoU`` of the decoded boxes on positive anchors (alternative box
  loss).
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
