"""Run a tracker over a dataset and store its results in PySOT's result layout (resumable).

Layout (one-pass evaluation, ``protocol="ope"``)::

    <results>/<dataset>/<tracker_name>/<sequence>.txt               x,y,w,h per frame (float, comma)
    <results>/<dataset>/<tracker_name>/<sequence>_confidence.value  confidence per frame
    <results>/<dataset>/<tracker_name>/<sequence>_time.value        seconds per frame

Frame 0 holds the initialisation box (confidence 1). The confidence of a frame is the tracker's
score while it reports the target (TRACKING / UNCERTAIN) and 0 while it does not (LOST,
SEARCHING, IDLE), so long-term precision/recall can threshold it. ``<sequence>.txt`` is written
last and atomically: a sequence whose ``.txt`` has one line per frame is finished and skipped
on the next run. What to run is a :class:`siam_tracker_ros.build.spec.TrackerSpec`
(:func:`~siam_tracker_ros.build.spec.make_tracker_spec`, also importable from here).

VOT reset protocol (``protocol="vot"``, see :mod:`.vot_protocol`): PySOT's layout
``<results>/<dataset>/<tracker_name>/baseline/<sequence>/<sequence>_001.txt`` with lines ``1``
(init), ``2`` (failure), ``0`` (skipped) or x,y,w,h.
"""
from __future__ import annotations

import math
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, List, Optional, Sequence as SequenceType, Tuple

import numpy as np

from ..build.spec import TrackerSpec, make_tracker_spec  # noqa: F401 (re-exported for callers)
from ..core.errors import InvalidInputError
from ..core.tracker import Tracker
from ..data.sequence import Sequence

CONFIDENCE_SUFFIX = "_confidence.value"
TIME_SUFFIX = "_time.value"
PROTOCOLS = ("ope", "vot")


@dataclass
class SequenceOutput:
    """Tracker output for one sequence: boxes (N, 4) xywh, confidences (N,), seconds (N,)."""

    boxes_xywh: np.ndarray
    confidences: np.ndarray
    seconds: np.ndarray


def track_sequence(tracker: Tracker, sequence: Sequence,
                   on_frame: Optional[Callable[[], None]] = None) -> SequenceOutput:
    """One-pass evaluation: initialise on frame 0 with the ground truth, track every later
    frame; ``on_frame()`` is called after each frame (progress bars)."""
    n = len(sequence)
    boxes = np.full((n, 4), np.nan)
    confidences = np.zeros(n)
    seconds = np.zeros(n)
    init_box = sequence.init_box_xywh
    start = time.perf_counter()
    tracker.initialize(sequence.frames[0], init_box)
    seconds[0] = time.perf_counter() - start
    boxes[0] = init_box
    confidences[0] = 1.0
    if on_frame:
        on_frame()
    for t in range(1, n):
        frame = sequence.frames[t]
        start = time.perf_counter()
        result = tracker.track(frame)
        seconds[t] = time.perf_counter() - start
        boxes[t] = result.bbox_xywh
        confidences[t] = float(result.score) if result.is_target_visible else 0.0
        if on_frame:
            on_frame()
    tracker.reset()
    return SequenceOutput(boxes, confidences, seconds)


# --------------------------------------------------------------------------- files

def _fmt(value: float) -> str:
    return "nan" if not math.isfinite(value) else f"{value:.4f}"


