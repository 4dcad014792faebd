#!/usr/bin/env python3
"""Evaluate candidate trackers on a real folder-layout validation set (default: all 8 sequences
of ``../shared/data/real_sot/val``) in one run, at a fixed number of CPU threads, and write ONE
table: success AUC, P@20, LT-F and mean tracking FPS per candidate (markdown + JSON + success /
precision PNG plots).

    nice -n 10 .venv/bin/python scripts/eval_val.py [--root ../shared/data/real_sot/val]
        [--out docs/results/val] [--results out/val/results] [--threads 2]
        [--set baselines | --set issue11] [--candidate NAME=SPEC ...]
        [--nano-onnx BACKBONE HEAD] [--fresh]

A candidate is ``NAME=SPEC`` (NAME = its row and result folder), SPEC either an OpenCV baseline
(``csrt``, ``kcf``, ``mil``, ``nano`` = cv2.TrackerNano with NanoTrack v2's ONNX pair, see
``--nano-onnx``) or one of our trackers: ``CONFIG[+lt][,KEY=VALUE...]`` with CONFIG a config
file or bundled name (``default``, ``siamrpn_slim``, ``nanotrack_v3``, ...), ``+lt`` = wrapped in
the long-term re-detection, and ``build_tracker`` overrides (``verifier.enabled=false``,
``long_term.loss_threshold=0.3``, ``TRACK.LR=0.3``; values parsed as YAML scalars). Example:
``--candidate v3-lt=nanotrack_v3+lt,long_term.loss_threshold=0.3``.

Results are cached per sequence (``siam-track eval``'s PySOT layout, resumable): a candidate's
folder is reused only while its SPEC (and thread count) is unchanged (``candidate.json``);
``--fresh`` reruns everything, so that every FPS figure comes from the same run. The ground-
truth box of frame 0 is passed to ``initialize`` unchanged (0-based x, y, w, h as stored);
OpenCV baselines round it to integers. FPS = tracked frames (1..N-1) / tracker seconds, pooled
over all sequences; the machine's load average is recorded beside it.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from siam_tracker_ros.core.errors import InvalidInputError, SiamTrackerError  # noqa: E402
from siam_tracker_ros.models.opencv_baselines import BASELINES, resolve_nano_models  # noqa: E402
from siam_tracker_ros.evaluation.report import build_report, write_plots  # noqa: E402
from siam_tracker_ros.build.spec import TrackerSpec, make_tracker_spec  # noqa: E402
from siam_tracker_ros.evaluation.runner import (  # noqa: E402
    TIME_SUFFIX, read_values, run_evaluation)
from siam_tracker_ros.evaluation.datasets import load_dataset  # noqa: E402

DATASET = "val"
# Named candidate sets (NAME=SPEC). "baselines": what exists without NanoTrack; "issue11": the
# table issue 11 asks for (NanoTrack v2/v3 x long-term x verifier, the old default, the
# parameter-free model, OpenCV CSRT and TrackerNano).
SETS: Dict[str, List[str]] = {
    "baselines": [
        "opencv-csrt=csrt",
        "opencv-trackernano=nano",
        "siamrpn_slim=siamrpn_slim",
        "siamrpn_slim-lt=siamrpn_slim+lt",
        "parameter-free=siamfc_parameter_free",
        "parameter-free-lt=siamfc_parameter_free+lt",
    ],
}
SETS["issue11"] = [
    f"nanotrack_{v}{lt}{ver}=nanotrack_{v}{'+lt' if lt else ''},verifier.enabled={'true' if ver else 'false'}"
    for v in ("v2", "v3") for lt in ("", "-lt") for ver in ("", "+verifier")
] + SETS["baselines"]


def parse_candidate(text: str, threads: int, nano_onnx: Optional[Tuple[str, str]]) -> Tuple[TrackerSpec, str]:
    """(spec, SPEC text) of ``NAME=SPEC`` (see module doc)."""
    name, sep, body = text.partition("=")
    name, body = name.strip(), body.strip()
    if not sep or not name or not body or "/" in name:
        raise InvalidInputError(f"candidate {text!r}: expected NAME=SPEC (NAME without '/')")
    head, *pairs = [p.strip() for p in body.split(",")]
    if head in BASELINES:
        if pairs:
            raise InvalidInputError(f"candidate {text!r}: OpenCV baselines take no overrides")
        if head == "nano":
            nano_onnx = resolve_nano_models(nano_onnx)   # fail before any run, not in the middle
        return make_tracker_spec(baseline=head, name=name, num_threads=threads,
                                 nano_models=nano_onnx if head == "nano" else None), body
    long_term = head.endswith("+lt")
    config = head[:-3] if long_term else head
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"candidate {text!r}: override {pair!r} is not KEY=VALUE")
        overrides[key.strip()] = yaml.safe_load(value)
    spec = make_tracker_spec(config=config, long_term=long_term, name=name, device="cpu",
                             num_threads=threads, overrides=overrides or None)
    return spec, body


def tracking_fps(folder: Path, sequences) -> Tuple[Optional[float], int, float]:
    """(tracked frames per tracker second over frames 1..N-1, frames, seconds)."""
    frames, seconds = 0, 0.0
    for seq in sequences:
        values = read_values(folder / f"{seq.name}{TIME_SUFFIX}")
        if values is None or len(values) != len(seq):
            continue
        frames += len(values) - 1
        seconds += float(np.nansum(values[1:]))
    return (frames / seconds if seconds > 0 else None), frames, seconds


def prepare_folder(folder: Path, record: dict, fresh: bool) -> None:
    """Empty ``folder`` when asked to or when its cached results came from another SPEC."""
    meta = folder / "candidate.json"
    stale = fresh
    if folder.is_dir() and not fresh:
        try:
            old = json.loads(meta.read_text())
        except (OSError, ValueError):
            old = None
        stale = old != record
    if stale and folder.is_dir():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps(record, indent=2) + "\n")


def finite(value):
    """``value`` with NaN/inf floats (also numpy scalars) replaced by None, for strict JSON."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def fmt(value: Optional[float], digits: int = 3) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def render(rows: List[dict], report: dict, meta: dict) -> str:
    seq_names = sorted({s for e in report["trackers"].values() for s in e.get("per_sequence", {})})
    lines = [f"# Validation: {meta['num_sequences']} sequences, {meta['num_frames']} frames "
             f"({meta['root_name']})", "",
             f"Command: `{meta['command']}`  ",
             f"Run: {meta['started']} -> {meta['finished']} UTC, {meta['threads']} torch/OpenCV threads, "
             f"load average at start / end {meta['load_start']} / {meta['load_end']} "
             f"({meta['cpus']} CPUs), git {meta['git']}", "",
             "| candidate | spec | AUC | P@20 | LT-F | FPS |", "|---|---|---|---|---|---|"]
    for row in sorted(rows, key=lambda r: -np.nan_to_num(r["auc"], nan=-1)):
        name = row["name"] if row["sequences"] == meta["num_sequences"] else \
            f"{row['name']} (only {row['sequences']}/{meta['num_sequences']} sequences)"
        lines.append(f"| {name} | `{row['spec']}` | {fmt(row['auc'])} | {fmt(row['p20'])} | "
                     f"{fmt(row['lt_f'])} | {fmt(row['fps'], 0)} |")
    lines += ["", "AUC: OTB success AUC (mean of the success curve at IoU 0, 0.05, ..., 1; mean over "
              "sequences); P@20: fraction of frames with centre error <= 20 px (mean over sequences); "
              "LT-F: VOT long-term F-score over confidence thresholds; FPS: tracked frames per tracker "
              "second (pooled). Frames without a ground-truth box are left out of AUC/P@20.", "",
              "## AUC per sequence", "",
              "| candidate | " + " | ".join(seq_names) + " |", "|---|" + "---|" * len(seq_names)]
    for row in sorted(rows, key=lambda r: -np.nan_to_num(r["auc"], nan=-1)):
        per = report["trackers"][row["name"]]["per_sequence"]
        lines.append(f"| {row['name']} | " + " | ".join(fmt(per[s]["success_auc"]) if s in per else "-"
                                                       for s in seq_names) + " |")
    return "\n".join(lines) + "\n"


