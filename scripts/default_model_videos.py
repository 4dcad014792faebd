#!/usr/bin/env python3
"""Run a tracker (default: the bundled default model) on the real sample videos of Debian's
opencv-doc package (fetched by scripts/fetch_training_data.sh) from hand-chosen initial boxes,
and save contact sheets of frames with the box drawn (PNG) plus a per-frame CSV.

    .venv/bin/python scripts/default_model_videos.py [--videos out/train_data/videos]
        [--out out/default_model] [--config default] [--weights CKPT] [--long-term] [--threads 2]

There is no ground truth for these videos: the sheets are for looking at, and the printed
summary gives the score trace (mean, frames below 0.5) and the speed.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from siam_tracker_ros.core.config import RuntimeOptions  # noqa: E402
from siam_tracker_ros.build.factory import build_tracker  # noqa: E402

# video file -> (first frame, init box_xywh on that frame, what the box holds), chosen by hand
# on the frame (Megamind's frame 0 is black).
VIDEOS = {
    "Megamind.avi": (1, (205, 130, 140, 170), "the woman's face (cuts to another shot mid-video)"),
    "vtest.avi": (0, (640, 240, 45, 82), "the pedestrian walking on the right"),
    "tree.avi": (0, (100, 40, 90, 90), "a patch of the tree crown (repetitive foliage)"),
}


def read_frames(path: str):
    capture = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def draw(frame, box, score, index, colour=(0, 255, 0)):
    out = frame.copy()
    x, y, w, h = (int(round(v)) for v in box)
    cv2.rectangle(out, (x, y), (x + w, y + h), colour, 2)
    cv2.putText(out, f"#{index} score {score:.2f}", (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                (0, 0, 0), 3)
    cv2.putText(out, f"#{index} score {score:.2f}", (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                (255, 255, 255), 1)
    return out


def sheet(images, columns=4, width=360):
    tiles = []
    for image in images:
        scale = width / image.shape[1]
        tiles.append(cv2.resize(image, (width, int(round(image.shape[0] * scale)))))
    height = max(t.shape[0] for t in tiles)
    tiles = [cv2.copyMakeBorder(t, 0, height - t.shape[0], 0, 0, cv2.BORDER_CONSTANT) for t in tiles]
    while len(tiles) % columns:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)]
    return np.vstack(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", default=os.path.join(ROOT, "out", "train_data", "videos"))
    parser.add_argument("--out", default=os.path.join(ROOT, "out", "default_model"))
    parser.add_argument("--config", default="default", help="tracker config (default: the bundled default)")
    parser.add_argument("--weights", default=None, help="checkpoint (default: the config's own)")
    parser.add_argument("--long-term", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tiles", type=int, default=8, help="frames per contact sheet")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    weights = args.weights if args.weights and args.weights != "none" else None
    tag = "lt" if args.long_term else "st"
    for name, (first, box, what) in VIDEOS.items():
        path = os.path.join(args.videos, name)
        if not os.path.isfile(path):
            print(f"{name}: not found in {args.videos} (run scripts/fetch_training_data.sh)")
            continue
        frames = read_frames(path)[first:]
        tracker = build_tracker(args.config, weights, RuntimeOptions(device="cpu", num_threads=args.threads),
                                long_term=args.long_term)
        tracker.initialize(frames[0], box)
        rows, times = [(first, *box, 1.0, "init")], []
        picks = set(np.linspace(0, len(frames) - 1, args.tiles).round().astype(int).tolist())
        tiles = [draw(frames[0], box, 1.0, first, (255, 128, 0))]
        for i in range(1, len(frames)):
            start = time.perf_counter()
            result = tracker.track(frames[i])
            times.append(time.perf_counter() - start)
            state = getattr(result.state, "name", str(result.state))
            rows.append((first + i, *[float(v) for v in result.bbox_xywh], float(result.score), state))
            if i in picks:
                colour = (0, 255, 0) if result.score >= 0.5 else (0, 0, 255)
                tiles.append(draw(frames[i], result.bbox_xywh, result.score, first + i, colour))
        stem = os.path.splitext(name)[0]
        cv2.imwrite(os.path.join(args.out, f"{stem}_{tag}.png"), sheet(tiles[:args.tiles]))
        with open(os.path.join(args.out, f"{stem}_{tag}.csv"), "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(("frame", "x", "y", "w", "h", "score", "state"))
            writer.writerows(rows)
        scores = np.array([r[5] for r in rows[1:]])
        print(f"{name}: {what}; {len(frames)} frames at {frames[0].shape[1]}x{frames[0].shape[0]}, "
              f"{1.0 / np.median(times):.0f} fps (median), score mean {scores.mean():.2f}, "
              f"{int((scores < 0.5).sum())} frames below 0.5 -> {stem}_{tag}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
