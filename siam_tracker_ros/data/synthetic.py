"""Deterministic synthetic tracking sequences with exact ground truth and per-frame visibility.

A textured target (smooth noise, checker or blob texture in distinctive colours) moves over a
textured, slowly panning background. A :class:`SyntheticSpec` switches on the challenges:
scale change, fast motion (large jumps), in-plane rotation, partial/full occlusion by an
occluder patch, out-of-view with re-entry through a *different* border, look-alike distractors
(a copy of the target texture or another instance of the same family and palette), global
illumination change and motion blur.

Ground truth (see :mod:`siam_tracker_ros.data.sequence`):

* the box is the tight axis-aligned box of the target rectangle (of the rotated rectangle when
  it rotates), in continuous 0-based pixel coordinates; pixel (row i, column j) belongs to the
  target when its centre (j + 0.5, i + 0.5) lies inside the rectangle;
* when the target is partly outside the frame the box is clipped to the frame
  [0, W] x [0, H], as long as at least ``MIN_VISIBLE_FRACTION`` (10 %) of the target area lies
  inside; below that the target counts as absent (box NaN, ``visible`` False);
* occlusion does not change the box (the position is known); ``visibility_ratio`` is the
  fraction of the target area that is in the frame and not covered by the occluder, and
  ``visible`` is ``visibility_ratio >= MIN_VISIBLE_FRACTION`` (so a full occlusion gives a finite
  box with ``visible`` False);
* ``polygons`` holds the 4 corners of the (rotated) rectangle, unclipped, NaN where absent.

Generation is a pure function of the spec: every random number comes from generators seeded by
``spec.seed`` (sensor noise of frame t from seed (spec.seed, t)), and pixels are computed with
element-wise integer/float arithmetic only (no BLAS, no OpenCV, no per-pixel transcendental
functions), so frames are bit-identical across machines. Frames are rendered lazily: a sequence
holds only textures and per-frame geometry (a few hundred kB), ``frames[t]`` renders frame t
(~2 ms at 320x240).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..core.errors import ConfigError
from .sequence import FrameSource, Sequence

__all__ = ["SyntheticSpec", "Sequence", "SyntheticFrames", "generate_sequence", "PRESETS",
           "load_preset", "ATTRIBUTES", "MIN_VISIBLE_FRACTION", "TEXTURE_FAMILIES", "DISTRACTOR_KINDS"]

MIN_VISIBLE_FRACTION = 0.1
TEXTURE_FAMILIES = ("noise", "checker", "blobs")
DISTRACTOR_KINDS = ("alternate", "copy", "instance", "recolored")
ATTRIBUTES = ("scale_change", "fast_motion", "rotation", "partial_occlusion", "full_occlusion",
              "out_of_view", "distractors", "illumination_change", "motion_blur")

_MARGIN_PX = 4.0          # the free-moving target keeps this far from the borders
_PAN_PX = 24              # background pan amplitude (pixels, each axis)
_NOISE_LEVEL = 3          # sensor noise: uniform integers in [-3, 3] per pixel and channel
_TRANSITION_FRAMES = 10   # frames to leave the frame before / to come in after an out-of-view
_RECOLOR_PERCENT = 35     # "recolored" distractors: mix with the channel-permuted texture
_OCCLUDER_RAMP = 3        # frames an occluder takes to slide fully in (and out)


@dataclass(frozen=True)
class SyntheticSpec:
    """Recipe of one synthetic sequence (all sizes in pixels, times in frames).

    scale_range: (start, end) scale factor of the target, interpolated smoothly (smoothstep).
    speed_px: typical per-frame displacement of the target centre.
    fast_motion_frames: (start, length) windows in which the target jumps 0.5-1.2 target sizes
    per frame. rotation_deg_per_frame: in-plane rotation speed.
    occlusions: (start, length, fraction) windows; an occluder slides over ``fraction`` of the
    target (1.0 = full) during ``length`` frames (ramping in/out over 3 frames).
    out_of_view: (start, length): the target leaves through the nearest border during the 10
    frames before ``start``, is absent from frame ``start`` for about ``length`` frames, then
    re-enters through a different border. distractors: number of look-alikes.
    distractor_kind: "alternate" (copies of the target texture at even indices, other instances
    of the same family and palette at odd ones), "copy", "instance", or "recolored" (the target
    texture with its colours moved 35 % of the way to the channel permutation B,G,R -> G,R,B:
    same pattern and brightness, visibly different hues: a look-alike that a tracker scores high
    but that an appearance memory can tell apart).
    illumination_change: amplitude of the global gain change (0.4 = gain between 0.6 and 1.4).
    motion_blur: blur the target along its motion when it moves fast.
    """

    seed: int
    num_frames: int
    frame_size_wh: Tuple[int, int] = (320, 240)
    target_size_wh: Tuple[int, int] = (48, 40)
    scale_range: Tuple[float, float] = (1.0, 1.0)
    speed_px: float = 2.0
    fast_motion_frames: Tuple[Tuple[int, int], ...] = ()
    rotation_deg_per_frame: float = 0.0
    occlusions: Tuple[Tuple[int, int, float], ...] = ()
    out_of_view: Tuple[Tuple[int, int], ...] = ()
    distractors: int = 0
    distractor_kind: str = "alternate"
    illumination_change: float = 0.0
    motion_blur: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        where = f"synthetic spec {self.name or self.seed}"
        n = self.num_frames
        if n < 2:
            raise ConfigError(f"{where}: num_frames must be >= 2, got {n}")
        fw, fh = self.frame_size_wh
        tw, th = self.target_size_wh
        if fw < 16 or fh < 16 or tw < 4 or th < 4:
            raise ConfigError(f"{where}: frame (>=16 px) or target (>=4 px) too small")
        if min(self.scale_range) <= 0:
            raise ConfigError(f"{where}: scale factors must be > 0, got {self.scale_range}")
        if tw * max(self.scale_range) > fw / 2 or th * max(self.scale_range) > fh / 2:
            raise ConfigError(f"{where}: target must stay smaller than half the frame")
        if self.speed_px < 0 or self.distractors < 0 or not 0 <= self.illumination_change < 1:
            raise ConfigError(f"{where}: need speed_px >= 0, distractors >= 0, "
                              f"0 <= illumination_change < 1")
        if self.distractor_kind not in DISTRACTOR_KINDS:
            raise ConfigError(f"{where}: distractor_kind must be one of {', '.join(DISTRACTOR_KINDS)}, "
                              f"got {self.distractor_kind!r}")
        for start, length in self.fast_motion_frames:
            if start < 1 or length < 1 or start + length > n:
                raise ConfigError(f"{where}: fast motion window ({start}, {length}) outside 1..{n - 1}")
        windows = []
        for start, length, fraction in self.occlusions:
            if start < 1 or length < 1 or start + length > n or not 0 < fraction <= 1:
                raise ConfigError(f"{where}: bad occlusion ({start}, {length}, {fraction})")
            windows.append((start, start + length))
        for start, length in self.out_of_view:
            if start < 2 or length < 1 or start + length > n - 5:
                raise ConfigError(f"{where}: out-of-view ({start}, {length}) must lie in 2..{n - 6}")
            windows.append((max(1, start - _TRANSITION_FRAMES),
                            min(n, start + length + _TRANSITION_FRAMES)))
        windows.sort()
        for (_, end_a), (start_b, _) in zip(windows, windows[1:]):
            if start_b < end_a:
                raise ConfigError(f"{where}: occlusion / out-of-view windows overlap "
                                  f"(out-of-view needs {_TRANSITION_FRAMES} free frames each side)")

    @property
    def attributes(self) -> Tuple[str, ...]:
        """Challenge tags this spec switches on (subset of :data:`ATTRIBUTES`, in that order)."""
        tags = {
            "scale_change": self.scale_range[0] != self.scale_range[1],
            "fast_motion": bool(self.fast_motion_frames),
            "rotation": self.rotation_deg_per_frame != 0,
            "partial_occlusion": any(f < 1 for _, _, f in self.occlusions),
            "full_occlusion": any(f >= 1 for _, _, f in self.occlusions),
            "out_of_view": bool(self.out_of_view),
            "distractors": self.distractors > 0,
            "illumination_change": self.illumination_change > 0,
            "motion_blur": self.motion_blur,
        }
        return tuple(name for name in ATTRIBUTES if tags[name])


# --------------------------------------------------------------------------- textures

def _hsv_to_bgr(hue: float, sat: float, val: float) -> np.ndarray:
    """One colour: hue in [0, 1), saturation/value in [0, 1] -> (3,) float32 BGR in [0, 255]."""
    h6 = (hue % 1.0) * 6.0
    sector = int(h6)
    frac = h6 - sector
    p, q, t = val * (1 - sat), val * (1 - sat * frac), val * (1 - sat * (1 - frac))
    r, g, b = [(val, t, p), (q, val, p), (p, val, t), (p, q, val), (t, p, val), (val, p, q)][sector % 6]
    return np.array([b, g, r], dtype=np.float32) * 255.0


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int, channels: int) -> np.ndarray:
    """(h, w, channels) float32 in [0, 1]: bilinear interpolation of a random grid whose cells
    are ~``max(h, w) / cells`` pixels (element-wise arithmetic only)."""
    gy = max(1, int(round(cells * h / max(h, w))))
    gx = max(1, int(round(cells * w / max(h, w))))
    grid = rng.random((gy + 1, gx + 1, channels), dtype=np.float32)
    ys = (np.arange(h, dtype=np.float32) + 0.5) * (gy / h)
    xs = (np.arange(w, dtype=np.float32) + 0.5) * (gx / w)
    y0 = np.minimum(ys.astype(np.int64), gy - 1)
    x0 = np.minimum(xs.astype(np.int64), gx - 1)
    fy = (ys - y0)[:, None, None]
    fx = (xs - x0)[None, :, None]
    fy = fy * fy * (3 - 2 * fy)   # smoothstep: no visible grid lines
    fx = fx * fx * (3 - 2 * fx)
    top = grid[y0][:, x0] * (1 - fx) + grid[y0][:, x0 + 1] * fx
    bottom = grid[y0 + 1][:, x0] * (1 - fx) + grid[y0 + 1][:, x0 + 1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


def _palette(rng: np.random.Generator) -> np.ndarray:
    """(3, 3) float32 BGR: three saturated colours with well separated hues."""
    hue = float(rng.random())
    offsets = (0.0, 0.33 + 0.1 * float(rng.random()), 0.62 + 0.1 * float(rng.random()))
    return np.stack([_hsv_to_bgr(hue + o, 0.65 + 0.35 * float(rng.random()),
                                 0.55 + 0.45 * float(rng.random())) for o in offsets])


def _texture(rng: np.random.Generator, family: str, palette: np.ndarray, h: int, w: int) -> np.ndarray:
    """(h, w, 3) uint8 BGR texture of one family drawn in ``palette`` colours."""
    shade = _smooth_noise(rng, h, w, 3, 1)
    if family == "noise":
        n1 = _smooth_noise(rng, h, w, 4, 1)
        n2 = _smooth_noise(rng, h, w, 9, 1)
        mix = np.clip((0.65 * n1 + 0.35 * n2 - 0.5) * 2.2 + 0.5, 0, 1)
        img = palette[0] * (1 - mix) + palette[1] * mix
        img = img + (palette[2] - img) * np.clip(n2 * 2.0 - 1.4, 0, 1)
    elif family == "checker":
        cell = 5 + int(rng.integers(0, 6))
        ox, oy = int(rng.integers(0, cell)), int(rng.integers(0, cell))
        yy = (np.arange(h)[:, None] + oy) // cell
        xx = (np.arange(w)[None, :] + ox) // cell
        odd = ((yy + xx) % 2).astype(np.float32)[..., None]
        img = palette[0] * (1 - odd) + palette[1] * odd
        stripe = ((xx // 3) % 2 == 0) & ((yy // 3) % 2 == 0)
        img = np.where(stripe[..., None], img * 0.5 + palette[2] * 0.5, img)
    elif family == "blobs":
        img = np.broadcast_to(palette[0], (h, w, 3)).astype(np.float32)
        yy = np.arange(h, dtype=np.float32)[:, None] + 0.5
        xx = np.arange(w, dtype=np.float32)[None, :] + 0.5
        for k in range(6 + int(rng.integers(0, 4))):
            cy, cx = float(rng.random()) * h, float(rng.random()) * w
            radius = (0.15 + 0.2 * float(rng.random())) * min(h, w)
            d2 = ((yy - cy) ** 2 + (xx - cx) ** 2) / (radius * radius)
            weight = np.clip(1 - d2, 0, 1)
            weight = (weight * weight)[..., None]
            img = img * (1 - weight) + palette[1 + k % 2] * weight
    else:  # pragma: no cover - guarded by callers
        raise ConfigError(f"unknown texture family {family!r}")
    img = img * (0.75 + 0.5 * shade)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def _background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """(h, w, 3) uint8 muted, cluttered background: two octaves of coloured noise plus
    rectangles of muted colours."""
    base = _smooth_noise(rng, h, w, 6, 3) * 0.6 + _smooth_noise(rng, h, w, 24, 3) * 0.4
    grey = _smooth_noise(rng, h, w, 12, 1)
    img = (base * 0.45 + grey * 0.55) * 200.0 + 20.0
    for _ in range(18):
        rh, rw = int(rng.integers(6, h // 5)), int(rng.integers(6, w // 5))
        y, x = int(rng.integers(0, h - rh)), int(rng.integers(0, w - rw))
        colour = _hsv_to_bgr(float(rng.random()), 0.15 + 0.3 * float(rng.random()),
                             0.25 + 0.6 * float(rng.random()))
        alpha = 0.5 + 0.4 * float(rng.random())
        img[y:y + rh, x:x + rw] = img[y:y + rh, x:x + rw] * (1 - alpha) + colour * alpha
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- geometry

def _smoothstep(t: np.ndarray) -> np.ndarray:
    return t * t * (3 - 2 * t)


def _half_extent(size_wh: np.ndarray, angle: float) -> Tuple[float, float]:
    """Half width/height of the axis-aligned box of a rectangle rotated by ``angle``."""
    c, s = abs(math.cos(angle)), abs(math.sin(angle))
    w, h = float(size_wh[0]), float(size_wh[1])
    return 0.5 * (w * c + h * s), 0.5 * (w * s + h * c)


def _random_walk(rng: np.random.Generator, n: int, frame_wh: Tuple[int, int], sizes: np.ndarray,
                 angles: np.ndarray, speed: float, fast: np.ndarray, start_xy: np.ndarray) -> np.ndarray:
    """(n, 2) centres of a smooth random walk that bounces off the frame borders (keeping the
    whole object inside); frames flagged in ``fast`` jump 0.5-1.2 object sizes."""
    turn = rng.normal(0.0, 0.18, n)
    speed_factor = 0.6 + 0.8 * _smooth_noise(rng, n, 1, max(2, n // 25), 1)[:, 0, 0]
    jump_angle = rng.random(n) * 2 * math.pi
    jump_len = 0.5 + 0.7 * rng.random(n)
    heading = float(rng.random()) * 2 * math.pi
    fw, fh = frame_wh
    centres = np.empty((n, 2))
    p = start_xy.astype(np.float64).copy()
    centres[0] = p
    for t in range(1, n):
        hx, hy = _half_extent(sizes[t], angles[t])
        lo = np.array([hx + _MARGIN_PX, hy + _MARGIN_PX])
        hi = np.array([fw - hx - _MARGIN_PX, fh - hy - _MARGIN_PX])
        heading += turn[t]
        if fast[t]:
            step = float(max(sizes[t])) * jump_len[t]
            v = np.array([math.cos(jump_angle[t]), math.sin(jump_angle[t])]) * step
        else:
            v = np.array([math.cos(heading), math.sin(heading)]) * speed * speed_factor[t]
        p = p + v
        for axis in range(2):
            if lo[axis] >= hi[axis]:
                p[axis] = 0.5 * (lo[axis] + hi[axis])
                continue
            if p[axis] < lo[axis] or p[axis] > hi[axis]:
                p[axis] = 2 * lo[axis] - p[axis] if p[axis] < lo[axis] else 2 * hi[axis] - p[axis]
                p[axis] = min(max(p[axis], lo[axis]), hi[axis])
                if not fast[t]:  # bounce: mirror the heading on that axis
                    heading = math.pi - heading if axis == 0 else -heading
        centres[t] = p
    return centres


def _border_point(border: int, along: float, frame_wh: Tuple[int, int], hx: float, hy: float) -> np.ndarray:
    """Centre just outside ``border`` (0 left, 1 right, 2 top, 3 bottom) so that the object
    (half extents hx, hy) is completely outside; ``along`` in [0, 1] places it along the border."""
    fw, fh = frame_wh
    if border == 0:
        return np.array([-hx - 1.0, along * fh])
    if border == 1:
        return np.array([fw + hx + 1.0, along * fh])
    if border == 2:
        return np.array([along * fw, -hy - 1.0])
    return np.array([along * fw, fh + hy + 1.0])


@dataclass
class _Object:
    """A textured rectangle: per-frame centre (n, 2), size (n, 2), angle (n,) and presence."""

    texture: np.ndarray
    centres: np.ndarray
    sizes: np.ndarray
    angles: np.ndarray
    present: np.ndarray


def _object_pixels(obj: _Object, t: int, frame_wh: Tuple[int, int], centre: Optional[np.ndarray] = None):
    """Pixels of object ``obj`` at frame t inside the frame: (x0, y0, mask (h, w) bool, colours
    (h, w, 3) uint8) or None when nothing is inside. Nearest-neighbour texture sampling."""
    cx, cy = obj.centres[t] if centre is None else centre
    w, h = float(obj.sizes[t, 0]), float(obj.sizes[t, 1])
    angle = float(obj.angles[t])
    hx, hy = _half_extent(obj.sizes[t], angle)
    fw, fh = frame_wh
    x0, x1 = max(0, int(math.floor(cx - hx))), min(fw, int(math.ceil(cx + hx)))
    y0, y1 = max(0, int(math.floor(cy - hy))), min(fh, int(math.ceil(cy + hy)))
    if x1 <= x0 or y1 <= y0:
        return None
    c, s = math.cos(angle), math.sin(angle)
    dx = (np.arange(x0, x1, dtype=np.float64) + 0.5 - cx)[None, :]
    dy = (np.arange(y0, y1, dtype=np.float64) + 0.5 - cy)[:, None]
    lx = dx * c + dy * s          # rotate by -angle into the object's frame
    ly = dy * c - dx * s
    mask = (np.abs(lx) < 0.5 * w) & (np.abs(ly) < 0.5 * h)
    if not mask.any():
        return None
    th, tw = obj.texture.shape[:2]
    u = np.clip(((lx / w + 0.5) * tw).astype(np.int64), 0, tw - 1)
    v = np.clip(((ly / h + 0.5) * th).astype(np.int64), 0, th - 1)
    return x0, y0, mask, obj.texture[v, u]


def _paste(frame: np.ndarray, pixels) -> None:
    if pixels is None:
        return
    x0, y0, mask, colours = pixels
    region = frame[y0:y0 + mask.shape[0], x0:x0 + mask.shape[1]]
    region[mask] = colours[mask]


def _occluder_rect(box_xyxy: np.ndarray, side: int, fraction: float) -> np.ndarray:
    """Occluder rectangle (x0, y0, x1, y1) covering ``fraction`` of the box from ``side``
    (0 left, 1 right, 2 top, 3 bottom), with a margin across and beyond the box."""
    x0, y0, x1, y1 = box_xyxy
    w, h = x1 - x0, y1 - y0
    pad_w, pad_h = 0.2 * w + 2, 0.2 * h + 2
    extra = 2.0 if fraction >= 1 else 0.0
    if side == 0:
        return np.array([x0 - pad_w, y0 - pad_h, x0 + fraction * w + extra, y1 + pad_h])
    if side == 1:
        return np.array([x1 - fraction * w - extra, y0 - pad_h, x1 + pad_w, y1 + pad_h])
    if side == 2:
        return np.array([x0 - pad_w, y0 - pad_h, x1 + pad_w, y0 + fraction * h + extra])
    return np.array([x0 - pad_w, y1 - fraction * h - extra, x1 + pad_w, y1 + pad_h])


def _rect_pixels(rect_xyxy: np.ndarray, frame_wh: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """Integer pixel range (x0, y0, x1, y1) whose centres lie inside a continuous rectangle,
    clipped to the frame."""
    fw, fh = frame_wh
    x0 = max(0, int(math.ceil(rect_xyxy[0] - 0.5)))
    y0 = max(0, int(math.ceil(rect_xyxy[1] - 0.5)))
    x1 = min(fw, int(math.ceil(rect_xyxy[2] - 0.5)))
    y1 = min(fh, int(math.ceil(rect_xyxy[3] - 0.5)))
    return x0, y0, max(x0, x1), max(y0, y1)


# --------------------------------------------------------------------------- rendering

class SyntheticFrames(FrameSource):
    """Lazy frames of one synthetic sequence: ``frames[t]`` renders frame t (HxWx3 uint8 BGR),
    deterministically and independently of the access order."""

    def __init__(self, seed: int, frame_wh: Tuple[int, int], background: np.ndarray,
                 pan_xy: np.ndarray, target: _Object, distractors: List[_Object],
                 occluders: List[Tuple[np.ndarray, Optional[np.ndarray]]], gains_q8: np.ndarray,
                 blur: bool):
        self.seed = seed
        self.frame_wh = frame_wh
        self.background = background
        self.pan_xy = pan_xy
        self.target = target
        self.distractors = distractors
        self.occluders = occluders      # per frame: (texture, rect_xyxy or None)
        self.gains_q8 = gains_q8        # (n, 3) int32 per-channel gain, 256 = 1.0
        self.blur = blur

    def __len__(self) -> int:
        return int(self.target.centres.shape[0])

    def _load(self, t: int) -> np.ndarray:
        fw, fh = self.frame_wh
        px, py = int(self.pan_xy[t, 0]), int(self.pan_xy[t, 1])
        frame = self.background[py:py + fh, px:px + fw].copy()
        for obj in self.distractors:
            if obj.present[t]:
                _paste(frame, _object_pixels(obj, t, self.frame_wh))
        if self.target.present[t]:
            self._draw_target(frame, t)
        texture, rect = self.occluders[t]
        if rect is not None:
            x0, y0, x1, y1 = _rect_pixels(rect, self.frame_wh)
            if x1 > x0 and y1 > y0:
                frame[y0:y1, x0:x1] = texture[:y1 - y0, :x1 - x0]
        noise = np.random.default_rng((self.seed, t)).integers(
            -_NOISE_LEVEL, _NOISE_LEVEL + 1, size=frame.shape, dtype=np.int32)
        out = (frame.astype(np.int32) * self.gains_q8[t]) // 256 + noise
        return np.clip(out, 0, 255).astype(np.uint8)

    def _draw_target(self, frame: np.ndarray, t: int) -> None:
        target = self.target
        velocity = target.centres[t] - target.centres[t - 1] if t > 0 and target.present[t - 1] else None
        speed = 0.0 if velocity is None else float(np.hypot(*velocity))
        if not self.blur or speed < 6.0:
            _paste(frame, _object_pixels(target, t, self.frame_wh))
            return
        # Motion blur: average K renderings spread over 60 % of the last displacement.
        k = min(9, int(math.ceil(speed / 3.0)))
        renders = []
        for i in range(k):
            offset = (i / (k - 1) - 0.5) * 0.6
            renders.append(_object_pixels(target, t, self.frame_wh, target.centres[t] + offset * velocity))
        renders = [r for r in renders if r is not None]
        if not renders:
            return
        x0 = min(r[0] for r in renders)
        y0 = min(r[1] for r in renders)
        x1 = max(r[0] + r[2].shape[1] for r in renders)
        y1 = max(r[1] + r[2].shape[0] for r in renders)
        base = frame[y0:y1, x0:x1]
        acc = np.zeros(base.shape, dtype=np.int32)
        for rx, ry, mask, colours in renders:
            layer = base.copy()
            _paste(layer, (rx - x0, ry - y0, mask, colours))
            acc += layer
        frame[y0:y1, x0:x1] = ((acc + len(renders) // 2) // len(renders)).astype(np.uint8)


# --------------------------------------------------------------------------- generation

def _windows_mask(n: int, windows) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for window in windows:
        mask[window[0]:window[0] + window[1]] = True
    return mask


def generate_sequence(spec: SyntheticSpec) -> Sequence:
    """Build the sequence described by ``spec`` (same spec -> bit-identical frames and truth).

    Returns a :class:`Sequence` whose ``frames`` is a lazy :class:`SyntheticFrames`, with
    ``boxes_xywh`` (N, 4) float64 (NaN rows while absent), ``visible`` (N,) bool,
    ``visibility_ratio`` (N,) float64, ``polygons`` (N, 4, 2), ``attributes`` =
    ``spec.attributes`` and per-frame ``frame_flags``: ``out_of_view``, ``occluded`` (an
    occluder overlaps the target), ``fast_motion``.
    """
    n = spec.num_frames
    fw, fh = spec.frame_size_wh
    frame_wh = (fw, fh)
    rng = np.random.default_rng(spec.seed)
    family = TEXTURE_FAMILIES[int(rng.integers(0, len(TEXTURE_FAMILIES)))]
    palette = _palette(rng)

    # Scale and rotation per frame.
    progress = _smoothstep(np.linspace(0.0, 1.0, n))
    scales = spec.scale_range[0] + (spec.scale_range[1] - spec.scale_range[0]) * progress
    base_wh = np.array(spec.target_size_wh, dtype=np.float64)
    sizes = scales[:, None] * base_wh[None, :]
    angles = np.deg2rad(spec.rotation_deg_per_frame) * np.arange(n, dtype=np.float64)
    max_scale = max(spec.scale_range)
    tex_w = int(math.ceil(base_wh[0] * max_scale))
    tex_h = int(math.ceil(base_wh[1] * max_scale))
    target_texture = _texture(rng, family, palette, tex_h, tex_w)

    # Trajectory: bouncing random walk, then out-of-view excursions spliced in.
    fast = _windows_mask(n, spec.fast_motion_frames)
    start_xy = np.array([fw * (0.35 + 0.3 * rng.random()), fh * (0.35 + 0.3 * rng.random())])
    centres = _random_walk(rng, n, frame_wh, sizes, angles, spec.speed_px, fast, start_xy)
    present = np.ones(n, dtype=bool)
    out_of_view = np.zeros(n, dtype=bool)
    for start, length in spec.out_of_view:
        end = start + length
        a = max(0, start - _TRANSITION_FRAMES)
        hx, hy = _half_extent(sizes[start], angles[start])
        p = centres[a]
        gaps = (p[0], fw - p[0], p[1], fh - p[1])
        exit_border = int(np.argmin(gaps))
        along = (p[1] / fh) if exit_border < 2 else (p[0] / fw)
        exit_xy = _border_point(exit_border, along, frame_wh, hx, hy)
        for t in range(a + 1, start + 1):
            f = (t - a) / (start - a)
            centres[t] = p + (exit_xy - p) * f
        present[start:end] = False
        out_of_view[start:end] = True
        choices = [b for b in range(4) if b != exit_border]
        entry_border = choices[int(rng.integers(0, 3))]
        hx, hy = _half_extent(sizes[end - 1], angles[end - 1])
        entry_xy = _border_point(entry_border, 0.2 + 0.6 * float(rng.random()), frame_wh, hx, hy)
        # Come in perpendicular to the border, then walk on from there.
        inward = np.array([(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)][entry_border])
        depth = 2 * (hx if entry_border < 2 else hy) + 2 * _MARGIN_PX + 1.5 * spec.speed_px * _TRANSITION_FRAMES
        b = min(n - 1, end - 1 + _TRANSITION_FRAMES)
        hx, hy = _half_extent(sizes[b], angles[b])
        q = np.clip(entry_xy + inward * depth, [hx + _MARGIN_PX, hy + _MARGIN_PX],
                    [fw - hx - _MARGIN_PX, fh - hy - _MARGIN_PX])
        centres[start:end] = exit_xy
        centres[end - 1] = entry_xy
        for t in range(end, b + 1):
            f = (t - (end - 1)) / (b - (end - 1))
            centres[t] = entry_xy + (q - entry_xy) * f
        if b < n - 1:
            centres[b:] = _random_walk(rng, n - b, frame_wh, sizes[b:], angles[b:], spec.speed_px,
                                       fast[b:], q)
    target = _Object(target_texture, centres, sizes, angles, present)

    # Distractors: copies (even index) or same family/palette instances (odd index) by default.
    distractors = []
    for k in range(spec.distractors):
        kind = spec.distractor_kind
        if kind == "alternate":
            kind = "copy" if k % 2 == 0 else "instance"
        if kind == "copy":
            texture = target_texture
        elif kind == "recolored":  # 35 % of the way to the channel permutation (integer mix)
            mixed = target_texture.astype(np.int32) * (100 - _RECOLOR_PERCENT) + \
                target_texture[..., [1, 2, 0]].astype(np.int32) * _RECOLOR_PERCENT
            texture = ((mixed + 50) // 100).astype(np.uint8)
        else:
            texture = _texture(rng, family, palette, tex_h, tex_w)
        for _ in range(50):  # start (if possible) two target diagonals away from the target
            start = np.array([fw * (0.1 + 0.8 * rng.random()), fh * (0.1 + 0.8 * rng.random())])
            if np.hypot(*(start - centres[0])) > 2 * np.hypot(*sizes[0]):
                break
        d_angles = angles + float(rng.random()) * 0.5 if spec.rotation_deg_per_frame else angles.copy()
        path = _random_walk(rng, n, frame_wh, sizes, d_angles, max(1.0, spec.speed_px) * 1.2,
                            np.zeros(n, dtype=bool), start)
        distractors.append(_Object(texture, path, sizes.copy(), d_angles, np.ones(n, dtype=bool)))

    # Occluders, attached to the target box while their window lasts.
    occluders: List[Tuple[np.ndarray, Optional[np.ndarray]]] = [(None, None)] * n  # type: ignore
    occluded = np.zeros(n, dtype=bool)
    occ_size = int(math.ceil(2.0 * float(np.hypot(*base_wh)) * max_scale)) + 8
    for start, length, fraction in spec.occlusions:
        occ_palette = np.stack([_hsv_to_bgr(float(rng.random()), 0.2, 0.3 + 0.4 * float(rng.random()))
                                for _ in range(3)])
        occ_texture = _texture(rng, "noise", occ_palette, occ_size, occ_size)
        side = int(rng.integers(0, 4))
        ramp = min(_OCCLUDER_RAMP, max(0, (length - 1) // 2))
        for t in range(start, start + length):
            cover = min(1.0, (t - start + 1) / (ramp + 1), (start + length - t) / (ramp + 1))
            hx, hy = _half_extent(sizes[t], angles[t])
            cx, cy = centres[t]
            rect = _occluder_rect(np.array([cx - hx, cy - hy, cx + hx, cy + hy]), side, fraction * cover)
            occluders[t] = (occ_texture, rect)
            occluded[t] = True

    # Ground truth from the geometry (same pixel rule as the renderer).
    boxes = np.full((n, 4), np.nan)
    polygons = np.full((n, 4, 2), np.nan)
    ratio = np.zeros(n)
    for t in range(n):
        if not present[t]:
            continue
        area = float(sizes[t, 0] * sizes[t, 1])
        pixels = _object_pixels(target, t, frame_wh)
        if pixels is None:
            continue
        x0, y0, mask, _ = pixels
        in_frame = float(mask.sum()) / area
        if in_frame < MIN_VISIBLE_FRACTION:
            continue
        seen = mask
        _, rect = occluders[t]
        if rect is not None:
            ox0, oy0, ox1, oy1 = _rect_pixels(rect, frame_wh)
            seen = mask.copy()
            seen[max(0, oy0 - y0):max(0, oy1 - y0), max(0, ox0 - x0):max(0, ox1 - x0)] = False
        ratio[t] = min(1.0, float(seen.sum()) / area)
        cx, cy = centres[t]
        hx, hy = _half_extent(sizes[t], angles[t])
        bx0, by0 = max(0.0, cx - hx), max(0.0, cy - hy)
        bx1, by1 = min(float(fw), cx + hx), min(float(fh), cy + hy)
        boxes[t] = (bx0, by0, bx1 - bx0, by1 - by0)
        c, s = math.cos(angles[t]), math.sin(angles[t])
        half_w, half_h = 0.5 * sizes[t, 0], 0.5 * sizes[t, 1]
        for i, (lx, ly) in enumerate(((-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h))):
            polygons[t, i] = (cx + lx * c - ly * s, cy + lx * s + ly * c)
    visible = np.isfinite(boxes[:, 0]) & (ratio >= MIN_VISIBLE_FRACTION)
    ratio[~np.isfinite(boxes[:, 0])] = 0.0
    if not visible[0]:
        raise ConfigError(f"synthetic spec {spec.name or spec.seed}: target not visible on frame 0")

    # Background pan (integer offsets, smooth) and illumination gains.
    background = _background(rng, fh + 2 * _PAN_PX, fw + 2 * _PAN_PX)
    pan_noise = _smooth_noise(rng, n, 1, max(2, n // 60), 2)[:, 0, :]
    pan_xy = np.clip(np.rint(pan_noise * 2 * _PAN_PX), 0, 2 * _PAN_PX).astype(np.int64)
    phases = float(rng.random()) * 2 * math.pi + np.array([0.0, 0.3, 0.6])
    cycles = 1.0 + float(rng.random())
    t_norm = np.arange(n, dtype=np.float64) / max(1, n - 1)
    gains = np.ones((n, 3))
    if spec.illumination_change > 0:
        waves = np.array([[math.sin(2 * math.pi * cycles * tt + ph) for ph in phases] for tt in t_norm])
        gains = 1.0 + spec.illumination_change * waves
    gains_q8 = np.rint(gains * 256).astype(np.int32)

    frames = SyntheticFrames(spec.seed, frame_wh, background, pan_xy, target, distractors,
                             occluders, gains_q8, spec.motion_blur)
    name = spec.name or f"synthetic-{spec.seed}"
    flags = {"out_of_view": out_of_view, "occluded": occluded, "fast_motion": fast}
    return Sequence(name=name, frames=frames, boxes_xywh=boxes, visible=visible,
                    visibility_ratio=ratio, attributes=spec.attributes, polygons=polygons,
                    frame_flags=flags)


# --------------------------------------------------------------------------- presets
# Frozen once written: results on a preset stay comparable over time (a test pins checksums).

def _lt_full_specs() -> List[SyntheticSpec]:
    specs = []
    for i in range(20):
        n = 200 + 10 * ((i * 7) % 21)
        ovv = ((n // 3, 15 + 5 * (i % 4)),) if i % 2 == 0 else ()
        occ = ((n // 2 + 20, 12 + 2 * (i % 5), 1.0 if i % 3 == 0 else 0.6),) if i % 5 != 4 else ()
        if i % 3 == 1:
            occ = occ + ((40, 12, 0.5),)
        specs.append(SyntheticSpec(
            seed=2000 + i, num_frames=n, target_size_wh=(36 + 4 * (i % 5), 30 + 5 * (i % 4)),
            scale_range=(1.0, (0.7, 1.0, 1.5, 1.25)[i % 4]), speed_px=1.5 + 0.5 * (i % 4),
            fast_motion_frames=((n - 40, 5),) if i % 4 == 1 else (),
            rotation_deg_per_frame=(0.0, 0.0, 1.0, -0.7)[i % 4],
            occlusions=tuple(sorted(occ)), out_of_view=ovv, distractors=(0, 1, 2, 3, 1)[i % 5],
            illumination_change=(0.0, 0.3, 0.0, 0.45, 0.2)[i % 5], motion_blur=i % 4 == 1,
            name=f"lt-full-{i + 1:02d}"))
    return specs


PRESETS: Dict[str, List[SyntheticSpec]] = {
    "lt-small": [
        SyntheticSpec(seed=101, num_frames=120, scale_range=(1.0, 1.7), rotation_deg_per_frame=1.5,
                      name="lt-small-01-scale-rotation"),
        SyntheticSpec(seed=102, num_frames=120, speed_px=3.0, fast_motion_frames=((30, 6), (80, 5)),
                      motion_blur=True, name="lt-small-02-fast-blur"),
        SyntheticSpec(seed=103, num_frames=130, occlusions=((25, 15, 0.5), (70, 20, 1.0)),
                      name="lt-small-03-occlusion"),
        SyntheticSpec(seed=104, num_frames=130, out_of_view=((40, 15),), distractors=1,
                      name="lt-small-04-out-of-view"),
        SyntheticSpec(seed=105, num_frames=120, distractors=3, illumination_change=0.4,
                      name="lt-small-05-distractors-light"),
        SyntheticSpec(seed=106, num_frames=150, scale_range=(1.2, 0.7), occlusions=((15, 10, 0.6),),
                      out_of_view=((60, 20),), fast_motion_frames=((110, 4),), distractors=2,
                      illumination_change=0.3, motion_blur=True, rotation_deg_per_frame=-0.8,
                      name="lt-small-06-mixed"),
    ],
    "st-small": [
        SyntheticSpec(seed=201, num_frames=100, scale_range=(1.0, 1.5), name="st-small-01-scale"),
        SyntheticSpec(seed=202, num_frames=100, rotation_deg_per_frame=2.0, name="st-small-02-rotation"),
        SyntheticSpec(seed=203, num_frames=100, speed_px=3.0, fast_motion_frames=((40, 4),),
                      motion_blur=True, name="st-small-03-fast-blur"),
        SyntheticSpec(seed=204, num_frames=100, occlusions=((30, 12, 0.6),), name="st-small-04-occlusion"),
        SyntheticSpec(seed=205, num_frames=100, distractors=2, name="st-small-05-distractors"),
        SyntheticSpec(seed=206, num_frames=100, illumination_change=0.4, scale_range=(1.0, 0.75),
                      name="st-small-06-light-shrink"),
    ],
    "lt-full": _lt_full_specs(),
}


def load_preset(name: str) -> List[Sequence]:
    """The sequences of preset ``name`` (one of :data:`PRESETS`), frames rendered lazily."""
    if name not in PRESETS:
        raise ConfigError(f"unknown synthetic preset {name!r} (known: {', '.join(sorted(PRESETS))})")
    return [generate_sequence(spec) for spec in PRESETS[name]]
