#!/usr/bin/env python3
"""Grid-search a PySOT-style tracker's TRACK hyper-parameters on a synthetic *tuning* preset
(default lt-small, or ``lt-full-val``: lt-full's recipes with other seeds; keep lt-full itself
for the final evaluation) and print the score distributions
that set the long-term thresholds.

    .venv/bin/python scripts/tune_tracker.py --config models/siamrpn_slim/config.yaml \
        --weights models/siamrpn_slim/model.pth [--preset lt-small] [--threads 1] \
        [--grid TRACK.PENALTY_K=0.02,0.04,0.08 --grid TRACK.WINDOW_INFLUENCE=0.3,0.4,0.5 ...]

Criterion: mean over sequences of the success AUC (IoU thresholds 0..1 over frames where the
target is visible; a box on an absent frame is not scored), the OPE measure of
``siam-track report``. Frames are rendered once and kept in memory.
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from siam_tracker_ros.core.config import RuntimeOptions  # noqa: E402
from siam_tracker_ros.build.factory import build_tracker  # noqa: E402
from siam_tracker_ros.models.pysot_config import load_pysot_config  # noqa: E402
from siam_tracker_ros.build.pysot_factory import build_pysot_tracker  # noqa: E402
from siam_tracker_ros.data.synthetic import PRESETS, generate_sequence, load_preset  # noqa: E402
from siam_tracker_ros.core.boxes import iou_xywh  # noqa: E402

DEFAULT_GRID = ("TRACK.PENALTY_K=0.02,0.05,0.1", "TRACK.WINDOW_INFLUENCE=0.3,0.4,0.5",
                "TRACK.LR=0.25,0.4,0.55")


def success_auc(ious: np.ndarray) -> float:
    thresholds = np.linspace(0, 1, 21)
    return float(np.mean([(ious > t).mean() for t in thresholds]))


def run(tracker, sequences):
    aucs, vis_scores, absent_scores = [], [], []
    for seq, frames in sequences:
        tracker.initialize(frames[0], seq.init_box_xywh)
        boxes, scores = [], []
        for frame in frames[1:]:
            result = tracker.track(frame)
            boxes.append(result.bbox_xywh if result.bbox_xywh is not None else (0.0, 0.0, 1.0, 1.0))
            scores.append(result.score)
        boxes, scores = np.asarray(boxes, dtype=np.float64), np.asarray(scores)
        visible = seq.visible[1:]
        aucs.append(success_auc(iou_xywh(boxes[visible], seq.boxes_xywh[1:][visible])))
        vis_scores.append(scores[visible])
        absent_scores.append(scores[~visible])
    return float(np.mean(aucs)), np.concatenate(vis_scores), np.concatenate(absent_scores)


def tuning_sequences(preset: str):
    """A synthetic preset, or ``<preset>-val``: the preset's recipes with other seeds (+1000), a
    validation set shaped like the test set without its frames."""
    if preset.endswith("-val"):
        base = preset[:-4]
        return [generate_sequence(dataclasses.replace(spec, seed=spec.seed + 1000, name=f"{spec.name}-val"))
                for spec in PRESETS[base]]
    return load_preset(preset)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=os.path.join(ROOT, "models", "default", "config.yaml"))
    parser.add_argument("--weights", default=os.path.join(ROOT, "models", "default", "model.pth"))
    parser.add_argument("--preset", default="lt-small")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--grid", action="append", help="KEY=v1,v2,... (repeatable)")
    parser.add_argument("--long-term", action="store_true",
                        help="wrap in the long-term tracker (grid keys may be long_term.<field>)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    grid = []
    for item in args.grid or DEFAULT_GRID:
        key, _, values = item.partition("=")
        grid.append((key, [float(v) for v in values.split(",")]))
    sequences = [(seq, [seq.frames[i] for i in range(len(seq))]) for seq in tuning_sequences(args.preset)]
    weights = torch.load(args.weights, map_location="cpu", weights_only=True)

    def make(overrides):
        if args.long_term:
            return build_tracker(args.config, args.weights, RuntimeOptions(device="cpu"),
                                 long_term=True, overrides=overrides)
        return build_pysot_tracker(load_pysot_config(args.config, overrides), weights)

    rows = []
    for values in itertools.product(*[v for _, v in grid]):
        overrides = {key: value for (key, _), value in zip(grid, values)}
        start = time.perf_counter()
        auc, vis, absent = run(make(overrides), sequences)
        rows.append((auc, overrides))
        print(f"AUC {auc:.3f}  " + "  ".join(f"{k}={v:g}" for k, v in overrides.items())
              + f"  ({time.perf_counter() - start:.0f} s)", flush=True)
    rows.sort(key=lambda r: -r[0])
    best_auc, best = rows[0]
    print("best:", f"AUC {best_auc:.3f}", best)
    _, vis, absent = run(make(best), sequences)
    for name, scores in (("target visible", vis), ("target absent/occluded", absent)):
        if scores.size:
            q = np.percentile(scores, [5, 25, 50, 75, 95])
            print(f"scores, {name} ({scores.size} frames): p5 {q[0]:.3f} p25 {q[1]:.3f} "
                  f"median {q[2]:.3f} p75 {q[3]:.3f} p95 {q[4]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
