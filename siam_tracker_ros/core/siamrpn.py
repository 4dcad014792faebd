"""SiamRPN / SiamRPN++ tracking, exact to PySOT's ``SiamRPNTracker``.

Conventions (PySOT's, kept on purpose):

* init box ``(x, y, w, h)`` -> state centre ``(x + (w - 1) / 2, y + (h - 1) / 2)``, size
  ``(w, h)``; output boxes are ``(cx - w / 2, cy - h / 2, w, h)`` (a half-pixel asymmetry).
* template side ``round(sqrt(w_z * h_z))`` with ``w_z = w + c (w + h)``; the search side is
  ``round(s_z * instance / exemplar)`` with the *unrounded* ``s_z``; both crops come from
  :func:`siam_tracker_ros.core.crop.crop_patch` (mean colour of the first frame as padding).
* the selected candidate moves the centre fully and the size by ``lr = penalty * score * LR``;
  centre clipped to ``[0, W] x [0, H]``, size to ``[10, W] x [10, H]``.

The tracker is built from steps that wrappers compose (SiamMask, PySOT's long-term mode,
re-detection): :meth:`SiamRPNTracker.search` evaluates one window without touching the state,
:meth:`SiamRPNTracker.smoothed_state` turns its result into a candidate state, and
:meth:`SiamRPNTracker.clip_state` applies PySOT's clipping.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch

from .boxes import context_side
from .config import AnchorConfig, RuntimeOptions, TrackConfig
from .crop import CropWindow, channel_mean, crop_patch, crop_patch_tensor
from .errors import InvalidInputError, NotInitializedError
from .rpn_postprocess import ScoreMapDecoder, Selection, foreground_score, loc_deltas
from .torch_device import configure_numerics, inference_dtype, resolve_device, synchronize
from .tracker import DelegatingTracker, OneWindowAtATime, Proposal, SearchGeometry, TargetState
from .types import TrackResult, TrackState, validate_frame, validate_init_box

BoxXYWH = Tuple[float, float, float, float]


@dataclass
class SearchOutcome:
    """One evaluated search window (no state was changed).

    center_xy / size_wh: the state the window was built from (float64 (2,)). crop: the crop
    geometry (side = round(s_x) frame px, out = instance_size). xcrop_sum: pixel sum of the
    crop (None with the device crop). scale_z: network px per frame px. selection: scores, boxes (crop px) and the chosen flat index. outputs: the raw model
    outputs (``cls``, ``loc``, ``mask_context`` for mask models). timings_ms: preprocess,
    backbone, head, postprocess.
    """

    center_xy: np.ndarray
    size_wh: np.ndarray
    instance_size: int
    scale_z: float
    crop: CropWindow
    xcrop_sum: Optional[int]
    decoder: ScoreMapDecoder
    selection: Selection
    outputs: Mapping[str, torch.Tensor]
    timings_ms: Dict[str, float] = field(default_factory=dict)

    @property
    def best_idx(self) -> int:
        return self.selection.best_idx

    @property
    def best_ays(self) -> Tuple[int, int, int]:
        """Selected (anchor, y, x) on the score map."""
        return self.decoder.unravel(self.selection.best_idx)

    @property
    def best_score(self) -> float:
        """Raw foreground softmax at the selected (penalised) maximum."""
        return self.selection.best_score

    @property
    def pscore_best(self) -> float:
        return float(self.selection.pscore[self.selection.best_idx])

    def offset_xywh(self) -> np.ndarray:
        """(4,) float32 selected box in frame px: (dx, dy) from ``center_xy``, (w, h)."""
        return self.selection.offset_xywh(self.scale_z)

    def candidate_box(self, flat_index: int) -> BoxXYWH:
        """Unsmoothed frame-pixel box ``(x, y, w, h)`` of any candidate of this window."""
        box = self.selection.boxes[:, int(flat_index)] / np.float32(self.scale_z)
        cx = float(box[0]) + float(self.center_xy[0])
        cy = float(box[1]) + float(self.center_xy[1])
        w, h = float(box[2]), float(box[3])
        return (cx - w / 2, cy - h / 2, w, h)

    def crop_record(self) -> dict:
        """The crop fields of the parity results (``center, side, out, window_xy, pad_ltrb``)."""
        return {"center": [float(v) for v in self.center_xy], "side": self.crop.side,
                "out": self.crop.out_size, "window_xy": [self.crop.xmin, self.crop.ymin],
                "pad_ltrb": list(self.crop.pad_ltrb)}


@dataclass
class SiamProposal(Proposal):
    """A :class:`Proposal` that also carries the exact candidate state, so that
    ``accept(propose(frame, state.center_xy))`` equals ``track(frame)`` bit for bit."""

    center_xy: Optional[np.ndarray] = None
    size_wh: Optional[np.ndarray] = None
    instance_size: int = 0


def state_box_xywh(state: TargetState) -> BoxXYWH:
    """PySOT's output box ``(cx - w / 2, cy - h / 2, w, h)`` of a state."""
    cx, cy = float(state.center_xy[0]), float(state.center_xy[1])
    w, h = float(state.size_wh[0]), float(state.size_wh[1])
    return (cx - w / 2, cy - h / 2, w, h)


