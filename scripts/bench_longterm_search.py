#!/usr/bin/env python3
"""Cost of a SEARCHING frame vs a TRACKING frame for a long-term tracker built by the factory.

    python scripts/bench_longterm_search.py [--config siamrpn_r50_l234_dwxcorr_lt] [--threads 1]

The target is forced into the lost state (loss threshold 1.0 > any score), so every frame after
the first ``loss_patience`` ones runs the local-to-global search; tracking frames are timed with
the thresholds at 0. Weights: the shipped reference weights of a PySOT experiment, or none for our
own configs. Prints per-state medians and their ratio (the requirement: at most 2x).
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from siam_tracker_ros.core.factory import build_tracker
from siam_tracker_ros.core.types import TrackState
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence


def _time_frames(tracker, frames, box, count):
    tracker.initialize(frames[0], box)
    times, states = [], []
    for i in range(1, count + 1):
        start = time.perf_counter()
        result = tracker.track(frames[i % len(frames)])
        times.append((time.perf_counter() - start) * 1000.0)
        states.append(result.state)
    return times, states


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="siamrpn_r50_l234_dwxcorr_lt")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--size", default="640x480")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    width, height = (int(v) for v in args.size.split("x"))
    seq = generate_sequence(SyntheticSpec(seed=7, num_frames=16, frame_size_wh=(width, height),
                                          target_size_wh=(64, 48)))
    frames = [seq.frames[i] for i in range(len(seq.frames))]
    weights = None
    if not args.config.endswith(".yaml") and args.config.startswith("siam") and "parameter_free" not in args.config:
        import tempfile
        from siam_tracker_ros.models.reference_weights import reference_state_dict_for
        weights = f"{tempfile.mkdtemp()}/{args.config}.pth"
        torch.save(reference_state_dict_for(args.config), weights)
    rows = {}
    for label, overrides in (("tracking", {"long_term.loss_threshold": 0.0, "long_term.reacquire_threshold": 0.0001}),
                             ("searching", {"long_term.loss_threshold": 0.9999, "long_term.reacquire_threshold": 1.0,
                                            "long_term.loss_patience": 1})):
        tracker = build_tracker(args.config, weights=weights, long_term=True, overrides=overrides)
        times, states = _time_frames(tracker, frames, seq.init_box_xywh, args.frames)
        wanted = TrackState.SEARCHING if label == "searching" else TrackState.TRACKING
        kept = [t for t, s in zip(times[2:], states[2:]) if s == wanted]
        rows[label] = (statistics.median(kept) if kept else float("nan"), len(kept))
    print(f"{args.config} at {args.size}, {args.threads} thread(s):")
    for label, (median, n) in rows.items():
        print(f"  {label:<10} median {median:8.1f} ms over {n} frames")
    ratio = rows["searching"][0] / rows["tracking"][0]
    print(f"  searching / tracking = {ratio:.2f} (requirement: <= 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
