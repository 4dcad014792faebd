#!/usr/bin/env python3
"""Success AUC of the fast mode (and other backends) against the exact mode on a real
validation folder (default ``../shared/data/real_sot/val``, all sequences), same tracker config,
same frames, one process. Prints per-sequence AUC, the mean AUC per variant, the difference to
exact mode (requirement: within 0.01) and the largest box difference to exact mode (px).

    nice -n 10 python scripts/eval_fast_val.py [--config default] [--variants fast:auto,fast:torch]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from siam_tracker_ros.core.config import RuntimeOptions  # noqa: E402
from siam_tracker_ros.build.factory import build_tracker  # noqa: E402
from siam_tracker_ros.evaluation.metrics import success_auc, success_curve  # noqa: E402
from siam_tracker_ros.evaluation.datasets import load_dataset  # noqa: E402


def options_of(text: str, threads: int) -> RuntimeOptions:
    mode, _, backend = text.partition(":")
    backend, _, extra = backend.partition("+")
    return RuntimeOptions(device="cpu", exact=(mode == "exact"), backend=backend or "torch",
                          num_threads=threads, bf16=extra == "bf16", int8=extra == "int8")


def track_sequence(tracker, seq) -> np.ndarray:
    boxes = [tuple(seq.init_box_xywh)]
    tracker.initialize(seq.frames[0], seq.init_box_xywh)
    for index in range(1, len(seq)):
        boxes.append(tuple(tracker.track(seq.frames[index]).bbox_xywh))
    tracker.reset()
    return np.array(boxes, dtype=np.float64)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="../shared/data/real_sot/val")
    parser.add_argument("--config", default="default")
    parser.add_argument("--variants", default="fast:auto,fast:torch")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    sequences = load_dataset("folder", args.root)
    names = ["exact"] + [v for v in args.variants.split(",") if v]
    trackers = {name: build_tracker(args.config, options=options_of(
        "exact:torch" if name == "exact" else name, args.threads)) for name in names}
    aucs = {name: [] for name in names}
    worst = {name: 0.0 for name in names}
    seconds = {name: 0.0 for name in names}
    print(f"config {args.config}, {len(sequences)} sequences under {args.root}, {args.threads} threads")
    for seq in sequences:
        boxes = {}
        for name in names:
            start = time.perf_counter()
            boxes[name] = track_sequence(trackers[name], seq)
            seconds[name] += time.perf_counter() - start
            aucs[name].append(success_auc(success_curve(seq.boxes_xywh, boxes[name])))
            worst[name] = max(worst[name], float(np.nanmax(np.abs(boxes[name] - boxes["exact"]))))
        print(f"  {seq.name:18s} {len(seq):5d} frames  " +
              "  ".join(f"{n}={aucs[n][-1]:.4f}" for n in names), flush=True)
    exact_auc = float(np.mean(aucs["exact"]))
    print(f"{'variant':16s} {'mean AUC':>9s} {'- exact':>8s} {'max |box diff| px':>18s} {'s':>7s}")
    for name in names:
        mean = float(np.mean(aucs[name]))
        print(f"{name:16s} {mean:9.4f} {mean - exact_auc:+8.4f} {worst[name]:18.4f} {seconds[name]:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
