"""``siam-track report``: score stored results (one tracker folder or a parent of several) against
a dataset's ground truth; prints a markdown table, optionally writes plots and JSON
(schema: siam_tracker_ros/evaluation/report.py and docs/evaluation.md).

Example::

    siam-track report --results out/results --dataset lt-small --plots out/plots --json out/lt-small.json
"""
from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", help="score stored results: markdown table, success/precision plots, JSON",
        description="Score results written by 'siam-track eval' (or any PySOT-layout results).")
    parser.add_argument("--results", required=True,
                        help="a tracker's result folder, or a folder of tracker folders "
                             "(the eval results root works too)")
    parser.add_argument("--dataset", required=True, help="dataset name as for 'siam-track eval'")
    parser.add_argument("--root", help="dataset folder (not for synthetic presets)")
    parser.add_argument("--sequences", help="comma-separated subset of sequence names")
    parser.add_argument("--json", metavar="OUT", help="write the full report as JSON")
    parser.add_argument("--plots", metavar="DIR", help="write success/precision plots (PNG) here")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.errors import InvalidInputError
    from ..evaluation.report import build_report, render_markdown, write_json, write_plots
    from ..evaluation.datasets import is_synthetic, load_dataset

    if args.root is None and not is_synthetic(args.dataset):
        raise InvalidInputError(f"dataset {args.dataset} needs --root DIR")
    names = [s for s in (args.sequences or "").split(",") if s]
    sequences = load_dataset(args.dataset, args.root, names or None)
    report = build_report(args.dataset, sequences, args.results, root=args.root)
    print(render_markdown(report), end="")
    if args.plots:
        for path in write_plots(report, args.plots):
            print(f"plot: {path}")
    if args.json:
        print(f"json: {write_json(report, args.json)}")
    return 0
