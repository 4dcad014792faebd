"""``siam-track bench``: per-stage latency, FPS and peak memory of the PySOT-family trackers.

For each config and frame size the tracker is initialised on a seeded synthetic sequence
(rendered before timing) and run over ``--warmup`` + ``--frames`` frames; the table shows the
median of each stage (``TrackResult.extras['timings_ms']``: preprocess = crop + upload,
backbone, head, postprocess), the median and p90 of the whole ``track()`` call, FPS
(1000 / median) and the peak memory of the run (RSS on CPU, ``torch.cuda.max_memory_allocated``
on CUDA), and the ratio to PySOT's own median on the same weights (CPU, 2 threads,
640x480; see ``PYSOT_MEDIAN_MS``). Long-term (``_lt``) trackers are held in their normal
mode for the frame-size rows and add a row for the lost state (831-px search).

On a machine shared with other busy processes, 2 OpenMP threads can be several times slower
than 1 (threads spin waiting for each other); compare figures taken on an idle machine.

Examples::

    siam-track bench                                   # the five PySOT configs, reference weights
    siam-track bench --config siamrpn_alex_dwxcorr --frames 50 --threads 1
    siam-track bench --config path/to/config.yaml --weights model.pth --sizes 1280x720
    siam-track bench --config default --sizes 640x480   # the bundled default tracker
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

# PySOT's median track() time in ms, same seeded weights, CPU, torch 2.13, 2 threads,
# 640x480 frames (parity fixture DIGEST.md §8; the lost row: 831-px searches).
PYSOT_MEDIAN_MS: Dict[str, float] = {
    "siamrpn_alex_dwxcorr": 69.4,
    "siamrpn_mobilev2_l234_dwxcorr": 106.7,
    "siammask_r50_l3": 166.9,
    "siamrpn_r50_l234_dwxcorr": 386.2,
    "siamrpn_r50_l234_dwxcorr_lt": 425.6,
    "siamrpn_r50_l234_dwxcorr_lt (lost)": 5217.0,
}
STAGES = ("preprocess", "backbone", "head", "postprocess")
DEFAULT_SIZES = "640x480,1280x720"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="per-stage latency, FPS and peak memory of the trackers",
        description="Time the PySOT-family trackers on synthetic frames and compare with PySOT.")
    parser.add_argument("--config", action="append", default=[], metavar="NAME|PATH",
                        help="shipped PySOT experiment name, a config.yaml, or one of our tracker "
                             "YAMLs ('default', siamrpn_slim, a file; repeatable; default: the "
                             "five shipped configs)")
    parser.add_argument("--weights", help="checkpoint for a single --config (default: the shipped "
                                          "reference weights, same as PySOT's parity run)")
    parser.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                        help="PySOT config override, e.g. TRACK.LR=0.3 (repeatable)")
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"frame sizes WxH (default {DEFAULT_SIZES})")
    parser.add_argument("--frames", type=int, default=30, help="timed frames per run (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed frames first (default 5)")
    parser.add_argument("--lost-frames", type=int, default=5,
                        help="timed lost-state frames for _lt configs (default 5, 0 = skip)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--device", default="cpu", help="cpu (default) | cuda | cuda:N | auto")
    parser.add_argument("--fast", action="store_true",
                        help="exact=False (CUDA: crop on the device); default: PySOT-exact mode")
    parser.add_argument("--fp16", action="store_true", help="half precision (CUDA only)")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


@dataclass
class BenchRow:
    """One measured (config, frame size) run; times in ms, memory in MiB."""

    config: str
    size: str
    device: str
    threads: int
    frames: int
    stages_ms: Dict[str, float] = field(default_factory=dict)
    total_ms: float = float("nan")
    p90_ms: float = float("nan")
    fps: float = float("nan")
    peak_mem_mib: float = float("nan")
    mem_kind: str = ""
    pysot_ms: Optional[float] = None
    ratio: Optional[float] = None


# ------------------------------------------------------------------------------ inputs
def parse_sizes(text: str) -> List[Tuple[int, int]]:
    """``"640x480,1280x720"`` -> [(640, 480), (1280, 720)] (width, height)."""
    from ..core.errors import ConfigError

    sizes = []
    for item in (s.strip() for s in text.split(",") if s.strip()):
        try:
            width, height = (int(v) for v in item.lower().split("x"))
        except ValueError:
            raise ConfigError(f"--sizes: {item!r} is not WIDTHxHEIGHT") from None
        if width < 64 or height < 64:
            raise ConfigError(f"--sizes: {item} is smaller than 64x64")
        sizes.append((width, height))
    if not sizes:
        raise ConfigError("--sizes: no frame size given")
    return sizes


def parse_overrides(items: Iterable[str]) -> Dict[str, str]:
    from ..core.errors import ConfigError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--override {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def resolve_config(name_or_path: str) -> Tuple[Path, bool]:
    """(config.yaml path, has shipped reference weights)."""
    from ..core.errors import ConfigError
    from ..models.reference_weights import PYSOT_REFERENCE_CONFIGS, pysot_models_dir

    if name_or_path in PYSOT_REFERENCE_CONFIGS:
        return pysot_models_dir() / name_or_path / "config.yaml", True
    path = Path(name_or_path)
    if path.is_dir():
        path = path / "config.yaml"
    if not path.is_file():
        raise ConfigError(f"--config {name_or_path!r}: neither a shipped experiment "
                          f"({', '.join(PYSOT_REFERENCE_CONFIGS)}) nor a config file")
    return path, False


def synthetic_frames(size_wh: Tuple[int, int], count: int, seed: int = 0):
    """``count`` rendered frames (H, W, 3) uint8 of a seeded synthetic sequence and the
    frame-0 ground-truth box (x, y, w, h)."""
    from ..data.synthetic import SyntheticSpec, generate_sequence

    width, height = size_wh
    target = (max(8, width * 96 // 640), max(8, height * 80 // 480))
    seq = generate_sequence(SyntheticSpec(seed=seed, num_frames=max(count, 2), frame_size_wh=size_wh,
                                          target_size_wh=target, speed_px=3.0, name="bench"))
    frames = [np.ascontiguousarray(seq.frames[i]) for i in range(count)]
    box = tuple(float(v) for v in seq.boxes_xywh[0])
    return frames, box


# ------------------------------------------------------------------------------ memory
class PeakMemory:
    """Peak memory of a measured section: CUDA allocator peak, or the process's peak RSS
    (Linux: VmHWM, reset through /proc/self/clear_refs; elsewhere ru_maxrss, never reset)."""

    def __init__(self, device) -> None:
        self.device = device

    @property
    def kind(self) -> str:
        return "cuda_max_allocated" if self.device.type == "cuda" else "rss_peak"

    def reset(self) -> None:
        import torch

        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            return
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
        except OSError:
            pass

    def peak_mib(self) -> float:
        import torch

        if self.device.type == "cuda":
            return torch.cuda.max_memory_allocated(self.device) / 2 ** 20
        try:
            with open("/proc/self/status") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024.0
        except OSError:
            pass
        scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2 ** 20


# ------------------------------------------------------------------------------ timing
def _summarise(row: BenchRow, totals: Sequence[float], stages: Dict[str, List[float]]) -> BenchRow:
    row.frames = len(totals)
    row.total_ms = float(np.median(totals))
    row.p90_ms = float(np.percentile(totals, 90))
    row.fps = 1000.0 / row.total_ms if row.total_ms > 0 else float("inf")
    row.stages_ms = {k: float(np.median(v)) for k, v in stages.items() if v}
    if row.pysot_ms:
        row.ratio = row.total_ms / row.pysot_ms
    return row


def time_tracker(tracker, frames: Sequence[np.ndarray], box_xywh, warmup: int, force_lost: Optional[bool] = None,
                 progress=None) -> Tuple[List[float], Dict[str, List[float]]]:
    """Initialise on frames[0] and track the rest; per-frame wall times (ms) of ``track()``
    after ``warmup`` frames, and each stage's times. ``force_lost`` True/False holds a long-term
    tracker in its lost/normal mode before every call (random weights on synthetic frames would
    otherwise flip it); None leaves it alone."""
    import torch

    from ..core.torch_device import synchronize

    device = getattr(getattr(tracker, "rpn", tracker), "device", torch.device("cpu"))
    tracker.initialize(frames[0], box_xywh)
    totals: List[float] = []
    stages: Dict[str, List[float]] = {k: [] for k in STAGES}
    for index, frame in enumerate(frames[1:]):
        if force_lost is not None:
            tracker.lost = force_lost
        synchronize(device)
        start = time.perf_counter()
        result = tracker.track(frame)
        synchronize(device)
        elapsed = (time.perf_counter() - start) * 1000.0
        if index >= warmup:
            totals.append(elapsed)
            for key, value in (result.extras or {}).get("timings_ms", {}).items():
                if key in stages:
                    stages[key].append(float(value))
        if progress is not None:
            progress.update(1)
    return totals, stages


def _our_format_config(name_or_path: str) -> Optional[Path]:
    """The file of ``name_or_path`` when it is one of our tracker YAMLs ("default", a bundled
    name such as ``siamrpn_slim``, or a file with ``model:`` ...), else None."""
    import yaml

    from ..core.errors import ConfigError
    from ..core.factory import is_pysot_config, resolve_config_path
    from ..models.reference_weights import PYSOT_REFERENCE_CONFIGS

    if name_or_path in PYSOT_REFERENCE_CONFIGS:
        return None
    try:
        path = resolve_config_path(name_or_path)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (ConfigError, OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    return path if isinstance(data, dict) and not is_pysot_config(data) else None


def _bench_ours(path: Path, sizes: Sequence[Tuple[int, int]], args, progress=None) -> List[BenchRow]:
    """Rows of one of our tracker YAMLs (built by the factory; stages when its base reports them)."""
    import torch

    from ..core.config import RuntimeOptions
    from ..core.factory import build_tracker

    options = RuntimeOptions(device=args.device, fp16=args.fp16, exact=not args.fast, num_threads=args.threads)
    tracker = build_tracker(path, args.weights, options, overrides=parse_overrides(args.override) or None)
    device = getattr(getattr(tracker, "base", tracker), "device", torch.device("cpu"))
    memory = PeakMemory(device)
    rows = []
    for size in sizes:
        frames, box = synthetic_frames(size, args.frames + args.warmup + 1)
        row = BenchRow(config=path.stem, size=f"{size[0]}x{size[1]}", device=str(device),
                       threads=torch.get_num_threads(), frames=args.frames, mem_kind=memory.kind,
                       pysot_ms=None)
        memory.reset()
        totals, stages = time_tracker(tracker, frames, box, args.warmup, progress=progress)
        row.peak_mem_mib = memory.peak_mib()
        rows.append(_summarise(row, totals, stages))
        tracker.reset()
    return rows


def bench_config(name_or_path: str, sizes: Sequence[Tuple[int, int]], args, progress=None) -> List[BenchRow]:
    """All rows of one config: each frame size, plus the lost state for long-term trackers."""
    import torch

    ours = _our_format_config(name_or_path)
    if ours is not None:
        return _bench_ours(ours, sizes, args, progress)

    from ..core.config import RuntimeOptions
    from ..core.errors import ConfigError
    from ..core.pysot_config import load_pysot_config
    from ..core.pysot_factory import build_pysot_tracker
    from ..models.reference_weights import reference_state_dict_for

    path, shipped = resolve_config(name_or_path)
    exp = load_pysot_config(path, parse_overrides(args.override) or None)
    if args.weights:
        weights = args.weights
    elif shipped:
        weights = reference_state_dict_for(exp.name)
    else:
        raise ConfigError(f"--config {name_or_path}: no reference weights shipped for it; give --weights")
    options = RuntimeOptions(device=args.device, fp16=args.fp16, exact=not args.fast, num_threads=args.threads)
    tracker = build_pysot_tracker(exp, weights, options)
    device = getattr(getattr(tracker, "rpn", tracker), "device", torch.device("cpu"))
    memory = PeakMemory(device)
    long_term = exp.track.type == "SiamRPNLTTracker"
    runs = [(size, False, args.frames) for size in sizes]
    if long_term and args.lost_frames > 0:
        runs.append((sizes[0], True, args.lost_frames))
    rows = []
    for size, lost, count in runs:
        label = exp.name + (" (lost)" if lost else "")
        warmup = min(args.warmup, 1) if lost else args.warmup
        frames, box = synthetic_frames(size, count + warmup + 1)
        row = BenchRow(config=label, size=f"{size[0]}x{size[1]}", device=str(device),
                       threads=torch.get_num_threads(), frames=count, mem_kind=memory.kind,
                       pysot_ms=PYSOT_MEDIAN_MS.get(label))
        memory.reset()
        totals, stages = time_tracker(tracker, frames, box, warmup, force_lost=lost if long_term else None,
                                      progress=progress)
        row.peak_mem_mib = memory.peak_mib()
        rows.append(_summarise(row, totals, stages))
        tracker.reset()
    return rows


# ------------------------------------------------------------------------------ output
def format_table(rows: Sequence[BenchRow]) -> str:
    header = (f"{'config':38s} {'size':>9s} {'prep':>7s} {'backb':>8s} {'head':>7s} {'post':>6s} "
              f"{'median':>8s} {'p90':>8s} {'FPS':>6s} {'peakMiB':>8s} {'PySOT':>7s} {'ratio':>6s}")
    lines = [header, "-" * len(header)]
    for r in rows:
        s = r.stages_ms
        pysot = f"{r.pysot_ms:7.0f}" if r.pysot_ms else f"{'-':>7s}"
        ratio = f"{r.ratio:6.2f}" if r.ratio is not None else f"{'-':>6s}"
        lines.append(f"{r.config:38s} {r.size:>9s} {s.get('preprocess', float('nan')):7.1f} "
                     f"{s.get('backbone', float('nan')):8.1f} {s.get('head', float('nan')):7.1f} "
                     f"{s.get('postprocess', float('nan')):6.1f} {r.total_ms:8.1f} {r.p90_ms:8.1f} "
                     f"{r.fps:6.1f} {r.peak_mem_mib:8.0f} {pysot} {ratio}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..core.errors import ConfigError
    from ..models.reference_weights import PYSOT_REFERENCE_CONFIGS

    configs = args.config or list(PYSOT_REFERENCE_CONFIGS)
    if args.weights and len(configs) != 1:
        raise ConfigError("--weights needs exactly one --config")
    if args.frames < 1 or args.warmup < 0 or args.threads < 1 or args.lost_frames < 0:
        raise ConfigError("need --frames >= 1, --warmup >= 0, --threads >= 1, --lost-frames >= 0")
    sizes = parse_sizes(args.sizes)
    per_config = len(sizes) * (args.frames + args.warmup)
    total = sum(per_config + (args.lost_frames + min(args.warmup, 1)
                              if c.endswith("_lt") and args.lost_frames else 0) for c in configs)
    progress = None
    if not args.no_progress:
        from tqdm import tqdm
        progress = tqdm(total=total, desc="bench", unit="frame", file=sys.stderr, leave=False)
    rows: List[BenchRow] = []
    try:
        for config in configs:
            rows.extend(bench_config(config, sizes, args, progress))
    finally:
        if progress is not None:
            progress.close()
    print(f"siam-track bench: {rows[0].device if rows else args.device}, {rows[0].threads if rows else args.threads} "
          f"thread(s), {'fast' if args.fast else 'exact'} mode, median of {args.frames} frames after "
          f"{args.warmup} warm-up; times in ms; PySOT = its median on the same weights "
          f"(CPU, 2 threads, 640x480); ratio = ours / PySOT")
    print(format_table(rows))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps([asdict(r) for r in rows], indent=1))
        print(f"wrote {args.json}")
    return 0
