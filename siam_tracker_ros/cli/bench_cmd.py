"""``siam-track bench``: per-stage latency, FPS and peak memory of the trackers, each variant
against the exact mode in the same run.

For each config and frame size every variant (the exact mode, always first and the reference;
``--fast``: fast mode; ``--backend B``: the exact-mode tracker with its network on runtime B) is
built, initialised on the same seeded synthetic sequence (rendered before timing) and run over
``--warmup`` + ``--frames`` frames. By default (``--schedule blocks``) the variants take turns in
``--rounds`` blocks of consecutive frames (the order rotates; each block starts with one untimed
frame): each variant runs alone while it is timed, so one runtime's thread pool does not compete
with another's (torch's OpenMP threads keep spinning after a call and halved the measured speed
of the next variant when the variants alternated frame by frame), and the rounds spread a
change of machine load over all variants. ``--schedule interleaved`` alternates frame by frame
instead (fairer when the load changes quickly, unfair between runtimes). The table shows the median of each
stage (``TrackResult.extras['timings_ms']``: preprocess = crop + upload, backbone, head,
postprocess; a graph runtime reports its whole network call as backbone), the median and p90 of
the whole ``track()`` call, FPS (1000 / median), the process's peak memory over the variant's
solo pass (RSS on CPU, ``torch.cuda.max_memory_allocated`` on CUDA), and the speed-up over the
exact mode (exact / variant) per stage and in total. Long-term (``_lt``) trackers are held in
their normal mode for the frame-size rows and add a row for the lost state (full re-detection
search). NanoTrack configs add OpenCV's ``TrackerNano`` (the upstream ONNX pair) when the
pair is bundled. The load average is printed before and after.

Examples::

    siam-track bench                                   # the five PySOT configs, reference weights
    siam-track bench --config siamrpn_alex_dwxcorr --fast --backend onnxruntime --sizes 640x480
    siam-track bench --config nanotrack_v2 --fast --backend onnxruntime --backend openvino
    siam-track bench --config path/to/config.yaml --weights model.pth --sizes 1280x720
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .tracker_args import add_config_args, add_runtime_args, exact_mode

STAGES = ("preprocess", "backbone", "head", "postprocess")
DEFAULT_SIZES = "640x480,1280x720"
EXACT = "exact"
SCHEDULES = ("blocks", "interleaved")
OPENCV_NANO = "opencv TrackerNano"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="per-stage latency, FPS and peak memory of the trackers",
        description="Time the PySOT-family trackers on synthetic frames and compare with PySOT.")
    add_config_args(parser, repeatable=True,
                    config_help="shipped PySOT experiment name, a config.yaml, or one of our tracker "
                                "YAMLs ('default', siamrpn_slim, a file; repeatable; default: the "
                                "five shipped configs)",
                    weights_help="checkpoint for a single --config (default: the shipped reference "
                                 "weights, same as PySOT's parity run)")
    parser.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                        help="PySOT config override, e.g. TRACK.LR=0.3 (repeatable)")
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"frame sizes WxH (default {DEFAULT_SIZES})")
    parser.add_argument("--frames", type=int, default=30, help="timed frames per run (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed frames first (default 5)")
    parser.add_argument("--lost-frames", type=int, default=5,
                        help="timed lost-state frames for _lt configs (default 5, 0 = skip)")
    add_runtime_args(parser, threads_default=2, threads_help="torch CPU threads (default 2)",
                     fast_help="add the fast mode (exact=False: BN folding, graph runtime; CUDA: "
                               "crop on the device) beside the exact mode",
                     exact_help="the exact mode only (the default)")
    parser.add_argument("--fast-backend", default="auto",
                        help="backend of the fast column (default auto: the fastest installed "
                             "graph runtime)")
    parser.add_argument("--backend", action="append", default=[], metavar="NAME",
                        help="add the exact-mode tracker on this runtime (torch, onnxruntime, "
                             "openvino, tensorrt; repeatable)")
    parser.add_argument("--bf16", action="store_true",
                        help="the fast column asks for bf16 (OpenVINO, CPUs with native bf16)")
    parser.add_argument("--int8", action="store_true",
                        help="add a fast-mode column with the search network quantised to int8 "
                             "(ONNX Runtime)")
    parser.add_argument("--schedule", choices=SCHEDULES, default="blocks",
                        help="blocks (default): the variants take turns in --rounds blocks of "
                             "consecutive frames, each timed alone; interleaved: they alternate "
                             "frame by frame")
    parser.add_argument("--rounds", type=int, default=3,
                        help="blocks per variant with --schedule blocks (default 3)")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


@dataclass
class BenchRow:
    """One measured (config, frame size, variant) run; times in ms, memory in MiB;
    ``speedup``: the exact mode's median over this one (per stage and ``total``)."""

    config: str
    size: str
    variant: str
    device: str
    threads: int
    frames: int
    stages_ms: Dict[str, float] = field(default_factory=dict)
    total_ms: float = float("nan")
    p90_ms: float = float("nan")
    fps: float = float("nan")
    peak_mem_mib: float = float("nan")
    mem_kind: str = ""
    speedup: Dict[str, float] = field(default_factory=dict)


