#!/usr/bin/env python3
"""Per version and clip: the largest box difference (px) of our NanoTracker from the reference
NanoTracker's runs (test/fixtures/nanotrack), free-running against the 1- and 2-thread
reference runs and state-forced, beside the tolerance (1e-3 px) and the reference's own
1-vs-2-thread spread.

    python scripts/nanotrack_parity_report.py [--threads 1]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "test" / "core")]

from nanotrack_parity_data import (CASES, checkpoint, expected, frames,  # noqa: E402
                                   thread_tolerances, tracked_frames)
from siam_tracker_ros.core.config import RuntimeOptions  # noqa: E402
from siam_tracker_ros.core.nanotrack import NanoTracker, nanotrack_config_for  # noqa: E402
from siam_tracker_ros.core.tracker import TargetState  # noqa: E402
from siam_tracker_ros.models.nanotrack import load_nanotrack  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads: {args.threads}; tolerance 1e-3 px; max |d| over all coordinates of "
          f"every tracked frame")
    print(f"{'case':16s} {'free vs ref 1t':>15s} {'free vs ref 2t':>15s} {'state-forced':>13s} "
          f"{'ref 1t vs 2t':>13s}")
    for version, clip in CASES:
        model = load_nanotrack(version, checkpoint(version))
        tracker = NanoTracker(model, nanotrack_config_for(version), RuntimeOptions(device="cpu"))
        records = expected(version, clip)["frames"]
        clip_frames = frames(clip)
        tracker.initialize(clip_frames[0], records[0]["rect_used"])
        boxes = [tracker.track(clip_frames[r["frame"] - 1]).bbox_xywh for r in records[1:]]
        free = {t: float(np.max(np.abs(np.subtract(boxes, [r["bbox"] for r in tracked_frames(version, clip, t)]))))
                for t in (1, 2)}
        tracker.initialize(clip_frames[0], records[0]["rect_used"])
        forced = 0.0
        for k in range(1, len(records)):
            tracker.state = TargetState(np.array(records[k]["crop"]["center"], np.float64),
                                        np.array(records[k - 1]["size"], np.float64))
            box = tracker.track(clip_frames[records[k]["frame"] - 1]).bbox_xywh
            forced = max(forced, float(np.max(np.abs(np.subtract(box, records[k]["bbox"])))))
        spread = thread_tolerances()[f"v{version}_{clip}"]["free_running"]["bbox"]
        print(f"v{version}_{clip:13s} {free[1]:15.3g} {free[2]:15.3g} {forced:13.3g} {spread:13.3g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
