#!/usr/bin/env python3
"""Boxes of fast mode / other backends against the exact mode on the parity video.

For each PySOT reference model (test/fixtures/parity, seeded reference weights) and NanoTrack
(test/fixtures/nanotrack clip, when present) the exact tracker and each variant track the same
frames from the same init box; prints the largest |box difference| (px, over x, y, w, h and
all frames) per variant. Requirement: fast mode within 0.5 px.

    python scripts/fast_parity.py                       # fast (auto backend) + each runtime
    python scripts/fast_parity.py --models siamrpn_alex_dwxcorr --variants fast:torch
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "test" / "core"))

from siam_tracker_ros.core.config import RuntimeOptions  # noqa: E402
from siam_tracker_ros.build.pysot_factory import build_pysot_tracker  # noqa: E402

PYSOT_MODELS = ("siamrpn_alex_dwxcorr", "siamrpn_mobilev2_l234_dwxcorr", "siammask_r50_l3",
                "siamrpn_r50_l234_dwxcorr", "siamrpn_r50_l234_dwxcorr_lt")
DEFAULT_VARIANTS = "fast:auto,fast:torch,exact:onnxruntime,exact:openvino"


def parse_variant(text: str) -> RuntimeOptions:
    mode, _, backend = text.partition(":")
    backend, _, extra = backend.partition("+")
    if mode not in ("fast", "exact") or extra not in ("", "bf16"):
        raise SystemExit(f"variant {text!r}: expected fast|exact:BACKEND[+bf16]")
    return RuntimeOptions(device="cpu", exact=(mode == "exact"), backend=backend or "torch",
                          num_threads=ARGS.threads, bf16=extra == "bf16")


def run(tracker, frames, box):
    tracker.initialize(frames[0], box)
    return np.array([tracker.track(f).bbox_xywh for f in frames[1:]], dtype=np.float64)


def pysot_case(name):
    import pysot_parity_data as data
    exp, model = data.reference_model(name)
    return (lambda options: build_pysot_tracker(exp, None, options, model=model)), data.frames(), data.INIT_BOX


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(PYSOT_MODELS))
    parser.add_argument("--variants", default=DEFAULT_VARIANTS)
    parser.add_argument("--threads", type=int, default=2)
    global ARGS
    ARGS = parser.parse_args()
    variants = [v for v in ARGS.variants.split(",") if v]
    print(f"{'model':34s} {'variant':20s} {'max |box diff| px':>18s} {'frames':>7s}")
    worst = 0.0
    for name in [m for m in ARGS.models.split(",") if m]:
        build, frames, box = pysot_case(name)
        exact = run(build(RuntimeOptions(device="cpu", num_threads=ARGS.threads)), frames, box)
        for variant in variants:
            boxes = run(build(parse_variant(variant)), frames, box)
            diff = float(np.abs(boxes - exact).max())
            worst = max(worst, diff) if variant.startswith("fast") else worst
            print(f"{name:34s} {variant:20s} {diff:18.4f} {len(boxes):7d}", flush=True)
    print(f"largest fast-mode difference: {worst:.4f} px (requirement <= 0.5 px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
