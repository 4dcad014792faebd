"""``siam-track bag``: make, inspect, evaluate, score, play and record ROS 2 bags.

``make``, ``info``, ``eval`` and ``score`` need only rosbags (``pip install rosbags``); ``play``
and ``record`` need a ROS 2 Python environment (rclpy). Examples::

    siam-track bag make synthetic:lt-small/0 --out bags/lt01 --rate 30
    siam-track bag make --dataset otb --root ~/data/OTB100 --sequence Basketball --out bags/bb --compressed
    siam-track bag eval bags/lt01 --config default --out out/lt01_tracked --json out/lt01.json
    # live: play into a running node, record its outputs (and the played ground truth), score
    siam-track bag record /siam_tracker/detections /siam_tracker/status /ground_truth /init_box --out rec &
    siam-track bag play bags/lt01 --restamp
    siam-track bag score rec
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import List, Optional, Tuple

from .tracker_args import add_config_args, add_long_term_arg, add_runtime_args, check_threads, exact_mode


def _box(text: str) -> Tuple[float, float, float, float]:
    try:
        values = tuple(float(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"box must be x,y,w,h numbers, got {text!r}") from None
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"box must be 4 numbers x,y,w,h, got {len(values)}")
    return values


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bag", help="ROS 2 bags: make from a sequence, evaluate a tracker on one, play/record/score live runs",
        description="Make, evaluate, play, record and score ROS 2 bags (rosbags; play/record need rclpy).")
    commands = parser.add_subparsers(dest="bag_command", metavar="BAG_COMMAND")
    parser.set_defaults(func=lambda args: _no_command(parser))

    make = commands.add_parser(
        "make", help="write a sequence (synthetic, dataset, frame folder, video) into a bag",
        description="Write a sequence into a bag: images (bgr8 Image, or JPEG CompressedImage with "
                    "--compressed) on /camera/image_raw[/compressed], CameraInfo on /camera/camera_info, "
                    "the init box (Detection2D) on /init_box and the ground truth (Detection2DArray per "
                    "frame, empty when absent) on /ground_truth; stamps at --rate, frame_id camera.")
    make.add_argument("source", nargs="?",
                      help="synthetic:<preset>/<name or index>, a folder (groundtruth.txt + frames, or "
                           "frames only) or a video file (ground truth <name>.txt next to it, optional)")
    make.add_argument("--out", required=True, help="bag folder to create")
    make.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
    make.add_argument("--compressed", action="store_true", help="JPEG CompressedImage instead of raw bgr8")
    make.add_argument("--jpeg-quality", type=int, default=90)
    make.add_argument("--rate", type=float, default=30.0, help="frame rate of the stamps (Hz, default 30)")
    make.add_argument("--start", type=float, default=1_700_000_000.0,
                      help="stamp of frame 0 in seconds (default 1700000000)")
    make.add_argument("--max-frames", type=int, help="only the first N frames")
    make.add_argument("--init-box", type=_box, metavar="X,Y,W,H",
                      help="init box on frame 0 (default: the ground truth of frame 0)")
    make.add_argument("--dataset", help="dataset reader (as `siam-track eval --dataset`) instead of SOURCE")
    make.add_argument("--root", help="dataset folder for --dataset")
    make.add_argument("--sequence", help="sequence name for --dataset")
    make.add_argument("--force", action="store_true", help="replace an existing bag at --out")
    make.add_argument("--no-progress", action="store_true")
    make.set_defaults(func=run_make)

    info = commands.add_parser("info", help="topics, types and counts of a bag (what this tool can decode)")
    info.add_argument("bag")
    info.set_defaults(func=run_info)

    ev = commands.add_parser(
        "eval", help="replay a bag offline through the node's code path and score it",
        description="Replay a bag offline and deterministically through the node's code path (image "
                    "conversion, stream session, detection conversion), initialised from the bag's "
                    "init box; write the node's outputs to --out and score them against the bag's "
                    "ground truth (rates and latency only when it has none).")
    ev.add_argument("bag")
    who = ev.add_mutually_exclusive_group(required=True)
    add_config_args(ev, who, config_help="tracker config: a YAML / PySOT experiment path, a bundled "
                                         "config name, or 'default' (the bundled default tracker)")
    who.add_argument("--baseline", choices=("csrt", "kcf", "mil"), help="an OpenCV baseline instead")
    add_long_term_arg(ev)
    add_runtime_args(ev, exact_help="PySOT-exact numerics (host crop); default: the node's faster "
                                    "settings (--fast)",
                     fast_help="the node's faster settings (exact=False; the default)")
    ev.add_argument("--out", help="output bag with the node's topics (/siam_tracker/...)")
    ev.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap", help="storage of --out")
    ev.add_argument("--json", help="write the figures as JSON")
    ev.add_argument("--image-topic", help="image topic (default: the bag's only Image/CompressedImage topic)")
    ev.add_argument("--init-topic", default="/init_box")
    ev.add_argument("--ground-truth-topic", default="/ground_truth")
    ev.add_argument("--init-box", type=_box, metavar="X,Y,W,H",
                    help="initialise on the first frame with this box instead of the bag's init box")
    ev.add_argument("--no-mask", action="store_true", help="do not write /siam_tracker/mask")
    ev.add_argument("--force", action="store_true", help="replace an existing bag at --out")
    ev.add_argument("--no-progress", action="store_true")
    ev.set_defaults(func=run_eval)

    score = commands.add_parser(
        "score", help="score node outputs recorded from a live run against a bag's ground truth",
        description="Score /siam_tracker/detections recorded from a live node against the ground truth "
                    "(matched by header stamp). Without --ground-truth the recorded bag's own "
                    "/ground_truth is used (record it while playing, e.g. with bag play --restamp).")
    score.add_argument("recorded")
    score.add_argument("--ground-truth", metavar="BAG", help="bag with /ground_truth (+ /init_box)")
    score.add_argument("--detections-topic", default="/siam_tracker/detections")
    score.add_argument("--status-topic", default="/siam_tracker/status")
    score.add_argument("--ground-truth-topic", default="/ground_truth")
    score.add_argument("--init-topic", default="/init_box")
    score.add_argument("--json", help="write the figures as JSON")
    score.set_defaults(func=run_score)

    play = commands.add_parser("play", help="publish a bag into a live ROS 2 graph with its timing (rclpy)")
    play.add_argument("bag")
    play.add_argument("--rate", type=float, default=1.0, help="speed factor (default 1)")
    play.add_argument("--loop", action="store_true", help="play again and again until Ctrl-C")
    play.add_argument("--topics", nargs="+", help="only these topics")
    play.add_argument("--restamp", action="store_true",
                      help="shift header stamps to the current time (a live node then takes frames as fresh)")
    play.add_argument("--wait-for-subscribers", type=float, default=0.0, metavar="S",
                      help="wait up to S seconds until every topic has a subscriber")
    play.set_defaults(func=run_play)

    record = commands.add_parser("record", help="record topics of a live ROS 2 graph into a bag (rclpy)")
    record.add_argument("topics", nargs="+")
    record.add_argument("--out", required=True, help="bag folder to create")
    record.add_argument("--duration", type=float, help="stop after S seconds (default: Ctrl-C)")
    record.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
    record.add_argument("--force", action="store_true", help="replace an existing bag at --out")
    record.set_defaults(func=run_record)


def _require(module: str, hint: str) -> None:
    """One-line error (not a traceback) when an optional dependency is missing."""
    import importlib

    from ..core.errors import InvalidInputError

    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise InvalidInputError(f"{hint} ({exc})") from None


def _require_rosbags() -> None:
    _require("rosbags", "bag tools need the rosbags package: pip install rosbags")


def _require_rclpy() -> None:
    _require_rosbags()
    _require("rclpy", "bag play/record need ROS 2 Python (rclpy): source your ROS 2 setup")


def _no_command(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_make(args: argparse.Namespace) -> int:
    _require_rosbags()
    from ..ros.bag.make import MakeOptions, load_source, write_source_bag

    source = load_source(args.source, args.dataset, args.root, args.sequence)
    options = MakeOptions(storage=args.storage, compressed=args.compressed, rate_hz=args.rate,
                          start_ns=int(round(args.start * 1e9)), jpeg_quality=args.jpeg_quality,
                          force=args.force)
    summary = write_source_bag(source, args.out, options, args.max_frames, args.init_box,
                               progress=not args.no_progress)
    w, h = summary.frame_size_wh
    gt = "with ground truth" if summary.has_ground_truth else "no ground truth"
    init = "no init box" if not summary.init_box_xywh else \
        "init box " + ",".join(f"{v:g}" for v in summary.init_box_xywh)
    print(f"{summary.path}: {summary.frames} frames {w}x{h} ({'jpeg' if summary.compressed else 'bgr8'}, "
          f"{summary.storage}, {args.rate:g} Hz), {gt}, {init}; {summary.bytes / 1e6:.1f} MB "
          f"in {summary.seconds:.1f} s")
    return 0


def run_info(args: argparse.Namespace) -> int:
    _require_rosbags()
    from ..ros.bag.io import BagReader

    with BagReader(args.bag) as reader:
        print(f"{args.bag}: distro {reader.distro}, {len(reader.topics)} topic(s)")
        width = max((len(t) for t in reader.topics), default=0)
        for name in sorted(reader.topics):
            topic = reader.topics[name]
            note = "" if topic.decodable else "  (skipped: type unknown)"
            print(f"  {name.ljust(width)}  {topic.typename}  {topic.count}{note}")
    return 0


def _build_tracker(args: argparse.Namespace):
    from ..ros.bag.eval import build_eval_tracker

    check_threads(args)
    return build_eval_tracker(config=args.config, baseline=args.baseline, weights=args.weights,
                              long_term=args.long_term, device=args.device, num_threads=args.threads,
                              exact=exact_mode(args, default=False), fp16=args.fp16)


def _score_rows(scores: Optional[dict]) -> List[tuple]:
    from ..ros.bag.scoring import fmt

    if not scores:
        return []
    return [("success AUC", fmt(scores["success_auc"])),
            ("precision@20px", fmt(scores["precision_20px"])),
            ("norm. precision@0.2", fmt(scores["norm_precision_0.2"])),
            ("AO / SR0.5", f"{fmt(scores['ao'])} / {fmt(scores['sr50'])}"),
            ("LT precision / recall / F", f"{fmt(scores['lt_precision'])} / {fmt(scores['lt_recall'])} / "
                                          f"{fmt(scores['lt_f'])}")]


def _latency_rows(latency: dict) -> List[tuple]:
    from ..ros.bag.scoring import fmt

    return [("latency ms mean / p50 / p95", f"{fmt(latency['mean'], 1)} / {fmt(latency['p50'], 1)} / "
                                            f"{fmt(latency['p95'], 1)}")]


def _write_json(path: Optional[str], document: dict) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(document, indent=2) + "\n")
        print(f"figures -> {path}")


def run_eval(args: argparse.Namespace) -> int:
    _require_rosbags()
    from ..ros.bag.eval import EvalOptions, evaluate_bag
    from ..ros.bag.scoring import fmt, format_table

    name, tracker = _build_tracker(args)
    options = EvalOptions(image_topic=args.image_topic, init_topic=args.init_topic,
                          ground_truth_topic=args.ground_truth_topic, init_box_xywh=args.init_box,
                          write_mask=not args.no_mask, out_storage=args.storage, force=args.force)
    result = evaluate_bag(args.bag, tracker, args.out, options, progress=not args.no_progress)
    summary = result.summary()
    summary["tracker"] = name
    timing = summary["timing"]
    rows = [("tracker", name), ("image topic", result.image_topic),
            ("frames (with target)", f"{summary['frames']} ({summary['frames_with_target']})"),
            ("frames dropped (bad input)", str(summary["frames_dropped"])),
            ("frames scored", str(summary["frames_scored"]) if summary["scores"] else "- (no ground truth)")]
    rows += _score_rows(summary["scores"])
    rows += [("fps (decode+track+convert)", fmt(timing["fps"], 1))] + _latency_rows(timing["latency_ms"])
    print(f"bag eval {args.bag}")
    print(format_table(rows))
    if args.out:
        print(f"outputs -> {args.out}")
    _write_json(args.json, summary)
    return 0


def run_score(args: argparse.Namespace) -> int:
    _require_rosbags()
    from ..ros.bag.scoring import format_table, score_recorded_bag

    result = score_recorded_bag(args.recorded, args.ground_truth, args.detections_topic, args.status_topic,
                                args.ground_truth_topic, args.init_topic)
    summary = result.summary(args.recorded, args.ground_truth or args.recorded)
    rows = [("frames", str(summary["frames"])),
            ("frames with output (with target)", f"{summary['frames_with_output']} ({summary['frames_with_target']})"),
            ("frames scored", str(summary["frames_scored"]))]
    if summary["frames_dropped"] is not None:
        rows.append(("frames dropped (node status)", str(summary["frames_dropped"])))
    rows += _score_rows(summary["scores"]) + _latency_rows(summary["timing"]["latency_ms"])
    print(f"bag score {args.recorded}")
    print(format_table(rows))
    _write_json(args.json, summary)
    return 0


def run_play(args: argparse.Namespace) -> int:
    _require_rclpy()
    from ..ros.bag.play import play_bag
    from ..ros.spinning import STOP_BUDGET_S

    stats = play_bag(args.bag, rate=args.rate, loop=args.loop, topics=args.topics, restamp=args.restamp,
                     wait_for_subscribers_s=args.wait_for_subscribers, hard_stop_s=STOP_BUDGET_S)
    total = sum(stats.published.values())
    print(f"played {total} message(s) on {len(stats.published)} topic(s) in {stats.seconds:.1f} s"
          + (f" ({stats.loops} loop(s))" if args.loop else ""))
    return 0


def run_record(args: argparse.Namespace) -> int:
    _require_rclpy()
    from ..ros.bag.record import record_bag
    from ..ros.spinning import STOP_BUDGET_S

    stats = record_bag(args.topics, args.out, duration_s=args.duration, storage=args.storage, force=args.force,
                       hard_stop_s=STOP_BUDGET_S)
    total = sum(stats.written.values())
    print(f"{stats.path}: recorded {total} message(s) on {len(stats.written)} topic(s) in {stats.seconds:.1f} s")
    return 0