def _ms(start: float, end: float) -> float:
    return (end - start) * 1000.0


class SiamRPNTracker(OneWindowAtATime):
    """PySOT's SiamRPN tracker over a :class:`SiameseModel` (``template``/``track``).

    Implements :class:`~siam_tracker_ros.core.tracker.SearchableTracker`. ``options`` picks the
    device (auto = CUDA when available), fp16 (CUDA only) and exact mode: ``exact=True`` crops
    on the host with OpenCV (bit-exact) and copies only the crop to the device, TF32 off on
    CUDA; ``exact=False`` on CUDA uploads each frame once and crops + resizes on the GPU
    (:func:`crop_patch_tensor`, within one grey level of OpenCV; a frame array must not be
    modified in place between calls on it). On the CPU both modes crop on the host. The
    template features (and the heads' template kernels) are computed once per target.

    ``model`` is the network to run, already prepared for ``options.backend`` and mode (the
    builder does it: :func:`siam_tracker_ros.build.networks.siamrpn_tracker`); this class only
    moves it to the device and dtype.
    """

    def __init__(self, model: torch.nn.Module, track_cfg: TrackConfig,
                 anchor_cfg: AnchorConfig = AnchorConfig(),
                 options: RuntimeOptions = RuntimeOptions(), distractor_count: int = 5) -> None:
        self.track_cfg = track_cfg
        self.anchor_cfg = anchor_cfg
        self.options = options
        self.distractor_count = int(distractor_count)
        self.device = resolve_device(options)
        self.dtype = inference_dtype(options, self.device)
        configure_numerics(options, self.device)
        self.model = model.to(device=self.device, dtype=self.dtype).eval()
        self._decoders: Dict[int, ScoreMapDecoder] = {}
        self.device_crop = (not options.exact) and self.device.type == "cuda"
        self._uploaded: Optional[Tuple[np.ndarray, torch.Tensor]] = None
        self.state: Optional[TargetState] = None
        self._template = None
        self._pad_bgr: Optional[np.ndarray] = None

    # ----------------------------------------------------------------- lifecycle
    def initialize(self, frame: np.ndarray, box_xywh: Sequence[float]) -> TrackResult:
        """Take ``box_xywh`` (integer-pixel convention) on ``frame`` as the target."""
        frame = validate_frame(frame)
        x, y, w, h = validate_init_box(box_xywh, frame.shape)
        t0 = time.perf_counter()
        center = np.array([x + (w - 1) / 2, y + (h - 1) / 2], dtype=np.float64)
        size = np.array([w, h], dtype=np.float64)
        side = round(context_side(size, self.track_cfg.context_amount))
        pad_bgr = channel_mean(frame)
        patch, win = crop_patch(frame, center, side, self.track_cfg.exemplar_size, pad_bgr)
        z = self._to_tensor(patch)
        t1 = time.perf_counter()
        with torch.inference_mode():
            template = self.model.template(z, cache_kernels=True)
        synchronize(self.device)
        t2 = time.perf_counter()
        self._template = template
        self._pad_bgr = pad_bgr
        self.state = TargetState(center, size)
        extras = {"center": center.tolist(), "size": size.tolist(),
                  "channel_average": pad_bgr.tolist(),
                  "crop": {"center": center.tolist(), "side": win.side, "out": win.out_size,
                           "window_xy": [win.xmin, win.ymin], "pad_ltrb": list(win.pad_ltrb)},
                  "zcrop_sum": int(patch.sum(dtype=np.int64)),
                  "timings_ms": {"preprocess": _ms(t0, t1), "backbone": _ms(t1, t2),
                                 "head": 0.0, "postprocess": 0.0}}
        return TrackResult((x, y, w, h), 1.0, TrackState.TRACKING, extras=extras)

    def reset(self) -> None:
        """Forget the target; the model stays loaded."""
        self.state = None
        self._template = None
        self._pad_bgr = None
        self._uploaded = None

    @property
    def is_initialized(self) -> bool:
        return self.state is not None and self._template is not None

    def require_state(self) -> TargetState:
        """The current state, or :class:`NotInitializedError` before ``initialize``."""
        if not self.is_initialized:
            raise NotInitializedError("tracker has no target: call initialize(frame, box) first")
        return self.state

    @property
    def search_geometry(self) -> SearchGeometry:
        """Template / normal search input and context of the tracking config."""
        cfg = self.track_cfg
        return SearchGeometry(int(cfg.exemplar_size), int(cfg.instance_size),
                              float(cfg.context_amount))

    # ----------------------------------------------------------------- steps
    def decoder(self, instance_size: int) -> ScoreMapDecoder:
        """Anchors and window for a search input of ``instance_size`` px (cached)."""
        dec = self._decoders.get(instance_size)
        if dec is None:
            size = self.track_cfg.score_size(self.anchor_cfg.stride, instance_size)
            dec = ScoreMapDecoder(size, self.anchor_cfg.stride, self.anchor_cfg.ratios,
                                  self.anchor_cfg.scales)
            self._decoders[instance_size] = dec
        return dec

    def search(self, frame: np.ndarray, center_xy: Sequence[float],
               instance_size: Optional[int] = None, window_influence: Optional[float] = None,
               size_wh: Optional[Sequence[float]] = None) -> SearchOutcome:
        """Evaluate the window around ``center_xy`` at the scale of ``size_wh`` (default: the
        current state) with a ``instance_size`` px network input (default: the config's).

        The state is not changed. ``window_influence`` defaults to the config's.
        """
        state = self.require_state()
        frame = validate_frame(frame)
        cfg = self.track_cfg
        instance = cfg.instance_size if instance_size is None else int(instance_size)
        influence = cfg.window_influence if window_influence is None else float(window_influence)
        center = np.array([float(center_xy[0]), float(center_xy[1])], dtype=np.float64)
        if not np.all(np.isfinite(center)):
            raise InvalidInputError(f"search centre must be finite, got {center.tolist()}")
        size = state.size_wh if size_wh is None else np.asarray(size_wh, dtype=np.float64)
        t0 = time.perf_counter()
        s_z = context_side(size, cfg.context_amount)
        scale_z = cfg.exemplar_size / s_z
        s_x = s_z * (instance / cfg.exemplar_size)
        if self.device_crop:
            x, win = crop_patch_tensor(self._upload(frame), center, round(s_x), instance,
                                       self._pad_bgr)
            x, xcrop_sum = x.to(self.dtype), None
        else:
            patch, win = crop_patch(frame, center, round(s_x), instance, self._pad_bgr)
            x = self._to_tensor(patch)
            xcrop_sum = int(patch.sum(dtype=np.int64))
        synchronize(self.device)
        t1 = time.perf_counter()
        outputs, t_backbone, t_head = self._run_network(x)
        t2 = time.perf_counter()
        dec = self.decoder(instance)
        score = foreground_score(outputs["cls"])
        deltas = loc_deltas(outputs["loc"])
        selection = dec.select(score, deltas, size, scale_z, cfg.penalty_k, influence)
        t3 = time.perf_counter()
        timings = {"preprocess": _ms(t0, t1), "backbone": t_backbone, "head": t_head,
                   "postprocess": _ms(t2, t3)}
        return SearchOutcome(center, np.array(size, dtype=np.float64), instance, scale_z, win,
                             xcrop_sum, dec, selection, outputs, timings)

    def smoothed_state(self, outcome: SearchOutcome) -> TargetState:
        """Candidate state: centre moved by the selected offset, size blended with ``lr``
        (unclipped)."""
        offset = outcome.offset_xywh()
        lr = outcome.selection.lr(self.track_cfg.lr)
        cx = float(offset[0]) + float(outcome.center_xy[0])
        cy = float(offset[1]) + float(outcome.center_xy[1])
        w = float(outcome.size_wh[0]) * (1 - lr) + float(offset[2]) * lr
        h = float(outcome.size_wh[1]) * (1 - lr) + float(offset[3]) * lr
        return TargetState(np.array([cx, cy]), np.array([w, h]))

    @staticmethod
    def clip_state(state: TargetState, frame_hw: Sequence[int]) -> TargetState:
        """PySOT's clipping: centre to [0, W] x [0, H], size to [10, W] x [10, H] (a NaN
        becomes the lower bound, as with Python's min/max)."""
        height, width = int(frame_hw[0]), int(frame_hw[1])
        cx = max(0, min(float(state.center_xy[0]), width))
        cy = max(0, min(float(state.center_xy[1]), height))
        w = max(10, min(float(state.size_wh[0]), width))
        h = max(10, min(float(state.size_wh[1]), height))
        return TargetState(np.array([cx, cy], dtype=np.float64),
                           np.array([w, h], dtype=np.float64))

    def track_step(self, frame: np.ndarray) -> Tuple[SearchOutcome, TrackResult]:
        """One PySOT ``track()``: search around the state, update it; returns the search
        outcome too (for wrappers such as SiamMask)."""
        state = self.require_state()
        outcome = self.search(frame, state.center_xy, self.tracking_instance_size(state))
        t0 = time.perf_counter()
        self.state = self.clip_state(self.smoothed_state(outcome), frame.shape[:2])
        outcome.timings_ms["postprocess"] += _ms(t0, time.perf_counter())
        return outcome, self.make_result(outcome, self.state, self.state, TrackState.TRACKING)

    def track(self, frame: np.ndarray) -> TrackResult:
        """Locate the target in ``frame`` and update the state."""
        return self.track_step(frame)[1]

    def tracking_instance_size(self, state: TargetState) -> Optional[int]:
        """Search input of a tracking frame for ``state`` (None: the config's)."""
        return None

    # ----------------------------------------------------------------- re-detection API
    def propose(self, frame: np.ndarray, center_xy: Sequence[float],
                instance_size: Optional[int] = None,
                window_influence: Optional[float] = None) -> SiamProposal:
        """Best candidate of the window around ``center_xy`` at the current scale, as the state
        ``track`` would move to (smoothed, clipped); distractors are the next local maxima of
        the selection score with their unsmoothed boxes and raw scores. No state change.
        ``instance_size`` defaults to a tracking frame's (:meth:`tracking_instance_size`)."""
        if instance_size is None:
            instance_size = self.tracking_instance_size(self.require_state())
        outcome = self.search(frame, center_xy, instance_size, window_influence)
        candidate = self.clip_state(self.smoothed_state(outcome), frame.shape[:2])
        others = outcome.decoder.local_maxima(outcome.selection, self.distractor_count)
        distractors = [(outcome.candidate_box(i), float(outcome.selection.score[i]))
                       for i in others]
        return SiamProposal(state_box_xywh(candidate), outcome.best_score, outcome.pscore_best,
                            distractors, candidate.center_xy, candidate.size_wh,
                            outcome.instance_size)

    def accept(self, proposal: Proposal) -> None:
        """Move the state to ``proposal`` (its exact state for a :class:`SiamProposal`)."""
        self.require_state()
        if isinstance(proposal, SiamProposal) and proposal.center_xy is not None:
            center = np.asarray(proposal.center_xy, dtype=np.float64).copy()
            size = np.asarray(proposal.size_wh, dtype=np.float64).copy()
        else:
            x, y, w, h = (float(v) for v in proposal.box_xywh)
            center, size = np.array([x + w / 2, y + h / 2]), np.array([w, h])
        if not (np.all(np.isfinite(center)) and np.all(np.isfinite(size)) and np.all(size > 0)):
            raise InvalidInputError(f"cannot accept proposal box {proposal.box_xywh}")
        self.state = TargetState(center, size)

    # ----------------------------------------------------------------- results
    def make_result(self, outcome: SearchOutcome, box_state: TargetState,
                    stored_state: TargetState, track_state: TrackState) -> TrackResult:
        """TrackResult with the output box of ``box_state`` and the parity fields in extras
        (``center``/``size`` = the stored state)."""
        extras = {
            "best_idx": outcome.best_idx, "best_ays": list(outcome.best_ays),
            "center": [float(v) for v in stored_state.center_xy],
            "size": [float(v) for v in stored_state.size_wh],
            "crop": outcome.crop_record(), "xcrop_sum": outcome.xcrop_sum,
            "pscore_best": outcome.pscore_best, "instance_size": outcome.instance_size,
            "timings_ms": outcome.timings_ms,
        }
        return TrackResult(state_box_xywh(box_state), outcome.best_score, track_state,
                           extras=extras)

    # ----------------------------------------------------------------- network
    def _to_tensor(self, patch: np.ndarray) -> torch.Tensor:
        """(S, S, 3) uint8 BGR patch -> (1, 3, S, S) tensor on the device (values 0..255, the
        same NHWC strides as PySOT's ``transpose(2, 0, 1)`` tensor)."""
        if not patch.flags.writeable:
            patch = patch.copy()
        tensor = torch.from_numpy(patch.transpose(2, 0, 1)[np.newaxis])
        return tensor.to(self.device).to(self.dtype)

    def _upload(self, frame: np.ndarray) -> torch.Tensor:
        """The frame as an (H, W, 3) uint8 device tensor, uploaded once per frame object."""
        if self._uploaded is not None and self._uploaded[0] is frame:
            return self._uploaded[1]
        tensor = torch.from_numpy(np.ascontiguousarray(frame).copy() if not frame.flags.writeable
                                  else np.ascontiguousarray(frame)).to(self.device)
        self._uploaded = (frame, tensor)
        return tensor

    def _run_network(self, x: torch.Tensor) -> Tuple[Dict[str, torch.Tensor], float, float]:
        """Model outputs plus (backbone ms, head ms); with a model that cannot split its
        search pass the whole pass counts as backbone."""
        model = self.model
        with torch.inference_mode():
            t0 = time.perf_counter()
            if hasattr(model, "search_features") and hasattr(model, "head_outputs"):
                feats = model.search_features(x)
                synchronize(self.device)
                t1 = time.perf_counter()
                outputs = model.head_outputs(feats, self._template)
            else:
                outputs = model.track(x, self._template)
                t1 = time.perf_counter()
            synchronize(self.device)
            t2 = time.perf_counter()
        return dict(outputs), _ms(t0, t1), _ms(t1, t2)


class ComposedOverSiamRPN(DelegatingTracker):
    """Base of the trackers composed over a :class:`SiamRPNTracker` (SiamMask, PySOT long-term):
    the target state lives in the wrapped ``rpn`` (PySOT long-term: stored unclipped), so there
    is one copy of it; state, geometry and the search calls delegate to it
    (:class:`DelegatingTracker`)."""

    def __init__(self, rpn: SiamRPNTracker) -> None:
        super().__init__(rpn)

    @property
    def rpn(self) -> SiamRPNTracker:
        """The wrapped SiamRPN tracker (``base``)."""
        return self.base
