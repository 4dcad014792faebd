"""The Siamese network: backbone -> optional neck -> RPN head (+ SiamMask mask/refine heads).

A stateless ``nn.Module``: ``template`` returns the template features as a value
(:class:`TemplateFeatures`) and ``track`` takes them back, so one model can serve any number
of targets and nothing is hidden on the module (PySOT keeps ``self.zf``; we do not).

Inputs are float32 BGR 0..255 crops, no normalisation: template (N, 3, 127, 127), search
(N, 3, S, S). State-dict keys are PySOT's (``backbone.*``, ``neck.*``, ``rpn_head.*``,
``mask_head.*``, ``refine_head.*``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from torch import Tensor, nn

from .heads.mask import MaskCorr, Refine


@dataclass(frozen=True)
class TemplateFeatures:
    """Template branch output, kept by the tracker between frames.

    ``zf``: neck output per level after the 7x7 centre crop (no neck, e.g. AlexNet: the
    backbone output), each (N, C, h, w). ``rpn_kernels`` / ``mask_kernel``: the heads'
    template branches, present only with ``cache_kernels=True``. ``backbone``: the template's
    backbone outputs, only with ``return_intermediates=True``.
    """

    zf: Tuple[Tensor, ...]
    rpn_kernels: Optional[Any] = None
    mask_kernel: Optional[Tensor] = None
    backbone: Optional[Tuple[Tensor, ...]] = None

    @property
    def batch_size(self) -> int:
        return int(self.zf[0].size(0))

    @property
    def cached(self) -> bool:
        return self.rpn_kernels is not None


@dataclass(frozen=True)
class MaskContext:
    """What :meth:`SiameseModel.mask_refine` needs from one ``track`` call: the search
    backbone outputs before the mask level (stem, layer1, layer2) and the MaskCorr feature
    (N, 256, S, S)."""

    features: Tuple[Tensor, ...]
    corr_feature: Tensor


class SiameseModel(nn.Module):
    """Backbone + neck + RPN head (+ MaskCorr + Refine). Build with ``builder.build_model``."""

    def __init__(self, backbone: nn.Module, rpn_head: nn.Module, neck: Optional[nn.Module] = None,
                 mask_head: Optional[MaskCorr] = None, refine_head: Optional[Refine] = None) -> None:
        super().__init__()
        if (refine_head is not None) and mask_head is None:
            raise ValueError("a refine head needs a mask head")
        self.backbone = backbone
        self.neck = neck
        self.rpn_head = rpn_head
        self.mask_head = mask_head
        self.refine_head = refine_head

    @property
    def has_mask(self) -> bool:
        """True for SiamMask models (mask head and refinement present)."""
        return self.mask_head is not None and self.refine_head is not None

    @property
    def anchor_num(self) -> int:
        return int(self.rpn_head.anchor_num)

    # -- shared pieces -------------------------------------------------------------------
    def _features(self, image: Tensor) -> Tuple[Tuple[Tensor, ...], Tuple[Tensor, ...]]:
        """(all backbone outputs, features entering the heads). For mask models only the
        last backbone output goes through the neck (the others feed the refinement)."""
        backbone_out = tuple(self.backbone(image))
        head_in = backbone_out[-1:] if self.mask_head is not None else backbone_out
        if self.neck is not None:
            head_in = tuple(self.neck(head_in))
        return backbone_out, head_in

    def _rpn_kernels(self, zf: Tuple[Tensor, ...]) -> Any:
        head = self.rpn_head
        return head.template_kernels(zf) if head.multi_level else head.template_kernels(zf[0])

    def _rpn(self, zf: Tuple[Tensor, ...], xf: Tuple[Tensor, ...], kernels: Any) -> Tuple[Tensor, Tensor]:
        head = self.rpn_head
        if head.multi_level:
            return head(zf, xf, kernels)
        return head(zf[0], xf[0], kernels)

    # -- public API ----------------------------------------------------------------------
    def template(self, z: Tensor, cache_kernels: bool = False,
                 return_intermediates: bool = False) -> TemplateFeatures:
        """Template branch: z (N, 3, 127, 127) float32 BGR 0..255 -> TemplateFeatures.

        ``cache_kernels`` also runs the heads' template branches once (reused by every
        ``track`` call; identical values, less work per frame)."""
        backbone_out, zf = self._features(z)
        rpn_kernels = mask_kernel = None
        if cache_kernels:
            rpn_kernels = self._rpn_kernels(zf)
            if self.mask_head is not None:
                mask_kernel = self.mask_head.template_kernel(zf[0])
        return TemplateFeatures(zf=zf, rpn_kernels=rpn_kernels, mask_kernel=mask_kernel,
                                backbone=backbone_out if return_intermediates else None)

    def search_features(self, x: Tensor) -> Tuple[Tuple[Tensor, ...], Tuple[Tensor, ...]]:
        """Search backbone + neck: x (N, 3, S, S) -> (backbone outputs, head inputs per level).
        ``track(x, tf) == head_outputs(search_features(x), tf)`` (split for stage timing)."""
        return self._features(x)

    def head_outputs(self, feats: Tuple[Tuple[Tensor, ...], Tuple[Tensor, ...]], tf: TemplateFeatures,
                     return_intermediates: bool = False) -> Dict[str, Any]:
        """The heads on ``search_features(x)``; returns the same dict as :meth:`track`."""
        backbone_out, xf = feats
        cls, loc = self._rpn(tf.zf, xf, tf.rpn_kernels)
        out: Dict[str, Any] = {"cls": cls, "loc": loc}
        if self.mask_head is not None:
            mask_out, corr = self.mask_head(tf.zf[0], xf[0], tf.mask_kernel, with_head=return_intermediates)
            out["mask_context"] = MaskContext(features=backbone_out[:-1], corr_feature=corr)
            if return_intermediates:
                out["mask_head"] = (mask_out, corr)
        if return_intermediates:
            out["backbone"] = backbone_out
            out["neck"] = xf if self.neck is not None else ()
        return out

    def track(self, x: Tensor, tf: TemplateFeatures, return_intermediates: bool = False) -> Dict[str, Any]:
        """Search branch: x (N, 3, S, S) -> ``{'cls': (N, 2A, s, s), 'loc': (N, 4A, s, s)}``.

        Mask models add ``'mask_context'`` (:class:`MaskContext`, for :meth:`mask_refine`).
        ``return_intermediates`` adds ``'backbone'`` and ``'neck'`` (tuples of tensors) and, for
        mask models, ``'mask_head'`` = (head output (N, 3969, s, s), corr feature), the
        output PySOT computes and never uses (skipped otherwise).
        ``tf`` may have batch N or 1 (broadcast over the search batch)."""
        return self.head_outputs(self.search_features(x), tf, return_intermediates)

    def mask_refine(self, mask_context: MaskContext, pos_rc: Tuple[int, int]) -> Tensor:
        """Refined mask logits (before sigmoid) for score-map position ``(row, col)``:
        (N, 127*127) float32, the 127x127 exemplar window of that position."""
        if self.refine_head is None:
            raise RuntimeError("mask_refine needs a SiamMask model (has_mask is False)")
        return self.refine_head(mask_context.features, mask_context.corr_feature, pos_rc)

    def forward(self, z: Tensor, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Template + search in one call (tracing, FLOP counting): returns (cls, loc)."""
        out = self.track(x, self.template(z))
        return out["cls"], out["loc"]