def _atomic_write(path: Path, lines: SequenceType[str]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("".join(line + "\n" for line in lines))
    os.replace(tmp, path)


def tracker_dir(results_root: os.PathLike, dataset: str, tracker_name: str) -> Path:
    return Path(results_root) / dataset / tracker_name


def write_sequence_output(out_dir: Path, name: str, output: SequenceOutput) -> None:
    """Write the three result files of one sequence (the ``.txt`` last)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _atomic_write(out_dir / f"{name}{CONFIDENCE_SUFFIX}", [_fmt(c) for c in output.confidences])
    _atomic_write(out_dir / f"{name}{TIME_SUFFIX}", [f"{s:.6f}" for s in output.seconds])
    _atomic_write(out_dir / f"{name}.txt", [",".join(_fmt(v) for v in box) for box in output.boxes_xywh])


def _count_lines(path: Path) -> int:
    with open(path, encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip())


def is_finished(out_dir: Path, name: str, num_frames: int, protocol: str = "ope") -> bool:
    """True when the sequence's result file exists with one line per frame."""
    path = vot_result_path(out_dir, name) if protocol == "vot" else out_dir / f"{name}.txt"
    return path.is_file() and _count_lines(path) == num_frames


def vot_result_path(out_dir: Path, name: str) -> Path:
    return out_dir / "baseline" / name / f"{name}_001.txt"


def read_boxes(path: os.PathLike) -> np.ndarray:
    """(N, 4) float64 boxes from a result file (comma/tab/space separated; 'nan' allowed)."""
    from .sequences import parse_value_lines

    rows = parse_value_lines(path)
    out = np.full((len(rows), 4), np.nan)
    for i, row in enumerate(rows):
        if len(row) == 4:
            out[i] = row
        elif row:
            raise InvalidInputError(f"{path}:{i + 1}: expected 4 values x,y,w,h, got {len(row)}")
    return out


def read_values(path: os.PathLike) -> Optional[np.ndarray]:
    """(N,) float64 one-value-per-line file, or None when it does not exist."""
    path = Path(path)
    if not path.is_file():
        return None
    from .sequences import parse_value_lines

    return np.array([row[0] if row else np.nan for row in parse_value_lines(path)], dtype=np.float64)


def read_vot_result(path: os.PathLike):
    """(codes (N,) int8, boxes (N, 4)) from a PySOT VOT baseline result file."""
    from .sequences import parse_value_lines
    from .vot_protocol import FRAME_FAILURE, FRAME_INIT, FRAME_SKIPPED, FRAME_TRACKED

    rows = parse_value_lines(path)
    codes = np.full(len(rows), FRAME_TRACKED, dtype=np.int8)
    boxes = np.full((len(rows), 4), np.nan)
    for i, row in enumerate(rows):
        if len(row) == 1:
            codes[i] = {1: FRAME_INIT, 2: FRAME_FAILURE, 0: FRAME_SKIPPED}.get(int(row[0]), FRAME_SKIPPED)
        elif len(row) == 4:
            boxes[i] = row
        else:
            raise InvalidInputError(f"{path}:{i + 1}: expected a code or 4 values")
    return codes, boxes


# --------------------------------------------------------------------------- running

_WORKER_TRACKER: Optional[Tracker] = None


def _init_worker(spec: TrackerSpec) -> None:
    global _WORKER_TRACKER
    _WORKER_TRACKER = spec.build()


def _run_one(tracker: Tracker, sequence: Sequence, out_dir: Path, protocol: str,
             on_frame: Optional[Callable[[], None]] = None) -> Tuple[str, int]:
    """Run one sequence and write its results; returns (name, frames not yet reported)."""
    if protocol == "vot":
        from .vot_protocol import run_supervised

        run = run_supervised(tracker, sequence)
        path = vot_result_path(out_dir, sequence.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, run.vot_lines())
    else:
        write_sequence_output(out_dir, sequence.name, track_sequence(tracker, sequence, on_frame))
        if on_frame:
            return sequence.name, 0
    return sequence.name, len(sequence)


def _worker_run(sequence: Sequence, out_dir: Path, protocol: str) -> Tuple[str, int]:
    assert _WORKER_TRACKER is not None
    return _run_one(_WORKER_TRACKER, sequence, out_dir, protocol)


@dataclass
class RunSummary:
    """What :func:`run_evaluation` did: the tracker's result folder and sequence names."""

    out_dir: Path
    ran: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)
    seconds: float = 0.0


def run_evaluation(dataset: str, sequences: SequenceType[Sequence], spec: TrackerSpec,
                   results_root: os.PathLike, jobs: int = 1, protocol: str = "ope",
                   progress: bool = True) -> RunSummary:
    """Run ``spec``'s tracker over ``sequences`` (finished ones skipped) with ``jobs`` worker
    processes (1 = in this process), writing results under ``results_root/dataset/spec.name``."""
    if protocol not in PROTOCOLS:
        raise InvalidInputError(f"unknown protocol {protocol!r} (known: {', '.join(PROTOCOLS)})")
    if jobs < 1:
        raise InvalidInputError(f"--jobs must be >= 1, got {jobs}")
    from tqdm import tqdm

    out_dir = tracker_dir(results_root, dataset, spec.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = RunSummary(out_dir)
    todo = []
    for seq in sequences:
        if is_finished(out_dir, seq.name, len(seq), protocol):
            summary.skipped.append(seq.name)
        else:
            todo.append(seq)
    start = time.perf_counter()
    bar = tqdm(total=sum(len(s) for s in todo), unit="frame", desc=f"{spec.name} on {dataset}",
               disable=not progress or not todo, dynamic_ncols=True)
    try:
        if jobs == 1 or len(todo) <= 1:
            tracker = spec.build() if todo else None
            for seq in todo:
                name, frames = _run_one(tracker, seq, out_dir, protocol, on_frame=lambda: bar.update(1))
                summary.ran.append(name)
                bar.update(frames)
        else:
            worker_spec = spec if spec.num_threads else TrackerSpec(**{**spec.__dict__, "num_threads": 1})
            with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=get_context("spawn"),
                                     initializer=_init_worker, initargs=(worker_spec,)) as pool:
                futures = [pool.submit(_worker_run, seq, out_dir, protocol) for seq in todo]
                for future in as_completed(futures):
                    name, frames = future.result()
                    summary.ran.append(name)
                    bar.update(frames)
    finally:
        bar.close()
    summary.seconds = time.perf_counter() - start
    return summary
