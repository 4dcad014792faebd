#!/usr/bin/env python3
"""Tracking-frame speed of our NanoTrack trackers beside OpenCV's ``TrackerNano``, in one run.

    python scripts/bench_nanotrack_speed.py [--threads 2] [--frames 100] [--size 640x480] [--eager]

Every tracker is initialised on the same seeded synthetic 640x480 sequence and timed alone in
``--rounds`` rotating blocks of consecutive frames (``siam-track bench``'s schedule: one
runtime's thread pool never competes with another's), timing ``track()`` / ``update()`` only
(frames are pre-rendered; decoding excluded).
Trackers: ``nanotrack_v1/v2/v3`` with the torch backend in exact mode (the reference's numerics)
and fast mode (BN folded, channels-last), both as frozen TorchScript graphs (``--eager`` adds
the same without them), ``nanotrack_v2_onnx`` (the upstream ONNX pair on
OpenCV DNN through our tracker) and ``cv2.TrackerNano`` (the same v2 ONNX pair, OpenCV's own
tracker). torch and OpenCV both get ``--threads`` threads. Prints median ms, FPS, and the ratio
FPS / TrackerNano FPS, with the load average (the figure depends on what else runs).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import cv2
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from siam_tracker_ros.cli.bench_cmd import Variant, synthetic_frames, time_variants  # noqa: E402
from siam_tracker_ros.core.config import RuntimeOptions  # noqa: E402
from siam_tracker_ros.build.factory import build_tracker  # noqa: E402

ONNX_DIR = ROOT / "models" / "nanotrack" / "v2"


class OpenCVNano:
    """cv2.TrackerNano with the v2 ONNX pair, behind init/track."""

    def __init__(self) -> None:
        params = cv2.TrackerNano_Params()
        params.backbone = str(ONNX_DIR / "nanotrack_backbone_sim.onnx")
        params.neckhead = str(ONNX_DIR / "nanotrack_head_sim.onnx")
        self.tracker = cv2.TrackerNano_create(params)

    def initialize(self, frame, box):
        self.tracker.init(frame, tuple(int(round(v)) for v in box))

    def track(self, frame):
        return self.tracker.update(frame)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--versions", default="1,2,3")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--eager", action="store_true",
                        help="also time the torch rows without TorchScript graphs "
                             "(RuntimeOptions.torchscript=False: eager PyTorch)")
    parser.add_argument("--target", default=None, metavar="WxH",
                        help="target size in px (default 96x80 at 640x480); e.g. 14x12 times "
                             "the small-target search of nanotrack_v3 (context side < 32 px)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    width, height = (int(v) for v in args.size.split("x"))
    target = tuple(int(v) for v in args.target.split("x")) if args.target else None
    frames, box = synthetic_frames((width, height), args.frames + args.warmup + 1, target_wh=target)
    trackers = {}
    for v in (int(x) for x in args.versions.split(",")):
        for mode, exact in (("exact", True), ("fast", False)):
            for torchscript in (True, False) if args.eager else (True,):
                name = f"nanotrack_v{v} torch {mode}" + ("" if torchscript else " eager")
                trackers[name] = build_tracker(f"nanotrack_v{v}", options=RuntimeOptions(
                    device="cpu", exact=exact, num_threads=args.threads, torchscript=torchscript))
    trackers["nanotrack_v2_onnx (cv2.dnn)"] = build_tracker("nanotrack_v2_onnx",
                                                            options=RuntimeOptions(device="cpu"))
    trackers["cv2.TrackerNano (v2 ONNX)"] = OpenCVNano()
    load_before = os.getloadavg()
    variants = [Variant(name, tracker, args.threads) for name, tracker in trackers.items()]
    time_variants(variants, frames, box, args.warmup, schedule="blocks", rounds=args.rounds)
    times = {variant.name: variant.totals for variant in variants}
    load_after = os.getloadavg()
    opencv_ms = statistics.median(times["cv2.TrackerNano (v2 ONNX)"])
    print(f"tracking frames at {width}x{height}, target {box[2]:.0f}x{box[3]:.0f} px, "
          f"{args.threads} thread(s) (torch and OpenCV), "
          f"median of {args.frames} frames after {args.warmup} warm-up, each alone in "
          f"{args.rounds} rotating blocks")
    print(f"{'tracker':32s} {'median ms':>10s} {'p90 ms':>8s} {'FPS':>7s} {'FPS / TrackerNano':>18s}")
    for name, values in times.items():
        median = statistics.median(values)
        p90 = sorted(values)[int(0.9 * (len(values) - 1))]
        print(f"{name:32s} {median:10.2f} {p90:8.2f} {1000.0 / median:7.1f} "
              f"{opencv_ms / median:18.2f}")
    print(f"load average (1, 5, 15 min): before {', '.join(f'{v:.2f}' for v in load_before)}; "
          f"after {', '.join(f'{v:.2f}' for v in load_after)}; CPUs: {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
