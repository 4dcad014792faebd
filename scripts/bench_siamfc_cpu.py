#!/usr/bin/env python3
"""Time the parameter-free SiamFC tracker: tracking frames vs re-detection (searching) frames.

A synthetic sequence at the given size (default 640x480) is tracked with the long-term
wrapper; the target leaves the view for a while so that SEARCHING frames occur. Prints the
median / p90 milliseconds per frame of each kind, the FPS while tracking and the cost of a
searching frame relative to a tracking frame, for each thread count.

    .venv/bin/python scripts/bench_siamfc_cpu.py [--size 640x480] [--threads 1,2]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from siam_tracker_ros.build.factory import build_tracker
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence


def measure(frames, init_box, windows_per_frame: int, threads: int):
    tracker = build_tracker(long_term=True,
                            overrides={"long_term.windows_per_frame": windows_per_frame,
                                       "tracker.torch_threads": threads})
    tracker.initialize(frames[0], init_box)
    times = {}
    for frame in frames[1:]:
        start = time.perf_counter()
        result = tracker.track(frame)
        elapsed = (time.perf_counter() - start) * 1000.0
        kind = "searching" if result.state.name in ("LOST", "SEARCHING") else "tracking"
        times.setdefault(kind, []).append(elapsed)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="640x480", help="frame WIDTHxHEIGHT")
    parser.add_argument("--threads", default="1,2",
                        help="comma-separated tracker.torch_threads values (torch CPU threads)")
    parser.add_argument("--windows", default="1,2", help="comma-separated windows_per_frame values")
    parser.add_argument("--frames", type=int, default=160)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    spec = SyntheticSpec(seed=5, num_frames=args.frames, frame_size_wh=(width, height),
                         target_size_wh=(max(16, width // 10), max(16, height // 10)),
                         out_of_view=((args.frames // 3, args.frames // 3),), speed_px=3.0)
    seq = generate_sequence(spec)
    frames = [seq.frames[t] for t in range(len(seq.frames))]
    print(f"{width}x{height}, target {spec.target_size_wh}, {len(frames)} frames "
          f"(absent {args.frames // 3}..{2 * args.frames // 3})")
    for threads in (int(t) for t in args.threads.split(",")):
        for windows in (int(w) for w in args.windows.split(",")):
            measure(frames[:5], seq.init_box_xywh, windows, threads)        # warm-up
            times = measure(frames, seq.init_box_xywh, windows, threads)
            track = np.array(times.get("tracking", [np.nan]))
            search = np.array(times.get("searching", [np.nan]))
            print(f"threads {threads} windows/frame {windows}: tracking median "
                  f"{np.median(track):6.1f} ms (p90 {np.percentile(track, 90):6.1f}, "
                  f"{1000 / np.median(track):5.1f} FPS); searching median {np.median(search):6.1f} ms "
                  f"(p90 {np.percentile(search, 90):6.1f}) = {np.median(search) / np.median(track):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
