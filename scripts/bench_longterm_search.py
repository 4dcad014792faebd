#!/usr/bin/env python3
"""Cost of a SEARCHING frame vs a TRACKING frame for a long-term tracker built by the factory.

    python scripts/bench_longterm_search.py [--config siamrpn_r50_l234_dwxcorr_lt] [--threads 1]
    python scripts/bench_longterm_search.py --config nanotrack_v3 --threads 2 --frames 40
    python scripts/bench_longterm_search.py --config siamrpn_r50_l234_dwxcorr_lt --fast [--int8]

The target is forced into the lost state (loss threshold 1.0 > any score), so every frame after
the first ``loss_patience`` ones runs the local-to-global search; tracking frames are timed with
the thresholds at 0. Weights: the shipped reference weights of a PySOT experiment, or none for our
own configs (NanoTrack: its upstream weights). The two trackers run interleaved frame by frame. Prints per-state medians and their ratio (the requirement: at most 2x).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch

from siam_tracker_ros.build.factory import build_tracker
from siam_tracker_ros.core.config import RuntimeOptions
from siam_tracker_ros.core.types import TrackState
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence


def _time_interleaved(trackers, frames, box, count):
    """Initialise every tracker, then track ``count`` frames with each, alternating trackers
    frame by frame (machine load drifts affect all alike). Per tracker: (times ms, states)."""
    for tracker in trackers.values():
        tracker.initialize(frames[0], box)
    out = {label: ([], []) for label in trackers}
    for i in range(1, count + 1):
        for label, tracker in trackers.items():
            start = time.perf_counter()
            result = tracker.track(frames[i % len(frames)])
            out[label][0].append((time.perf_counter() - start) * 1000.0)
            out[label][1].append(result.state)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="siamrpn_r50_l234_dwxcorr_lt")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--fast", action="store_true",
                        help="fast mode (exact false) on --backend (default auto)")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--int8", action="store_true", help="fast mode, int8 search graph")
    args = parser.parse_args()
    options = RuntimeOptions(device="cpu", num_threads=args.threads)
    if args.fast or args.int8:
        options = RuntimeOptions(device="cpu", num_threads=args.threads, exact=False,
                                 backend="onnxruntime" if args.int8 else args.backend,
                                 int8=args.int8)
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
    settings = {"tracking": {"long_term.loss_threshold": 0.0, "long_term.reacquire_threshold": 0.0001},
                "searching": {"long_term.loss_threshold": 0.9999, "long_term.reacquire_threshold": 1.0,
                              "long_term.loss_patience": 1}}
    trackers = {label: build_tracker(args.config, weights=weights, long_term=True, overrides=overrides,
                                     options=options)
                for label, overrides in settings.items()}
    timed = _time_interleaved(trackers, frames, seq.init_box_xywh, args.frames)
    rows = {}
    for label, (times, states) in timed.items():
        wanted = TrackState.SEARCHING if label == "searching" else TrackState.TRACKING
        kept = [t for t, s in zip(times[2:], states[2:]) if s == wanted]
        rows[label] = (statistics.median(kept) if kept else float("nan"), len(kept))
    mode = "exact" if options.exact else f"fast ({options.backend}{', int8' if options.int8 else ''})"
    print(f"{args.config} at {args.size}, {args.threads} thread(s), {mode}:")
    for label, (median, n) in rows.items():
        print(f"  {label:<10} median {median:8.1f} ms over {n} frames")
    ratio = rows["searching"][0] / rows["tracking"][0]
    print(f"  searching / tracking = {ratio:.2f} (requirement: <= 2)")
    print(f"  load average (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
