"""NanoTrack tracking, exact to the reference ``NanoTracker`` (HonglinChu/SiamTrackers).

NanoTrack's tracker is PySOT's SiamRPN tracker with anchor-free decoding, so this is
:class:`~siam_tracker_ros.core.siamrpn.SiamRPNTracker` (THE crop with the first frame's
truncated mean as padding, BGR 0..255 input without normalisation, half-to-even rounding of the
template and search sides, the scale / aspect penalty, the Hann window, size smoothing with
``lr = penalty * score * LR``, full centre update, PySOT's clipping) with a
:class:`~siam_tracker_ros.core.rpn_postprocess.PointScoreMapDecoder`: each score-map cell is a
point ``-(S // 2) * 16 + 16 i`` px from the crop centre and the head gives its distances to the
box sides. The score-map side S follows the search input (255 px: 16 for v1/v2, 15 for v3), so
re-detection windows of other sizes work (sizes ``16 k - 1`` with k even keep the grid centred
as at 255 px: 287, 319, 351, 383, ...).

Re-detection (``propose``/``accept``), the long-term wrapper and the appearance verifier work
as for SiamRPN.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional

import torch

from .boxes import context_side
from .config import AnchorConfig, RuntimeOptions, TrackConfig
from .rpn_postprocess import PointScoreMapDecoder
from .siamrpn import SiamRPNTracker
from .tracker import TargetState


@dataclass(frozen=True)
class NanoTrackConfig:
    """The ``tracker:`` section of a ``model.type: nanotrack`` config (upstream ``TRACK`` keys,
    lower case; defaults = NanoTrack v2's ``configv2.yaml``).

    window_influence / penalty_k / lr: cosine-window weight, scale-aspect penalty factor,
      size-smoothing rate. exemplar_size / instance_size: template and search inputs (px).
    context_amount: template context. point_stride: px per score-map cell.
    small_target_search_px / small_target_instance_size (ours, off by default): when the
      normal search window would cover fewer than ``small_target_search_px`` frame pixels (a
      small target: the window is ~2x its context side), a tracking frame searches with a
      ``small_target_instance_size`` px input instead, at the same scale, so it sees a wider
      area of the frame (a small target moves many of its own sizes between frames). The size
      must be ``instance_size`` plus a multiple of ``2 * point_stride`` (keeps the grid centred).
    """

    window_influence: float = 0.490
    penalty_k: float = 0.150
    lr: float = 0.385
    exemplar_size: int = 127
    instance_size: int = 255
    context_amount: float = 0.5
    point_stride: int = 16
    small_target_search_px: float = 0.0
    small_target_instance_size: int = 0

    def __post_init__(self) -> None:
        self.track_config()  # validates the shared fields
        if self.point_stride < 1:
            raise ValueError(f"point_stride must be >= 1, got {self.point_stride}")
        if not self.small_target_search_px >= 0.0:
            raise ValueError(f"small_target_search_px must be >= 0, got {self.small_target_search_px}")
        if self.small_target_instance_size:
            step = 2 * self.point_stride
            grow = self.small_target_instance_size - self.instance_size
            if grow < 0 or grow % step:
                raise ValueError(f"small_target_instance_size must be instance_size "
                                 f"({self.instance_size}) plus a multiple of {step}, got "
                                 f"{self.small_target_instance_size}")

    @property
    def small_target_context_px(self) -> float:
        """Context side (px) below which a tracking frame uses the small-target search input
        (0: never)."""
        if self.small_target_instance_size <= self.instance_size:
            return 0.0
        return self.small_target_search_px * self.exemplar_size / self.instance_size

    def track_config(self) -> TrackConfig:
        """The same settings as the SiamRPN tracker's :class:`TrackConfig`."""
        return TrackConfig(type="NanoTracker", penalty_k=self.penalty_k,
                           window_influence=self.window_influence, lr=self.lr,
                           exemplar_size=self.exemplar_size, instance_size=self.instance_size,
                           context_amount=self.context_amount)


class NanoTracker(SiamRPNTracker):
    """The NanoTrack tracker over a NanoTrack network (``siam_tracker_ros.models.nanotrack``, or
    any model with ``template`` / ``search_features`` / ``head_outputs`` / ``score_size``).

    Implements :class:`~siam_tracker_ros.core.tracker.SearchableTracker`. Template features and
    the head's template branches are computed once per target; every network call runs under
    ``torch.inference_mode``. ``model`` is the network to run, already prepared for
    ``options``: with ``options.exact`` False the builder
    (:func:`siam_tracker_ros.build.networks.nanotracker`) passes a copy with BatchNorm folded
    into the convolutions and channels-last weights (faster, boxes move by float rounding only).
    """

    def __init__(self, model: torch.nn.Module, cfg: NanoTrackConfig = NanoTrackConfig(),
                 options: RuntimeOptions = RuntimeOptions(), distractor_count: int = 5) -> None:
        self.cfg = cfg
        super().__init__(model, cfg.track_config(),
                         AnchorConfig(stride=cfg.point_stride, ratios=(1.0,), scales=(1.0,)),
                         options, distractor_count)
        self._point_decoders: Dict[int, PointScoreMapDecoder] = {}

    def decoder(self, instance_size: int) -> PointScoreMapDecoder:
        """Point grid and window for a search input of ``instance_size`` px (cached)."""
        dec = self._point_decoders.get(instance_size)
        if dec is None:
            size = int(self.model.score_size(instance_size))
            dec = PointScoreMapDecoder(size, self.cfg.point_stride)
            self._point_decoders[instance_size] = dec
        return dec

    def tracking_instance_size(self, state: TargetState) -> Optional[int]:
        """The small-target search input when ``state``'s context side is below
        :attr:`NanoTrackConfig.small_target_context_px`, else None (the config's)."""
        limit = self.cfg.small_target_context_px
        if limit and context_side(state.size_wh, self.cfg.context_amount) < limit:
            return int(self.cfg.small_target_instance_size)
        return None


def nanotrack_config_for(version: int, overrides: Optional[dict] = None) -> NanoTrackConfig:
    """The upstream ``configv<version>.yaml`` tracking values (plus ``overrides``)."""
    values = dict(UPSTREAM_TRACK[int(version)])
    values.update(overrides or {})
    return NanoTrackConfig(**values)


# Upstream models/config/configv{1,2,3}.yaml TRACK values (the rest are the shared defaults).
UPSTREAM_TRACK = {
    1: {"window_influence": 0.462, "penalty_k": 0.148, "lr": 0.390},
    2: {"window_influence": 0.490, "penalty_k": 0.150, "lr": 0.385},
    3: {"window_influence": 0.455, "penalty_k": 0.138, "lr": 0.348},
}
