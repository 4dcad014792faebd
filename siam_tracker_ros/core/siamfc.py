"""SiamFC-style multi-scale tracker over any feature model with a correlation head.

The model (e.g. :class:`siam_tracker_ros.models.parameter_free.ParameterFreeSiamFC`) is
injected by the factory; this module never imports ``models``. Per frame:

1. crop ``scale_num`` square windows around the last centre (THE crop, :func:`crop_patch`),
   sides ``s_x * scale_step**k`` for k = -(n-1)/2 .. (n-1)/2, each resized to
   ``instance_size``; ``s_x = s_z * instance_size / exemplar_size`` with the usual context
   ``s_z = sqrt((w + p)(h + p))``, ``p = context_amount * (w + h)``;
2. correlate the template with the batch (one call), penalise the non-unit scales by
   ``scale_penalty`` and keep the scale with the highest peak;
3. upsample that response ``response_upsample`` times (bicubic), mix it with a cosine window
   (``window_influence``) and take the arg-max; the position follows from the exact crop
   geometry (no centring assumption);
4. size ``*= 1 - lr + lr * scale_factor`` with ``lr = scale_lr * confidence`` (a low-confidence
   frame barely changes the size).

Confidence: the head's raw score ``r`` (ZNCC in [-1, 1] for the parameter-free model) at the
chosen position is mapped linearly to [0, 1]: ``clip((r - confidence_floor) /
(confidence_ceil - confidence_floor), 0, 1)``. The defaults (0.35, 0.75) come from
scripts/calibrate_siamfc_confidence.py on lt-small: a tracked visible target scores r ~ 0.83
(median; 5th percentile 0.57), so confidence >= 0.6 on 94 % of those frames; with the target
absent the median r is 0.18 (confidence 0 on 84 % of the frames; the rest are frames on an
exact copy of the target, which no appearance score can reject).

Coordinates: ``TargetState.center_xy`` is the box centre ``(x + w/2, y + h/2)`` in continuous
frame pixels (pixel i spans [i, i+1)); boxes are xywh.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import List, Optional, Protocol, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from .boxes import context_side
from .crop import CropWindow, channel_mean, crop_patch
from .config import RuntimeOptions
from .errors import NotInitializedError
from .torch_device import configure_numerics, inference_dtype, resolve_device
from .tracker import Proposal, SearchGeometry, TargetState
from .types import TrackResult, TrackState, validate_frame, validate_init_box


class CorrelationModel(Protocol):
    """What the SiamFC tracker needs from a model (no state, no parameters required).

    features: (B, 3, H, W) float32 BGR 0..255 -> (B, C, H // total_stride, W // total_stride);
    feature cell (i, j) covers input pixels starting at (total_stride*i, total_stride*j).
    correlate: template (Bz, C, h, w) over search (B, C, H', W') -> (B, 1, H'-h+1, W'-w+1)
    raw scores; output (i, j) = template origin at search cell (i, j). z_weight = separable
    spatial weight (wy (h,), wx (w,)) or None.
    """

    total_stride: int

    def features(self, images: torch.Tensor) -> torch.Tensor: ...

    def correlate(self, z_feat: torch.Tensor, x_feat: torch.Tensor,
                  z_weight: Optional[Tuple[torch.Tensor, torch.Tensor]] = None) -> torch.Tensor: ...


@dataclass(frozen=True)
class SiamFCConfig:
    """SiamFC tracking hyper-parameters (the ``tracker:`` section of our tracker YAML).

    Sizes in crop pixels; ``instance_size - exemplar_size`` must be a multiple of 8 so the
    same sizes work for stride-8 models. ``search_window_influence`` is the cosine-window
    weight used by :meth:`SiamFCTracker.propose` for windows of a non-default size
    (re-detection); ``context_weight`` is the template weight of the context band around the
    target (1 = plain SiamFC, < 1 focuses the match on the target itself).
    """

    type: str = "SiamFC"
    exemplar_size: int = 127
    instance_size: int = 255
    context_amount: float = 0.5
    scale_num: int = 3
    scale_step: float = 1.0375
    scale_penalty: float = 0.9745
    scale_lr: float = 0.59
    window_influence: float = 0.176
    search_window_influence: float = 0.0
    response_upsample: int = 8
    context_weight: float = 0.5
    confidence_floor: float = 0.35
    confidence_ceil: float = 0.75
    min_size: float = 4.0
    max_distractors: int = 4
    distractor_min_ratio: float = 0.5
    torch_threads: int = 1

    def __post_init__(self) -> None:
        if self.type != "SiamFC":
            raise ValueError(f"tracker type must be 'SiamFC', got {self.type!r}")
        if self.exemplar_size <= 0 or self.instance_size <= self.exemplar_size:
            raise ValueError(f"need 0 < exemplar_size < instance_size, got "
                             f"{self.exemplar_size}, {self.instance_size}")
        if (self.instance_size - self.exemplar_size) % 8:
            raise ValueError(f"instance_size - exemplar_size must be a multiple of 8, got "
                             f"{self.instance_size - self.exemplar_size}")
        if self.scale_num < 1 or self.scale_num % 2 == 0:
            raise ValueError(f"scale_num must be odd and >= 1, got {self.scale_num}")
        if self.scale_step < 1.0:
            raise ValueError(f"scale_step must be >= 1, got {self.scale_step}")
        if self.response_upsample < 1:
            raise ValueError(f"response_upsample must be >= 1, got {self.response_upsample}")
        for name in ("scale_penalty", "scale_lr", "window_influence", "search_window_influence",
                     "context_weight", "context_amount", "distractor_min_ratio"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if not self.confidence_ceil > self.confidence_floor:
            raise ValueError("confidence_ceil must be > confidence_floor")
        if self.min_size <= 0 or self.max_distractors < 0:
            raise ValueError("min_size must be > 0 and max_distractors >= 0")
        if self.torch_threads < 0:
            raise ValueError(f"torch_threads must be >= 0, got {self.torch_threads}")

    def confidence(self, raw: float) -> float:
        """Raw head score -> confidence in [0, 1] (linear ramp floor..ceil, clipped)."""
        value = (raw - self.confidence_floor) / (self.confidence_ceil - self.confidence_floor)
        return float(min(1.0, max(0.0, value)))


@contextlib.contextmanager
def torch_cpu_threads(count: int):
    """Run the block with ``count`` torch CPU threads (restored after); 0 = unchanged."""
    previous = torch.get_num_threads()
    if count <= 0 or count == previous:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _hann2d(size: int, device: torch.device) -> torch.Tensor:
    """(size, size) outer product of Hann windows (endpoints 0, peak 1)."""
    if size < 3:
        return torch.ones(size, size, device=device)
    win = torch.hann_window(size, periodic=False, dtype=torch.float32, device=device)
    return win[:, None] * win[None, :]


class SearchFeatureCache:
    """The last search batch's features, shared by trackers over the *same* model that crop the
    same windows of a frame (the appearance verifier's templates): a batch equal, pixel for
    pixel, to the previous one reuses its features (same input, same output: exact). The last
    crop is kept too: the same frame object, window and padding return it without cropping
    again (call :meth:`clear` before the frame's pixels may change)."""

    def __init__(self) -> None:
        self._batch: Optional[np.ndarray] = None
        self._features: Optional[torch.Tensor] = None
        self._crop: Optional[Tuple[np.ndarray, Tuple[float, ...], Tuple[np.ndarray, CropWindow]]] = None

    def crop(self, frame: np.ndarray, center_xy: Sequence[float], side: int, out_size: int,
             pad_bgr: Sequence[float]) -> Tuple[np.ndarray, CropWindow]:
        """:func:`crop_patch` of ``frame``, or the stored one for the same frame and geometry."""
        key = (float(center_xy[0]), float(center_xy[1]), float(side), float(out_size),
               *(float(v) for v in pad_bgr))
        if self._crop is not None and self._crop[0] is frame and self._crop[1] == key:
            return self._crop[2]
        result = crop_patch(frame, center_xy, side, out_size, pad_bgr)
        self._crop = (frame, key, result)
        return result

    def features(self, model: "CorrelationModel", batch: np.ndarray,
                 to_tensor) -> torch.Tensor:
        """``model.features(to_tensor(batch))``, or the stored result for an equal batch."""
        if self._batch is not None and self._batch.shape == batch.shape and \
                np.array_equal(self._batch, batch):
            return self._features
        features = model.features(to_tensor(batch))
        self._batch, self._features = batch, features
        return features

    def clear(self) -> None:
        self._batch = self._features = self._crop = None


@dataclass
class _Template:
    feat: torch.Tensor                              # (1, C, h, w)
    weight: Tuple[torch.Tensor, torch.Tensor]       # (h,), (w,)
    target_xy: Tuple[float, float]                  # target centre in template-crop px
    pad_bgr: Tuple[float, float, float]


class SiamFCTracker:
    """Multi-scale SiamFC tracker; implements :class:`Tracker` and :class:`SearchableTracker`.

    ``model`` follows :class:`CorrelationModel`. ``options``: device and CPU threads; the
    computation stays float32 (``fp16`` is accepted on CUDA but not used: the normalised
    correlation needs the precision and the model is cheap). Not thread-safe (one target per
    instance).
    """

    def __init__(self, model: CorrelationModel, cfg: SiamFCConfig = SiamFCConfig(),
                 options: RuntimeOptions = RuntimeOptions(),
                 feature_cache: Optional[SearchFeatureCache] = None) -> None:
        self.cfg = cfg
        self._feature_cache = feature_cache   # shared with trackers over the same model
        self.options = options
        self.device = resolve_device(options)
        inference_dtype(options, self.device)       # validates fp16 (CUDA only)
        configure_numerics(options, self.device)
        self.model = model.to(self.device) if hasattr(model, "to") else model
        if hasattr(self.model, "eval"):
            self.model.eval()
        self.stride = int(model.total_stride)
        use_scope = options.num_threads is None and self.device.type == "cpu"
        self._threads = cfg.torch_threads if use_scope else 0
        self.state: Optional[TargetState] = None
        self._template: Optional[_Template] = None
        self._frame_hw: Tuple[int, int] = (0, 0)
        self._windows: dict = {}
        self.last_raw_score = float("nan")   # raw head score of the last proposal (diagnostics)
        factors = cfg.scale_step ** (np.arange(cfg.scale_num) - (cfg.scale_num - 1) / 2.0)
        self._scale_factors = factors.astype(np.float64)
        self._scale_penalties = np.where(np.arange(cfg.scale_num) == cfg.scale_num // 2,
                                         1.0, cfg.scale_penalty)

    # --- geometry shared with re-detection -------------------------------------------
    @property
    def exemplar_size(self) -> int:
        return self.cfg.exemplar_size

    @property
    def instance_size(self) -> int:
        return self.cfg.instance_size

    @property
    def context_amount(self) -> float:
        return self.cfg.context_amount

    @property
    def search_geometry(self) -> SearchGeometry:
        return SearchGeometry(int(self.cfg.exemplar_size), int(self.cfg.instance_size),
                              float(self.cfg.context_amount))

    def context_side(self, size_wh: Sequence[float]) -> float:
        """Template context side ``s_z`` (frame px) for a target of ``size_wh``."""
        return context_side(size_wh, self.cfg.context_amount)

    # --- Tracker ----------------------------------------------------------------------
    def initialize(self, frame: np.ndarray, box_xywh: Sequence[float]) -> TrackResult:
        """Take the target in ``box_xywh`` on ``frame`` (H, W, 3 uint8 BGR) as the template."""
        with torch_cpu_threads(self._threads):
            return self._initialize(frame, box_xywh)

    def _initialize(self, frame: np.ndarray, box_xywh: Sequence[float]) -> TrackResult:
        validate_frame(frame)
        x, y, w, h = validate_init_box(box_xywh, frame.shape)
        self._frame_hw = frame.shape[:2]
        center = np.array([x + w / 2.0, y + h / 2.0], np.float64)
        size = np.array([w, h], np.float64)
        pad_bgr = tuple(float(v) for v in channel_mean(frame))
        side_z = max(1, int(round(self.context_side(size))))
        patch, win = crop_patch(frame, center, side_z, self.cfg.exemplar_size, pad_bgr)
        with torch.inference_mode():
            feat = self.model.features(self._to_tensor([patch]))
        scale = win.scale
        target_xy = ((center[0] - win.xmin) * scale, (center[1] - win.ymin) * scale)
        weight = (self._axis_weight(feat.shape[2], target_xy[1], h * scale),
                  self._axis_weight(feat.shape[3], target_xy[0], w * scale))
        self._template = _Template(feat, weight, target_xy, pad_bgr)
        self.state = TargetState(center, size)
        return TrackResult((x, y, w, h), 1.0, TrackState.TRACKING)

    def track(self, frame: np.ndarray) -> TrackResult:
        """Locate the target in the next frame (multi-scale search around the last centre)."""
        self._require_target()
        proposal = self.propose(frame, self.state.center_xy)
        self.accept(proposal)
        return TrackResult(tuple(float(v) for v in proposal.box_xywh), proposal.score,
                           TrackState.TRACKING,
                           extras={"raw_score": self.last_raw_score,
                                   "distractors": list(proposal.distractors)})

    @property
    def search_pad_bgr(self) -> Tuple[float, float, float]:
        """Colour of the search crops' area outside the frame (the template frame's mean)."""
        self._require_target()
        return self._template.pad_bgr

    def use_search_pad(self, pad_bgr: Sequence[float]) -> None:
        """Pad later search crops with ``pad_bgr`` instead of the template frame's mean."""
        self._require_target()
        self._template.pad_bgr = tuple(float(v) for v in pad_bgr)

    def reset(self) -> None:
        """Forget the target (the model stays loaded)."""
        self.state = None
        self._template = None

    # --- SearchableTracker ------------------------------------------------------------
    def propose(self, frame: np.ndarray, center_xy: Sequence[float],
                instance_size: Optional[int] = None,
                window_influence: Optional[float] = None) -> Proposal:
        """Best candidate of one search window; no state change.

        ``instance_size`` None = the normal multi-scale tracking step (the returned box has the
        smoothed new size; cosine window ``window_influence``, default the config's);
        otherwise one window at the current scale whose crop is ``instance_size`` px (cosine
        window default ``search_window_influence``, size unchanged).
        """
        if instance_size is None:
            with torch_cpu_threads(self._threads):
                return self._propose_multiscale(frame, center_xy, window_influence)
        return self.propose_many(frame, [center_xy], instance_size, window_influence)[0]

    def propose_many(self, frame: np.ndarray, centers_xy: Sequence[Sequence[float]],
                     instance_size: int, window_influence: Optional[float] = None) -> List[Proposal]:
        """Evaluate several same-size windows (crop ``instance_size`` px, current scale) in one
        batch, one :class:`Proposal` per centre (re-detection); no state change."""
        with torch_cpu_threads(self._threads):
            return self._propose_many(frame, centers_xy, instance_size, window_influence)

    def _propose_many(self, frame: np.ndarray, centers_xy: Sequence[Sequence[float]],
                      instance_size: int, window_influence: Optional[float]) -> List[Proposal]:
        self._require_target()
        validate_frame(frame)
        self._frame_hw = frame.shape[:2]
        instance_size = int(instance_size)
        if instance_size < self.cfg.exemplar_size:
            raise ValueError(f"instance_size {instance_size} < exemplar_size {self.cfg.exemplar_size}")
        s_x = self.context_side(self.state.size_wh) * instance_size / self.cfg.exemplar_size
        side = max(1, int(round(s_x)))
        patches, windows = [], []
        crop = crop_patch if self._feature_cache is None else self._feature_cache.crop
        for center in centers_xy:
            patch, win = crop(frame, center, side, instance_size, self._template.pad_bgr)
            patches.append(patch)
            windows.append(win)
        responses = self._respond(patches)                               # (B, R, R)
        wi = self.cfg.search_window_influence if window_influence is None else float(window_influence)
        out = []
        for response, win in zip(responses, windows):
            selection = response.clamp_min(0.0)
            if wi > 0:
                selection = (1.0 - wi) * selection + wi * self._hann(response.shape[-1])
            flat = int(torch.argmax(selection))
            iy, ix = divmod(flat, response.shape[-1])
            ry, rx = self._refine_peak(response, iy, ix)
            raw = float(response[iy, ix])
            self.last_raw_score = raw
            box = self._box_at(win, rx, ry, self.state.size_wh)
            out.append(Proposal(box, self.cfg.confidence(raw), float(selection[iy, ix]),
                                self._distractors(response, win, (iy, ix), self.state.size_wh)))
        return out

    def accept(self, proposal: Proposal) -> None:
        """Move the target state to ``proposal.box_xywh``."""
        self._require_target()
        x, y, w, h = (float(v) for v in proposal.box_xywh)
        self.state = TargetState(np.array([x + w / 2.0, y + h / 2.0]), np.array([w, h]))

    # --- internals --------------------------------------------------------------------
    def _propose_multiscale(self, frame: np.ndarray, center_xy: Sequence[float],
                            window_influence: Optional[float]) -> Proposal:
        self._require_target()
        validate_frame(frame)
        self._frame_hw = frame.shape[:2]
        cfg = self.cfg
        s_x = self.context_side(self.state.size_wh) * cfg.instance_size / cfg.exemplar_size
        patches, windows = [], []
        for factor in self._scale_factors:
            side = max(1, int(round(s_x * factor)))
            patch, win = crop_patch(frame, center_xy, side, cfg.instance_size, self._template.pad_bgr)
            patches.append(patch)
            windows.append(win)
        responses = self._respond(patches)                               # (S, R, R)
        peaks = responses.flatten(1).max(dim=1).values.cpu().numpy() * self._scale_penalties
        best = int(np.argmax(peaks))
        response = responses[best]
        size_r = response.shape[-1]
        up = cfg.response_upsample
        if up > 1 and size_r > 1:
            fine = F.interpolate(response[None, None], size=((size_r - 1) * up + 1,) * 2,
                                 mode="bicubic", align_corners=True)[0, 0]
        else:
            fine, up = response, 1
        wi = cfg.window_influence if window_influence is None else float(window_influence)
        selection = (1.0 - wi) * fine.clamp_min(0.0) + wi * self._hann(fine.shape[-1])
        flat = int(torch.argmax(selection))
        qy, qx = divmod(flat, fine.shape[-1])
        raw = float(fine[qy, qx].clamp(-1.0, 1.0))
        self.last_raw_score = raw
        confidence = cfg.confidence(raw)
        factor = self._scale_factors[best]
        lr = cfg.scale_lr * confidence
        new_size = self.state.size_wh * (1.0 - lr + lr * factor)
        height, width = self._frame_hw
        new_size = np.minimum(np.maximum(new_size, cfg.min_size), [max(width, cfg.min_size),
                                                                    max(height, cfg.min_size)])
        box = self._box_at(windows[best], qx / up, qy / up, new_size)
        iy, ix = int(round(qy / up)), int(round(qx / up))
        distractors = self._distractors(response, windows[best], (iy, ix), self.state.size_wh * factor)
        return Proposal(box, confidence, float(selection[qy, qx]), distractors)

    def _respond(self, patches: List[np.ndarray]) -> torch.Tensor:
        """Crops (list of (S, S, 3) uint8) -> raw responses (B, R, R) float32 on the device."""
        with torch.inference_mode():
            if self._feature_cache is None:
                x_feat = self.model.features(self._to_tensor(patches))
            else:
                x_feat = self._feature_cache.features(self.model, np.stack(patches), self._to_tensor)
            response = self.model.correlate(self._template.feat, x_feat, self._template.weight)
        return response[:, 0].float()

    def _to_tensor(self, patches) -> torch.Tensor:
        """Crops (a list of (S, S, 3) uint8 or their (B, S, S, 3) stack) -> (B, 3, S, S) float32."""
        batch = torch.from_numpy(patches if isinstance(patches, np.ndarray) else np.stack(patches))
        return batch.to(self.device).permute(0, 3, 1, 2).float()

    def _hann(self, size: int) -> torch.Tensor:
        window = self._windows.get(size)
        if window is None:
            window = self._windows[size] = _hann2d(size, self.device)
        return window

    def _axis_weight(self, cells: int, target_c: float, extent: float) -> torch.Tensor:
        """Template weight along one axis: 1 on the target, ``context_weight`` beyond one cell."""
        centres = (np.arange(cells) + 0.5) * self.stride
        outside = np.abs(centres - target_c) - extent / 2.0
        ramp = np.clip(1.0 - outside / self.stride, 0.0, 1.0)
        weight = self.cfg.context_weight + (1.0 - self.cfg.context_weight) * ramp
        return torch.tensor(weight, dtype=torch.float32, device=self.device)

    def _box_at(self, win: CropWindow, rx: float, ry: float, size_wh: Sequence[float]
                ) -> Tuple[float, float, float, float]:
        """Box (frame px) whose centre lies where the template target centre lands when the
        template origin sits at response cell (ry, rx) of the crop ``win``; centre clipped
        to the frame."""
        tx, ty = self._template.target_xy
        inv = 1.0 / win.scale
        cx = win.xmin + (self.stride * rx + tx) * inv
        cy = win.ymin + (self.stride * ry + ty) * inv
        height, width = self._frame_hw
        cx = min(max(cx, 0.0), float(width))
        cy = min(max(cy, 0.0), float(height))
        w, h = float(size_wh[0]), float(size_wh[1])
        return (cx - w / 2.0, cy - h / 2.0, w, h)

    @staticmethod
    def _refine_peak(response: torch.Tensor, iy: int, ix: int) -> Tuple[float, float]:
        """Sub-cell peak position by a 1-D parabola fit along each axis."""
        def offset(minus: float, centre: float, plus: float) -> float:
            denom = minus - 2.0 * centre + plus
            return 0.0 if denom >= 0 else float(np.clip(0.5 * (minus - plus) / denom, -0.5, 0.5))
        rows, cols = response.shape
        dy = offset(float(response[iy - 1, ix]), float(response[iy, ix]),
                    float(response[iy + 1, ix])) if 0 < iy < rows - 1 else 0.0
        dx = offset(float(response[iy, ix - 1]), float(response[iy, ix]),
                    float(response[iy, ix + 1])) if 0 < ix < cols - 1 else 0.0
        return iy + dy, ix + dx

    def _distractors(self, response: torch.Tensor, win: CropWindow, best_yx: Tuple[int, int],
                     size_wh: Sequence[float]) -> List[Tuple[Tuple[float, float, float, float], float]]:
        """Runner-up local maxima (not the chosen peak) as (box_xywh, confidence), best first."""
        cfg = self.cfg
        if cfg.max_distractors == 0:
            return []
        cells = max(1.0, min(float(size_wh[0]), float(size_wh[1])) * win.scale / self.stride)
        kernel = max(3, int(round(cells)) | 1)
        pooled = F.max_pool2d(response[None, None], kernel, 1, kernel // 2)[0, 0]
        best_raw = float(response.max())
        threshold = max(cfg.confidence_floor, cfg.distractor_min_ratio * best_raw)
        peaks = (response == pooled) & (response >= threshold)
        ys, xs = torch.nonzero(peaks, as_tuple=True)
        if ys.numel() == 0:
            return []
        values = response[ys, xs]
        order = torch.argsort(values, descending=True)
        min_dist = 0.75 * cells
        out = []
        for k in order.tolist():
            y, x = int(ys[k]), int(xs[k])
            if math.hypot(y - best_yx[0], x - best_yx[1]) < min_dist:
                continue
            out.append((self._box_at(win, x, y, size_wh), cfg.confidence(float(values[k]))))
            if len(out) == cfg.max_distractors:
                break
        return out

    def _require_target(self) -> None:
        if self.state is None or self._template is None:
            raise NotInitializedError("tracker has no target: call initialize(frame, box) first")
