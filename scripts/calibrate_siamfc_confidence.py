#!/usr/bin/env python3
"""Print the raw-score distributions behind the parameter-free SiamFC confidence mapping.

Runs the long-term parameter-free tracker (config/trackers/siamfc_parameter_free.yaml) over a
synthetic preset and collects the raw head score (ZNCC) of the tracker's choice on frames where
the target is visible and tracked (IoU >= 0.5), and where it is absent (tracking or
re-detection windows). The confidence ramp ``confidence_floor`` .. ``confidence_ceil`` of
config/trackers/siamfc_parameter_free.yaml should sit above the absent scores and below most present ones.
(High "absent" scores come from exact copies of the target, e.g. in lt-small-04: the tracker
follows the copy, whose score is rightly high.)

    .venv/bin/python scripts/calibrate_siamfc_confidence.py [--preset lt-small]
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
from tqdm import tqdm

from siam_tracker_ros.core.boxes import box_iou
from siam_tracker_ros.build.factory import build_tracker
from siam_tracker_ros.data.synthetic import load_preset


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="lt-small", help="synthetic preset (default lt-small)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    present, absent = [], []
    sequences = load_preset(args.preset)
    for seq in tqdm(sequences, unit="seq"):
        tracker = build_tracker("siamfc_parameter_free", long_term=True)
        tracker.initialize(seq.frames[0], seq.init_box_xywh)
        for t in range(1, len(seq.frames)):
            result = tracker.track(seq.frames[t])
            raw = tracker.base.last_raw_score
            if not seq.visible[t]:
                absent.append(raw)
            elif result.is_target_visible and box_iou(result.bbox_xywh, seq.boxes_xywh[t]) >= 0.5:
                present.append(raw)
    cfg = build_tracker("siamfc_parameter_free").cfg
    present, absent = np.array(present), np.array(absent)
    print(f"preset {args.preset}: {len(present)} tracked-visible frames, {len(absent)} absent frames")
    print("raw score, target visible and tracked: p1 %.3f  p5 %.3f  p10 %.3f  median %.3f"
          % tuple(np.percentile(present, [1, 5, 10, 50])))
    print("raw score, target absent:              median %.3f  p90 %.3f  p99 %.3f  max %.3f"
          % tuple(np.percentile(absent, [50, 90, 99, 100])))
    for name, values in (("visible", present), ("absent", absent)):
        conf = np.array([cfg.confidence(v) for v in values])
        print(f"confidence ({cfg.confidence_floor}..{cfg.confidence_ceil}) {name:7s}: "
              f">= 0.6 on {np.mean(conf >= 0.6):.1%}, < 0.3 on {np.mean(conf < 0.3):.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