@dataclass
class Variant:
    """A named tracker (or OpenCV tracker) of one bench run."""

    name: str
    tracker: object
    torch_threads: int = 0   # torch threads while this variant runs (0: leave as is)
    totals: List[float] = field(default_factory=list)
    stages: Dict[str, List[float]] = field(default_factory=lambda: {k: [] for k in STAGES})


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


def synthetic_frames(size_wh: Tuple[int, int], count: int, seed: int = 0,
                     target_wh: Optional[Tuple[int, int]] = None):
    """``count`` rendered frames (H, W, 3) uint8 of a seeded synthetic sequence and the
    frame-0 ground-truth box (x, y, w, h); the target is ``target_wh`` px (default 96x80 at
    640x480, scaled with the frame)."""
    from ..data.synthetic import SyntheticSpec, generate_sequence

    width, height = size_wh
    target = target_wh or (max(8, width * 96 // 640), max(8, height * 80 // 480))
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
    row.total_ms = float(np.median(totals)) if totals else float("nan")
    row.p90_ms = float(np.percentile(totals, 90)) if totals else float("nan")
    row.fps = 1000.0 / row.total_ms if row.total_ms > 0 else float("inf")
    row.stages_ms = {k: float(np.median(v)) for k, v in stages.items() if v}
    return row


def _track_timed(variant: Variant, frame: np.ndarray, force_lost: Optional[bool], device,
                 record: bool) -> None:
    from ..core.torch_device import synchronize

    import torch

    tracker = variant.tracker
    if force_lost is not None:
        tracker.lost = force_lost
    if variant.torch_threads:
        torch.set_num_threads(variant.torch_threads)
    synchronize(device)
    start = time.perf_counter()
    result = tracker.track(frame) if hasattr(tracker, "track") else tracker.update(frame)
    synchronize(device)
    elapsed = (time.perf_counter() - start) * 1000.0
    if record:
        variant.totals.append(elapsed)
        extras = getattr(result, "extras", None) or {}
        for key, value in extras.get("timings_ms", {}).items():
            if key in variant.stages:
                variant.stages[key].append(float(value))


def _initialise(variant: Variant, frame: np.ndarray, box_xywh) -> None:
    tracker = variant.tracker
    if hasattr(tracker, "initialize"):
        tracker.initialize(frame, box_xywh)
    else:  # OpenCV tracker
        tracker.init(frame, tuple(int(round(v)) for v in box_xywh))


def _split_blocks(count: int, rounds: int) -> List[range]:
    """``count`` frame indices split into ``rounds`` consecutive, near-equal blocks."""
    rounds = max(1, min(rounds, count))
    edges = [round(i * count / rounds) for i in range(rounds + 1)]
    return [range(edges[i], edges[i + 1]) for i in range(rounds)]


def time_variants(variants: Sequence[Variant], frames: Sequence[np.ndarray], box_xywh, warmup: int,
                  force_lost: Optional[bool] = None, device=None, progress=None,
                  schedule: str = "blocks", rounds: int = 3) -> None:
    """Initialise every variant on frames[0], then track frames[1:] with every variant; the
    per-frame ``track()`` wall times (ms) after ``warmup`` frames and each stage's times go into
    the variants. ``schedule`` "interleaved": the variants take turns on each frame (the order
    rotates by one per frame). "blocks": the warm-up frames, then ``rounds`` blocks of
    consecutive frames, each variant running a whole block before the next one starts (the
    order rotates per block); before each block a variant tracks the frame before the block
    once more, untimed (the previous variant's thread pool may still be spinning).
    ``force_lost`` True/False holds long-term trackers in their lost/normal mode before every
    call."""
    import torch

    device = device or torch.device("cpu")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule {schedule!r}: expected one of {SCHEDULES}")
    for variant in variants:
        _initialise(variant, frames[0], box_xywh)

    def step(variant: Variant, frame_index: int, record: bool) -> None:
        _track_timed(variant, frames[frame_index], force_lost if hasattr(variant.tracker, "lost")
                     else None, device, record)

    count = len(frames) - 1
    if schedule == "interleaved":
        for index in range(count):
            shift = index % len(variants)
            for variant in list(variants[shift:]) + list(variants[:shift]):
                step(variant, 1 + index, index >= warmup)
            if progress is not None:
                progress.update(1)
        return
    warmup = min(warmup, count)
    blocks = [range(0, warmup)] + [range(b.start + warmup, b.stop + warmup)
                                   for b in _split_blocks(count - warmup, rounds)]
    for number, block in enumerate(b for b in blocks if len(b)):
        shift = number % len(variants)
        for variant in list(variants[shift:]) + list(variants[:shift]):
            step(variant, block.start, False)  # settle: the frame before the block, again
            for index in block:
                step(variant, 1 + index, index >= warmup)
        if progress is not None:
            progress.update(len(block))


def solo_peak_memory(variant: Variant, frames: Sequence[np.ndarray], box_xywh, memory: "PeakMemory",
                     force_lost: Optional[bool], device, count: int = 3) -> float:
    """Process peak memory over a short solo pass of one variant (reset before it)."""
    memory.reset()
    _initialise(variant, frames[0], box_xywh)
    for frame in frames[1:1 + count]:
        _track_timed(variant, frame, force_lost if hasattr(variant.tracker, "lost") else None,
                     device, False)
    return memory.peak_mib()


def _our_format_config(name_or_path: str) -> Optional[Path]:
    """The file of ``name_or_path`` when it is one of our tracker YAMLs ("default", a bundled
    name such as ``siamrpn_slim``, or a file with ``model:`` ...), else None."""
    import yaml

    from ..core.errors import ConfigError
    from ..build.factory import is_pysot_config, resolve_config_path
    from ..models.reference_weights import PYSOT_REFERENCE_CONFIGS

    if name_or_path in PYSOT_REFERENCE_CONFIGS:
        return None
    try:
        path = resolve_config_path(name_or_path)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (ConfigError, OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    return path if isinstance(data, dict) and not is_pysot_config(data) else None


def variant_options(args) -> List[Tuple[str, object]]:
    """(name, RuntimeOptions) of the requested variants, the exact mode first."""
    from ..core.config import RuntimeOptions

    common = dict(device=args.device, fp16=args.fp16, num_threads=args.threads)
    out = [(EXACT, RuntimeOptions(exact=True, backend="torch", **common))]
    if not exact_mode(args):
        label = "fast" + (f":{args.fast_backend}" if args.fast_backend != "auto" else "") + \
            ("+bf16" if args.bf16 else "")
        out.append((label, RuntimeOptions(exact=False, backend=args.fast_backend, bf16=args.bf16,
                                          **common)))
    if args.int8:
        out.append(("fast:int8", RuntimeOptions(exact=False, backend="onnxruntime", int8=True,
                                                **common)))
    for backend in args.backend:
        if backend != "torch":
            out.append((backend, RuntimeOptions(exact=True, backend=backend, **common)))
    return out


def opencv_tracker_nano(path: Path) -> Optional[Callable[[], object]]:
    """A factory of OpenCV ``TrackerNano`` on the ONNX pair bundled for the NanoTrack version of
    config ``path`` (None when the config is not NanoTrack or the pair is missing)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        model = data.get("model", {}) if isinstance(data, dict) else {}
    except (OSError, yaml.YAMLError):
        return None
    if model.get("type") != "nanotrack":
        return None
    from ..build.factory import find_bundled_file

    version = model.get("version")
    backbone = find_bundled_file(f"models/nanotrack/v{version}/nanotrack_backbone_sim.onnx")
    head = find_bundled_file(f"models/nanotrack/v{version}/nanotrack_head_sim.onnx")
    if backbone is None or head is None:
        return None
    import cv2

    def build():
        params = cv2.TrackerNano_Params()
        params.backbone, params.neckhead = str(backbone), str(head)
        return cv2.TrackerNano_create(params)
    return build


def _build_all(builder: Callable[[object], object], args) -> List[Variant]:
    """The variants' trackers; each runs with the torch thread count its build chose (a graph
    runtime sets torch to 1 thread, the torch backends use ``--threads``)."""
    import torch

    variants = []
    for name, options in variant_options(args):
        torch.set_num_threads(args.threads)
        tracker = builder(options)
        variants.append(Variant(name, tracker, torch.get_num_threads()))
    torch.set_num_threads(args.threads)
    return variants


def _measure(config_label: str, variants: List[Variant], runs, args, device, memory,
             progress) -> List[BenchRow]:
    import torch

    rows = []
    for size, lost, count in runs:
        label = config_label + (" (lost)" if lost else "")
        warmup = min(args.warmup, 1) if lost else args.warmup
        frames, box = synthetic_frames(size, count + warmup + 1)
        for variant in variants:
            variant.totals, variant.stages = [], {k: [] for k in STAGES}
        active = [v for v in variants if not (lost and not hasattr(v.tracker, "lost"))]
        time_variants(active, frames, box, warmup, force_lost=lost if lost else
                      (False if any(hasattr(v.tracker, "lost") for v in active) else None),
                      device=device, progress=progress, schedule=args.schedule, rounds=args.rounds)
        exact = None
        for variant in active:
            row = BenchRow(config=label, size=f"{size[0]}x{size[1]}", variant=variant.name,
                           device=str(device), threads=args.threads, frames=count,
                           mem_kind=memory.kind)
            _summarise(row, variant.totals, variant.stages)
            row.peak_mem_mib = solo_peak_memory(variant, frames, box, memory, lost, device)
            if exact is None:
                exact = row
            row.speedup = {k: exact.stages_ms[k] / v for k, v in row.stages_ms.items()
                           if v > 0 and k in exact.stages_ms}
            row.speedup["total"] = exact.total_ms / row.total_ms
            rows.append(row)
            if hasattr(variant.tracker, "reset"):
                variant.tracker.reset()
    return rows


def _bench_ours(path: Path, sizes: Sequence[Tuple[int, int]], args, progress=None) -> List[BenchRow]:
    """Rows of one of our tracker YAMLs (built by the factory; stages when its base reports them)."""
    import torch

    from ..build.factory import build_tracker

    overrides = parse_overrides(args.override) or None
    variants = _build_all(lambda options: build_tracker(path, args.weights, options,
                                                        overrides=overrides), args)
    nano = opencv_tracker_nano(path)
    if nano is not None:
        variants.append(Variant(OPENCV_NANO, nano(), 1))
    base = variants[0].tracker
    device = getattr(getattr(base, "base", base), "device", torch.device("cpu"))
    runs = [(size, False, args.frames) for size in sizes]
    return _measure(path.stem, variants, runs, args, device, PeakMemory(device), progress)


def bench_config(name_or_path: str, sizes: Sequence[Tuple[int, int]], args, progress=None) -> List[BenchRow]:
    """All rows of one config: each frame size, plus the lost state for long-term trackers."""
    import torch

    ours = _our_format_config(name_or_path)
    if ours is not None:
        return _bench_ours(ours, sizes, args, progress)

    from ..core.errors import ConfigError
    from ..models.pysot_config import load_pysot_config
    from ..build.pysot_factory import build_pysot_tracker
    from ..models.reference_weights import reference_state_dict_for

    path, shipped = resolve_config(name_or_path)
    exp = load_pysot_config(path, parse_overrides(args.override) or None)
    if args.weights:
        weights = args.weights
    elif shipped:
        weights = reference_state_dict_for(exp.name)
    else:
        raise ConfigError(f"--config {name_or_path}: no reference weights shipped for it; give --weights")
    variants = _build_all(lambda options: build_pysot_tracker(exp, weights, options), args)
    base = variants[0].tracker
    device = getattr(getattr(base, "rpn", base), "device", torch.device("cpu"))
    long_term = exp.track.type == "SiamRPNLTTracker"
    runs = [(size, False, args.frames) for size in sizes]
    if long_term and args.lost_frames > 0:
        runs.append((sizes[0], True, args.lost_frames))
    return _measure(exp.name, variants, runs, args, device, PeakMemory(device), progress)


# ------------------------------------------------------------------------------ output
def schedule_text(args: argparse.Namespace) -> str:
    if args.schedule == "interleaved":
        return "variants interleaved frame by frame"
    return (f"variants timed alone in {args.rounds} rotating block(s) of consecutive frames "
            f"(each after one untimed frame)")


def opencv_nano_ratios(rows: Sequence[BenchRow]) -> List[str]:
    """One line per variant of a run that has an OpenCV ``TrackerNano`` row: its FPS beside
    TrackerNano's and the ratio."""
    lines = []
    for ref in (r for r in rows if r.variant == OPENCV_NANO):
        for row in rows:
            if row.config == ref.config and row.size == ref.size and row.variant != OPENCV_NANO:
                lines.append(f"{row.config} {row.size} {row.variant}: {row.fps:.1f} FPS vs OpenCV "
                             f"TrackerNano {ref.fps:.1f} FPS, ratio {row.fps / ref.fps:.2f}")
    return lines


def format_table(rows: Sequence[BenchRow]) -> str:
    header = (f"{'config':34s} {'size':>9s} {'variant':18s} {'prep':>6s} {'backb':>7s} {'head':>6s} "
              f"{'post':>5s} {'median':>7s} {'p90':>7s} {'FPS':>6s} {'peakMiB':>7s} "
              f"{'x prep':>6s} {'x net':>6s} {'x post':>6s} {'x total':>7s}")
    lines = [header, "-" * len(header)]
    nan = float("nan")
    for r in rows:
        s, x = r.stages_ms, r.speedup
        net = s.get("backbone", 0.0) + s.get("head", 0.0) if "backbone" in s else nan
        lines.append(f"{r.config:34s} {r.size:>9s} {r.variant:18s} {s.get('preprocess', nan):6.1f} "
                     f"{s.get('backbone', nan):7.1f} {s.get('head', nan):6.1f} "
                     f"{s.get('postprocess', nan):5.1f} {r.total_ms:7.1f} {r.p90_ms:7.1f} "
                     f"{r.fps:6.1f} {r.peak_mem_mib:7.0f} {x.get('preprocess', nan):6.2f} "
                     f"{_net_speedup(rows, r, net):6.2f} {x.get('postprocess', nan):6.2f} "
                     f"{x.get('total', nan):7.2f}")
    return "\n".join(lines)


def _net_speedup(rows: Sequence[BenchRow], row: BenchRow, net: float) -> float:
    """Speed-up of the network call (backbone + head) over the exact row of the same run."""
    exact = next((r for r in rows if r.config == row.config and r.size == row.size
                  and r.variant == EXACT), None)
    if exact is None or not net or net != net:
        return float("nan")
    exact_net = exact.stages_ms.get("backbone", 0.0) + exact.stages_ms.get("head", 0.0)
    return exact_net / net


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def run(args: argparse.Namespace) -> int:
    from ..core.errors import ConfigError
    from ..models.reference_weights import PYSOT_REFERENCE_CONFIGS

    configs = args.config or list(PYSOT_REFERENCE_CONFIGS)
    if args.weights and len(configs) != 1:
        raise ConfigError("--weights needs exactly one --config")
    if args.frames < 1 or args.warmup < 0 or args.threads < 1 or args.lost_frames < 0 or args.rounds < 1:
        raise ConfigError("need --frames >= 1, --warmup >= 0, --threads >= 1, --lost-frames >= 0, "
                          "--rounds >= 1")
    from ..core.config import RUNTIME_BACKENDS
    for backend in args.backend + [args.fast_backend]:
        if backend not in RUNTIME_BACKENDS:
            raise ConfigError(f"--backend {backend!r}: expected one of {', '.join(RUNTIME_BACKENDS)}")
    sizes = parse_sizes(args.sizes)
    import cv2
    cv2.setNumThreads(args.threads)  # OpenCV DNN (TrackerNano) on the same thread budget
    load_before = _load()
    progress = None
    if not args.no_progress:
        from tqdm import tqdm
        progress = tqdm(desc="bench", unit="frame", file=sys.stderr, leave=False)
    rows: List[BenchRow] = []
    try:
        for config in configs:
            rows.extend(bench_config(config, sizes, args, progress))
    finally:
        if progress is not None:
            progress.close()
    print(f"siam-track bench: {rows[0].device if rows else args.device}, "
          f"{rows[0].threads if rows else args.threads} thread(s), median of {args.frames} frames "
          f"after {args.warmup} warm-up, {schedule_text(args)}; times in ms; "
          f"x = speed-up over the exact mode of the same run (exact / variant); "
          f"load average before: {load_before}, after: {_load()} ({os.cpu_count()} CPUs)")
    print(format_table(rows))
    for line in opencv_nano_ratios(rows):
        print(line)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps([asdict(r) for r in rows], indent=1))
        print(f"wrote {args.json}")
    return 0
