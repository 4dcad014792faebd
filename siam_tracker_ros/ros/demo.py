"""``make demo``: replay a seeded synthetic clip through the real node over DDS.

The node runs as its own process, started the way users start it, ``ros2 launch siam_tracker
track.launch.py`` (installed executable + config/tracker.yaml, default model), or, where the launch
stack is not installed, the installed executable with the same params file.
This process plays the clip at camera rate with an init box drawn on an earlier frame, records
the node's outputs to a rosbag2 (mcap, via ``rosbags``), writes an annotated video and prints
mean IoU, throughput and latency. Outputs go to ``--out`` (default out/demo/):

    tracking.mp4     frames with the node's box (colour = state) and the ground truth (white)
    outputs_bag/     rosbag2 mcap: detection, detections, status, confidence, init_box, /diagnostics
    node.log         the node's log
    summary.json     the printed figures
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Sequence as SequenceType, Tuple

import cv2
import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.serialization import serialize_message
from std_msgs.msg import Float32
from vision_msgs.msg import Detection2D, Detection2DArray

from siam_tracker.msg import TrackerStatus

from ..core.boxes import box_iou
from ..core.types import TrackResult, TrackState
from ..data.synthetic import generate_sequence
from . import detection_conversion, launch_process, node_process
from .overlay import draw_result
from .sequence_player import PlaySchedule, SequencePlayer, demo_spec
from .spinning import BackgroundSpinner, destroy_and_shutdown
from .stamps import stamp_to_ns

VISION_MSGS_TYPES = ("Point2D", "Pose2D", "BoundingBox2D", "ObjectHypothesis",
                     "ObjectHypothesisWithPose", "Detection2D", "Detection2DArray")


def _msg_file(package: str, name: str) -> str:
    """Path of ``<package>/msg/<name>.msg`` from the ament index, else from this source tree."""
    try:
        from ament_index_python.packages import get_package_share_directory

        path = os.path.join(get_package_share_directory(package), "msg", f"{name}.msg")
        if os.path.exists(path):
            return path
    except Exception:  # not on AMENT_PREFIX_PATH
        pass
    root = node_process.REPO_ROOT
    candidates = [os.path.join(root, "msg", f"{name}.msg")] if package == "siam_tracker" else \
        glob.glob(os.path.join(root, "ros_env", "**", package, "msg", f"{name}.msg"),
                  recursive=True)
    for path in candidates:
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"cannot find {package}/msg/{name}.msg (run `make env`)")


def bag_typestore():
    """A rosbags Jazzy typestore with vision_msgs and siam_tracker/TrackerStatus registered from
    their .msg text."""
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore

    typestore = get_typestore(Stores.ROS2_JAZZY)
    types: Dict[str, Any] = {}
    for name in VISION_MSGS_TYPES:
        with open(_msg_file("vision_msgs", name), encoding="utf-8") as handle:
            types.update(get_types_from_msg(handle.read(), f"vision_msgs/msg/{name}"))
    with open(_msg_file("siam_tracker", "TrackerStatus"), encoding="utf-8") as handle:
        types.update(get_types_from_msg(handle.read(), "siam_tracker/msg/TrackerStatus"))
    typestore.register(types)
    return typestore


class BagRecorder:
    """Subscribes to the node's outputs; keeps the messages (with receive times) and writes
    each one, CDR-serialised by rclpy, into a rosbag2 mcap."""

    TOPICS = (("detection", Detection2D, "vision_msgs/msg/Detection2D"),
              ("detections", Detection2DArray, "vision_msgs/msg/Detection2DArray"),
              ("status", TrackerStatus, "siam_tracker/msg/TrackerStatus"),
              ("confidence", Float32, "std_msgs/msg/Float32"))

    def __init__(self, node, namespace: str, bag_dir: str) -> None:
        from rosbags.rosbag2 import StoragePlugin, Writer

        self.node = node
        self._lock = threading.Lock()
        self.messages: Dict[str, List[Tuple[float, Any]]] = {}
        typestore = bag_typestore()
        self.writer = Writer(bag_dir, version=9, storage_plugin=StoragePlugin.MCAP)
        self.writer.open()
        reliable = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        self.subscriptions = []
        self._connections = {}
        base = f"{namespace}/siam_tracker"
        topics = [(f"{base}/{name}", name, cls, type_name) for name, cls, type_name in self.TOPICS]
        topics += [(f"{namespace}/init_box", "init_box", Detection2D, "vision_msgs/msg/Detection2D"),
                   ("/diagnostics", "diagnostics", DiagnosticArray,
                    "diagnostic_msgs/msg/DiagnosticArray")]
        for topic, key, cls, type_name in topics:
            self._connections[key] = self.writer.add_connection(topic, type_name,
                                                                typestore=typestore)
            self.subscriptions.append(node.create_subscription(
                cls, topic, self._store(key), reliable))

    def _store(self, key: str):
        def callback(msg: Any) -> None:
            received_s = time.monotonic()
            with self._lock:
                self.messages.setdefault(key, []).append((received_s, msg))
                self.writer.write(self._connections[key], time.time_ns(),
                                  serialize_message(msg))
        return callback

    def get(self, key: str) -> List[Tuple[float, Any]]:
        with self._lock:
            return list(self.messages.get(key, []))

    def node_ready(self) -> bool:
        return all(s.get_publisher_count() > 0 for s in self.subscriptions[:4])

    def close(self) -> None:
        with self._lock:
            self.writer.close()




def parse_args(argv: Optional[SequenceType[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Replay a synthetic clip through the node.")
    parser.add_argument("--out", default=os.path.join(node_process.REPO_ROOT, "out", "demo"))
    parser.add_argument("--namespace", default="/siam_demo")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--ready-timeout-s", type=float, default=120.0)
    parser.add_argument("--launch", choices=("auto", "yes", "no"), default="auto",
                        help="start the node with `ros2 launch siam_tracker track.launch.py` "
                             "(auto: when the launch stack is installed)")
    return parser.parse_args(argv)


def main(argv: Optional[SequenceType[str]] = None) -> int:
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    bag_dir = os.path.join(args.out, "outputs_bag")
    if os.path.exists(bag_dir):
        import shutil
        shutil.rmtree(bag_dir)
    spec = demo_spec(args.seed, args.frames)
    sequence = generate_sequence(spec)
    init_frame, init_after = 5, 15
    print(f"siam_tracker demo: {len(sequence)} synthetic frames {spec.frame_size_wh[0]}x"
          f"{spec.frame_size_wh[1]} at {args.rate:g} Hz (seed {args.seed}); the target leaves the "
          f"view at frame {spec.out_of_view[0][0]} and comes back; init box drawn on frame "
          f"{init_frame}, sent after frame {init_after}", flush=True)

    log_path = os.path.join(args.out, "node.log")
    reason = "--launch no" if args.launch == "no" else launch_process.launch_unavailable_reason()
    if reason and args.launch == "yes":
        print(f"siam_tracker demo: cannot use ros2 launch: {reason}", file=sys.stderr)
        return 2
    launch_args = {"namespace": args.namespace}
    with open(log_path, "w") as log:
        if reason:
            node_proc = node_process.start_node(args.namespace, log)
            started_with = f"{' '.join(node_process.node_command(args.namespace))} ({reason})"
        else:
            env = dict(os.environ)
            env.setdefault("RCUTILS_COLORIZED_OUTPUT", "0")  # node.log without colour codes
            node_proc = launch_process.start_launch(launch_args, log, env, cwd=node_process.REPO_ROOT)
            started_with = " ".join(launch_process.launch_command(launch_args))
    print(f"node: {started_with}", flush=True)
    rclpy.init()
    player = SequencePlayer(args.namespace, node_name="demo_player")
    recorder = BagRecorder(player, args.namespace, bag_dir)
    executor = SingleThreadedExecutor()
    executor.add_node(player)
    spinner = BackgroundSpinner(executor, name="demo-spin").start()
    node_code = None
    try:
        deadline = time.monotonic() + args.ready_timeout_s
        while not (recorder.node_ready() and player.wait_for_tracker(0.1)):
            if node_proc.poll() is not None or time.monotonic() > deadline:
                print("the node did not start; its log:\n" + open(log_path).read()[-3000:],
                      file=sys.stderr)
                return 1
            time.sleep(0.1)
        started = time.monotonic()
        record = player.play(sequence, PlaySchedule(args.rate, (), init_frame, init_after))
        play_s = time.monotonic() - started
        time.sleep(1.0)
    finally:
        if reason:
            node_code = node_process.stop_node(node_proc)
        else:
            launch_code = launch_process.stop_launch(node_proc)
            with open(log_path, encoding="utf-8", errors="replace") as handle:
                node_code = launch_process.node_exit_code(handle.read())
            node_code = launch_code if node_code is None or launch_code else node_code
        spinner.stop()                      # join the spinning thread before destroying anything
        recorder.close()
        destroy_and_shutdown([player], rclpy.get_default_context())

    summary = summarise(sequence, record, recorder, init_after, play_s)
    summary["node_exit_code"] = node_code
    summary["node_started_with"] = started_with
    write_video(os.path.join(args.out, "tracking.mp4"), sequence, record, recorder, args.rate)
    with open(os.path.join(args.out, "summary.json"), "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2)
    print(format_summary(summary, args.out), flush=True)
    return 0 if summary["frames_processed"] > 0 and node_code == 0 else 1


def _results_by_index(record, recorder) -> Dict[int, Tuple[float, Any]]:
    index_of = {s: i for i, s in enumerate(record.stamps_ns)}
    return {index_of[stamp_to_ns(m.header.stamp)]: (t, m) for t, m in recorder.get("detections")
            if stamp_to_ns(m.header.stamp) in index_of}


def summarise(sequence, record, recorder, init_after: int, play_s: float) -> Dict[str, Any]:
    """Mean IoU over visible frames after the init, output rate, latency (image published →
    detections received), states seen, drops."""
    by_index = _results_by_index(record, recorder)
    ious, latencies = [], []
    for index, (received_s, msg) in sorted(by_index.items()):
        latencies.append((received_s - record.published_s[index]) * 1e3)
        if index <= init_after or not sequence.visible[index]:
            continue
        box = detection_conversion.detection_to_box_xywh(msg.detections[0]) \
            if msg.detections else None
        ious.append(box_iou(box, sequence.boxes_xywh[index]) if box else 0.0)
    statuses = [m for _, m in recorder.get("status")]
    states: Dict[str, int] = {}
    for status in statuses:
        name = TrackState(status.state).name
        states[name] = states.get(name, 0) + 1
    diag = recorder.get("diagnostics")
    node_ms = float("nan")
    for _, msg in reversed(diag):
        values = {kv.key: kv.value for st in msg.status for kv in st.values}
        if "latency_ms_mean" in values:
            node_ms = float(values["latency_ms_mean"])
            break
    lat = np.asarray(latencies) if latencies else np.asarray([np.nan])
    return {
        "frames_published": len(record.stamps_ns),
        "frames_processed": len(by_index),
        "frames_dropped": int(statuses[-1].frames_dropped) if statuses else 0,
        "mean_iou_visible": float(np.mean(ious)) if ious else float("nan"),
        "output_fps": len(by_index) / play_s if play_s > 0 else float("nan"),
        "node_processing_ms_mean": node_ms,
        "latency_ms_mean": float(np.nanmean(lat)),
        "latency_ms_p95": float(np.nanpercentile(lat, 95)),
        "status_states": states,
        "last_error": statuses[-1].last_error if statuses else "",
    }


def write_video(path: str, sequence, record, recorder, rate_hz: float) -> None:
    """mp4 (mp4v) of every published frame with the node's result for that frame."""
    by_index = _results_by_index(record, recorder)
    status_by_stamp = {stamp_to_ns(m.header.stamp): m for _, m in recorder.get("status")}
    width, height = sequence.frames[0].shape[1], sequence.frames[0].shape[0]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), rate_hz, (width, height))
    if not writer.isOpened():
        print(f"warning: OpenCV cannot write {path}; no video", file=sys.stderr)
        return
    label = ""
    for index in range(len(record.stamps_ns)):
        result: Optional[TrackResult] = None
        entry = by_index.get(index)
        status = status_by_stamp.get(record.stamps_ns[index])
        if entry is not None and status is not None:
            msg = entry[1]
            state = TrackState(status.state)
            if msg.detections:
                det = msg.detections[0]
                label = f"{det.results[0].hypothesis.class_id} #{det.id}" if det.results else ""
                box = detection_conversion.detection_to_box_xywh(det)
                result = TrackResult(box, float(status.confidence), state)
            else:
                result = TrackResult((0.0, 0.0, 0.0, 0.0), float(status.confidence), state)
        canvas = draw_result(sequence.frames[index], result, label if result else "no output",
                             ground_truth_xywh=sequence.boxes_xywh[index])
        cv2.putText(canvas, f"frame {index}", (8, height - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (255, 255, 255), 1, cv2.LINE_AA)
        writer.write(canvas)
    writer.release()


def format_summary(summary: Dict[str, Any], out_dir: str) -> str:
    states = ", ".join(f"{k} {v}" for k, v in sorted(summary["status_states"].items()))
    return "\n".join([
        "",
        f"  frames processed     {summary['frames_processed']} / {summary['frames_published']} "
        f"(dropped {summary['frames_dropped']})",
        f"  mean IoU (visible)   {summary['mean_iou_visible']:.3f}",
        f"  output rate          {summary['output_fps']:.1f} FPS (camera-bound); node processing "
        f"{summary['node_processing_ms_mean']:.1f} ms/frame",
        f"  latency image→det.   mean {summary['latency_ms_mean']:.1f} ms, "
        f"p95 {summary['latency_ms_p95']:.1f} ms (across processes, over DDS)",
        f"  states (status msgs) {states}",
        f"  node                 {summary.get('node_started_with', '?')}; exit status "
        f"{summary.get('node_exit_code', '?')}",
        f"  outputs              {os.path.join(out_dir, 'tracking.mp4')}, "
        f"{os.path.join(out_dir, 'outputs_bag')} (mcap), {os.path.join(out_dir, 'node.log')}",
    ])


if __name__ == "__main__":
    sys.exit(main())
