"""``siam-track video``: track one target through a video file or a folder of frames.

Examples::

    siam-track video clip.mp4 --init 120,80,40,60 --out results.json
    siam-track video frames/ --init 120,80,40,60 --long-term --save-video tracked.mp4
    siam-track video clip.mp4 --config models/pysot/siamrpn_alex_dwxcorr/config.yaml \\
        --weights model.pth --select

Output JSON: ``{"frames": [{"bbox": [x, y, w, h], "score": s, "state": "TRACKING",
"polygon": [[x, y] x 4] or null}, ...], "source": ..., "config": ..., "long_term": ...}``, one
entry per frame; the first is the init box (score 1.0, TRACKING). Without ``--out`` the JSON
goes to stdout. If a frame fails mid-way, the frames done so far are still written (with
``"error"`` and ``"complete": false``) before the one-line error.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .tracker_args import (add_config_args, add_long_term_arg, add_runtime_args, check_threads,
                           runtime_options_from_args)

BoxXYWH = Tuple[float, float, float, float]

STATE_COLOURS_BGR = {"TRACKING": (0, 200, 0), "UNCERTAIN": (0, 200, 255), "LOST": (0, 0, 255),
                     "SEARCHING": (0, 0, 255), "IDLE": (160, 160, 160)}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "video", help="track a target through a video file or a folder of frames",
        description="Track one target (given by --init or --select on the first frame) through a "
                    "video file or a folder of images (jpg/png/bmp/tif/webp/ppm, natural name order) and write "
                    "per-frame boxes, scores and states as JSON.")
    parser.add_argument("source", metavar="SOURCE", help="video file or folder of frames")
    add_config_args(parser, config_help="tracker config: our YAML, a PySOT config.yaml, or a bundled "
                                        "name (default: the bundled nanotrack_v3: NanoTrack v3, "
                                        "upstream weights; siamrpn_slim = the project's SiamRPN-slim)")
    parser.add_argument("--init", metavar="X,Y,W,H", help="target box on the first frame, pixels")
    parser.add_argument("--select", action="store_true",
                        help="draw the init box with the mouse (needs a display and OpenCV with GUI)")
    add_runtime_args(parser)
    add_long_term_arg(parser)
    parser.add_argument("--out", metavar="results.json", help="write the JSON here (default: stdout)")
    parser.add_argument("--save-video", metavar="out.mp4", help="write a video with boxes and states")
    parser.add_argument("--max-frames", type=int, default=None, metavar="N",
                        help="stop after N frames (the init frame included)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def parse_box(text: str) -> BoxXYWH:
    """``"x,y,w,h"`` -> 4 finite floats with w, h > 0; InvalidInputError otherwise."""
    from ..core.errors import InvalidInputError

    parts = [p.strip() for p in str(text).replace(" ", ",").split(",") if p.strip()]
    if len(parts) != 4:
        raise InvalidInputError(f"--init must be x,y,w,h (4 numbers), got {text!r}")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise InvalidInputError(f"--init must be x,y,w,h (4 numbers), got {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise InvalidInputError(f"--init has a NaN or infinite value: {text!r}")
    if values[2] <= 0 or values[3] <= 0:
        raise InvalidInputError(f"--init width and height must be > 0, got {text!r}")
    return values  # type: ignore[return-value]


def highgui_available() -> bool:
    """True when a display is set and OpenCV was built with a GUI backend."""
    import cv2

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    for line in cv2.getBuildInformation().splitlines():
        if line.strip().startswith("GUI:"):
            return line.split(":", 1)[1].strip().upper() not in ("", "NONE")
    return False


def select_box(frame) -> BoxXYWH:
    """Let the user draw the box on ``frame`` (cv2.selectROI)."""
    import cv2

    from ..core.errors import InvalidInputError

    if not highgui_available():
        raise InvalidInputError("--select needs a display (DISPLAY) and OpenCV with GUI support "
                                "(opencv-contrib-python, not -headless); give --init x,y,w,h instead")
    title = "siam-track: drag the target box, ENTER to accept, c to cancel"
    x, y, w, h = cv2.selectROI(title, frame, showCrosshair=True, fromCenter=False)
    cv2.destroyWindow(title)
    if w <= 0 or h <= 0:
        raise InvalidInputError("--select: no box selected")
    return (float(x), float(y), float(w), float(h))


def frame_record(result, first: bool = False) -> Dict[str, Any]:
    """JSON entry of one TrackResult."""
    polygon = None
    if result.polygon is not None:
        polygon = [[round(float(x), 3), round(float(y), 3)] for x, y in result.polygon]
    return {"bbox": [round(float(v), 3) for v in result.bbox_xywh],
            "score": 1.0 if first else round(float(result.score), 5),
            "state": result.state.name, "polygon": polygon}


def draw_result(frame, result, index: int):
    """A copy of ``frame`` with the box (or polygon), state and score drawn."""
    import cv2
    import numpy as np

    canvas = frame.copy()
    state = result.state.name
    colour = STATE_COLOURS_BGR.get(state, (255, 255, 255))
    x, y, w, h = (float(v) for v in result.bbox_xywh)
    visible = result.is_target_visible
    if result.polygon is not None and visible:
        pts = np.round(np.asarray(result.polygon, dtype=np.float64)).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(canvas, [pts], True, colour, 2)
    else:
        thickness = 2 if visible else 1
        cv2.rectangle(canvas, (int(round(x)), int(round(y))), (int(round(x + w)), int(round(y + h))),
                      colour, thickness)
    label = f"#{index} {state} {float(result.score):.2f}"
    cv2.putText(canvas, label, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(canvas, label, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, colour, 1, cv2.LINE_AA)
    return canvas


def _open_writer(path: str, fps: Optional[float], frame_hw: Sequence[int]):
    import cv2

    from ..core.errors import InvalidInputError

    out = Path(path).expanduser()
    if not out.parent.is_dir():
        raise InvalidInputError(f"--save-video: folder {out.parent} does not exist")
    fourcc = cv2.VideoWriter_fourcc(*("mp4v" if out.suffix.lower() in (".mp4", ".m4v", ".mov") else "MJPG"))
    writer = cv2.VideoWriter(str(out), fourcc, float(fps or 30.0), (int(frame_hw[1]), int(frame_hw[0])))
    if not writer.isOpened():
        raise InvalidInputError(f"--save-video: cannot write video {out} (try a .mp4 or .avi name)")
    return writer


def _write_json(document: Dict[str, Any], out: Optional[str]) -> None:
    text = json.dumps(document, indent=1)
    if out is None:
        sys.stdout.write(text + "\n")
        return
    path = Path(out).expanduser()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _check_out_path(out: Optional[str]) -> None:
    from ..core.errors import InvalidInputError

    if out is None:
        return
    path = Path(out).expanduser()
    if path.is_dir():
        raise InvalidInputError(f"--out {out} is a folder; give a file name such as results.json")
    if not path.parent.is_dir():
        raise InvalidInputError(f"--out: folder {path.parent} does not exist")


def run(args: argparse.Namespace) -> int:
    from ..core.errors import InvalidInputError, SiamTrackerError
    from ..data.frame_source import open_frame_source
    from ..core.types import validate_init_box

    if args.init is None and not args.select:
        raise InvalidInputError("give the target with --init x,y,w,h (or --select)")
    if args.init is not None and args.select:
        raise InvalidInputError("give either --init or --select, not both")
    if args.max_frames is not None and args.max_frames < 1:
        raise InvalidInputError(f"--max-frames must be >= 1, got {args.max_frames}")
    check_threads(args)
    box = parse_box(args.init) if args.init is not None else None
    _check_out_path(args.out)
    options = runtime_options_from_args(args)

    stream = open_frame_source(args.source)
    try:
        first = stream.first_frame
        if box is None:
            box = select_box(first)
        box = validate_init_box(box, first.shape)
        from ..build.factory import build_tracker   # imports torch: after the cheap checks

        tracker = build_tracker(args.config, args.weights, options, long_term=args.long_term)
        writer = _open_writer(args.save_video, stream.fps, first.shape[:2]) if args.save_video else None
        document: Dict[str, Any] = {"source": str(args.source), "config": args.config or "default",
                                    "long_term": bool(args.long_term), "frames": []}
        records: List[Dict[str, Any]] = document["frames"]
        total = stream.frame_count
        if args.max_frames is not None:
            total = args.max_frames if total is None else min(total, args.max_frames)
        from tqdm import tqdm

        progress = tqdm(total=total, unit="frame", desc=stream.name, disable=args.no_progress,
                        file=sys.stderr, dynamic_ncols=True)
        try:
            for index, frame in enumerate(stream):
                if args.max_frames is not None and index >= args.max_frames:
                    break
                if index == 0:
                    result = tracker.initialize(frame, box)
                else:
                    if frame.shape != first.shape:
                        raise InvalidInputError(f"frame {index} has shape {frame.shape}, the first "
                                                f"frame {first.shape}")
                    result = tracker.track(frame)
                records.append(frame_record(result, first=index == 0))
                if writer is not None:
                    writer.write(draw_result(frame, result, index))
                progress.update(1)
        except SiamTrackerError as exc:
            document["complete"] = False
            document["error"] = str(exc)
            if args.out is not None:
                _write_json(document, args.out)
            raise
        finally:
            progress.close()
            if writer is not None:
                writer.release()
        document["complete"] = True
        _write_json(document, args.out)
        if args.out is not None:
            lost = sum(1 for r in records if r["state"] in ("LOST", "SEARCHING"))
            print(f"{len(records)} frame(s) tracked -> {args.out}"
                  + (f" ({lost} lost/searching)" if args.long_term else ""), file=sys.stderr)
    finally:
        stream.close()
    return 0