def git_head() -> str:
    try:
        import subprocess

        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--root", default="../shared/data/real_sot/val",
                        help="folder-layout dataset (default: ../shared/data/real_sot/val, from the "
                             "current directory)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "results" / "val"),
                        help="where the table (val.md, val.json) and plots go")
    parser.add_argument("--results", default=str(ROOT / "out" / "val" / "results"),
                        help="per-sequence result cache (PySOT layout)")
    parser.add_argument("--threads", type=int, default=2, help="torch and OpenCV CPU threads")
    parser.add_argument("--set", action="append", choices=sorted(SETS), default=[],
                        help="named candidate set (repeatable)")
    parser.add_argument("--candidate", action="append", default=[], metavar="NAME=SPEC",
                        help="a candidate (repeatable; see the module doc)")
    parser.add_argument("--nano-onnx", nargs=2, metavar=("BACKBONE", "HEAD"),
                        help="ONNX pair of the 'nano' baseline (default: bundled models/nanotrack/v2)")
    parser.add_argument("--sequences", help="comma-separated subset (the yardstick is ALL sequences)")
    parser.add_argument("--fresh", action="store_true", help="rerun every candidate (one-run FPS)")
    parser.add_argument("--report-only", action="store_true",
                        help="run nothing: score what the cache holds (a candidate with fewer "
                             "sequences is marked as such)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.threads < 1:
            raise InvalidInputError("--threads must be >= 1")
        texts = [c for s in args.set for c in SETS[s]] + args.candidate
        if not texts:
            texts = SETS["baselines"]
        nano_onnx = tuple(args.nano_onnx) if args.nano_onnx else None
        candidates = [parse_candidate(t, args.threads, nano_onnx) for t in texts]
        names = [c[0].name for c in candidates]
        if len(set(names)) != len(names):
            raise InvalidInputError(f"candidate names repeat: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")
        if not Path(args.root).is_dir():
            raise InvalidInputError(f"dataset folder {args.root} does not exist")
        subset = [s for s in (args.sequences or "").split(",") if s]
        sequences = load_dataset("folder", args.root, subset or None)
        import cv2
        import torch

        cv2.setNumThreads(args.threads)
        torch.set_num_threads(args.threads)
        started, load_start = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), os.getloadavg()
        results = Path(args.results)
        run_dir = results / DATASET
        for spec, body in candidates:
            record = {"spec": body, "threads": args.threads,
                      "nano_onnx": list(nano_onnx) if spec.baseline == "nano" and nano_onnx else None}
            if args.report_only:
                continue
            prepare_folder(run_dir / spec.name, record, args.fresh)
            summary = run_evaluation(DATASET, sequences, spec, results, jobs=1, progress=not args.no_progress)
            print(f"{spec.name}: {len(summary.ran)} sequence(s) run, {len(summary.skipped)} cached "
                  f"({summary.seconds:.0f} s)", flush=True)
        finished, load_end = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), os.getloadavg()
        # Score only this run's candidates: copy nothing, point the report at their folders.
        report = build_report(DATASET, sequences, run_dir, root=str(args.root))
        report["trackers"] = {n: report["trackers"][n] for n in names if n in report["trackers"]}
        rows = []
        for spec, body in candidates:
            entry = report["trackers"].get(spec.name)
            if entry is None or "overall" not in entry:
                print(f"{spec.name}: no results yet (left out)")
                continue
            fps, frames, seconds = tracking_fps(run_dir / spec.name, sequences)
            overall = entry["overall"]
            rows.append({"name": spec.name, "spec": body, "sequences": overall["num_sequences"],
                         "auc": overall["success_auc"],
                         "p20": overall["precision_20px"], "lt_f": overall["lt_f"], "fps": fps,
                         "tracked_frames": frames, "tracker_seconds": seconds,
                         "per_sequence_auc": {k: v["success_auc"] for k, v in entry["per_sequence"].items()},
                         "per_sequence_p20": {k: v["precision_20px"] for k, v in entry["per_sequence"].items()}})
        meta = {"root_name": Path(args.root).name, "num_sequences": len(sequences),
                "num_frames": int(sum(len(s) for s in sequences)),
                "command": " ".join(shlex.quote(a) for a in [Path(sys.argv[0]).as_posix(), *(argv or sys.argv[1:])]),
                "started": started, "finished": finished, "threads": args.threads,
                "load_start": " ".join(f"{v:.1f}" for v in load_start),
                "load_end": " ".join(f"{v:.1f}" for v in load_end), "cpus": os.cpu_count(), "git": git_head()}
        text = render(rows, report, meta)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "val.md").write_text(text)
        (out / "val.json").write_text(json.dumps(finite({"meta": meta, "candidates": rows}), indent=2,
                                                 allow_nan=False) + "\n")
        plots = [p for p in write_plots(report, out) if "norm_precision" not in p.name]
        for p in out.glob(f"{DATASET}_norm_precision.png"):
            p.unlink()
        print(text, end="")
        print(f"wrote {out / 'val.md'}, {out / 'val.json'}, " + ", ".join(str(p) for p in plots))
        return 0
    except SiamTrackerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
