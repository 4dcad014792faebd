"""``siam-track eval``: run trackers over a dataset or a synthetic preset, store PySOT-layout results.

Examples::

    siam-track eval --dataset lt-small --baseline csrt --baseline kcf --results out/results
    siam-track eval --dataset otb --root ~/data/OTB100 --config config/trackers/x.yaml --weights w.pth --jobs 2
    siam-track eval --dataset vot --root ~/data/VOT2018 --config default --protocol vot
"""
from __future__ import annotations

import argparse

from .tracker_args import add_config_args, add_long_term_arg, add_runtime_args, make_tracker_spec, \
    tracker_spec_from_args

DEFAULT_RESULTS = "out/results"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval", help="run trackers over a dataset (resumable, PySOT result layout)",
        description="Run our trackers and/or OpenCV baselines over a dataset or synthetic preset; "
                    "finished sequences are skipped, so an interrupted run resumes.")
    parser.add_argument("--dataset", required=True,
                        help="otb, pysot-json, vot, vot-lt, lasot, got10k, uav123, trackingnet, folder, "
                             "video, or a synthetic preset (lt-small, st-small, lt-full; no --root)")
    parser.add_argument("--root", help="dataset folder (or file for pysot-json / video)")
    add_config_args(parser, config_help="tracker config: our YAML, a PySOT config.yaml, a bundled "
                                        "name, or 'default' (the bundled default tracker)")
    parser.add_argument("--baseline", action="append", choices=("csrt", "kcf", "mil", "nano"), default=[],
                        help="OpenCV baseline to run as well (repeatable); nano = cv2.TrackerNano "
                             "with NanoTrack v2's ONNX pair")
    parser.add_argument("--nano-onnx", nargs=2, metavar=("BACKBONE", "HEAD"),
                        help="ONNX backbone and head for --baseline nano (default: the bundled "
                             "models/nanotrack/v2 pair)")
    add_long_term_arg(parser)
    parser.add_argument("--name", help="result-folder name of --config (default: config stem, -lt suffix)")
    parser.add_argument("--protocol", choices=("ope", "vot"), default="ope",
                        help="ope = one pass (default); vot = VOT reset protocol (failure at IoU 0, "
                             "re-init 5 frames later)")
    parser.add_argument("--sequences", help="comma-separated subset of sequence names")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (parallel over sequences)")
    add_runtime_args(parser)
    parser.add_argument("--results", default=DEFAULT_RESULTS, help=f"results root (default {DEFAULT_RESULTS})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.errors import InvalidInputError
    from ..evaluation.datasets import is_synthetic, load_dataset
    from ..evaluation.runner import run_evaluation

    if not args.config and not args.baseline:
        raise InvalidInputError("give --config CFG and/or --baseline csrt|kcf|mil|nano")
    if args.root is None and not is_synthetic(args.dataset):
        raise InvalidInputError(f"dataset {args.dataset} needs --root DIR")
    specs = [make_tracker_spec(baseline=b, nano_models=args.nano_onnx if b == "nano" else None)
             for b in dict.fromkeys(args.baseline)]
    if args.config:
        specs.insert(0, tracker_spec_from_args(args, name=args.name))
    names = [s for s in (args.sequences or "").split(",") if s]
    sequences = load_dataset(args.dataset, args.root, names or None)
    for spec in specs:
        summary = run_evaluation(args.dataset, sequences, spec, args.results, jobs=args.jobs,
                                 protocol=args.protocol, progress=not args.no_progress)
        print(f"{spec.name} on {args.dataset}: {len(summary.ran)} sequence(s) run, "
              f"{len(summary.skipped)} already done ({summary.seconds:.1f} s) -> {summary.out_dir}")
    return 0
