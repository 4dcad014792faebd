#!/usr/bin/env python3
"""Benchmark the siam_tracker node end to end at 640x480 and print a table:

- bare tracker: ms per frame of ``track()`` on the model the node builds (same parameters);
- end-to-end latency: image published (this process) -> ~/detections received (this process),
  with the node as its own process over DDS;
- node overhead: end-to-end latency minus the bare tracker time (transport, conversion,
  queueing, publishing);
- RSS of the node process after warm-up (before the first frame) and at the end of the run.

    source scripts/activate_env.sh .venv
    python scripts/bench_node.py --frames 2000 --rate 30
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time

import numpy as np
import yaml


def node_settings_from_params_file(path: str):
    """NodeSettings of the params file's ``/**: ros__parameters`` over the declared defaults."""
    from siam_tracker_ros.ros.params import ALL_PARAMS, DEPRECATED_ALIASES, NodeSettings

    values = {spec.name: spec.default for spec in ALL_PARAMS}
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    for key, section in data.items():
        if isinstance(section, dict) and "ros__parameters" in section:
            given = dict(section["ros__parameters"] or {})
            for old, new in DEPRECATED_ALIASES.items():   # as the node reads them
                if old in given:
                    given.setdefault(new, given.pop(old))
            values.update(given)
    return NodeSettings.from_values(values)


def bench_bare_tracker(settings, sequence, frames: int):
    """ms per track() call (init excluded) on the first ``frames`` frames."""
    from siam_tracker_ros.ros.tracker_loading import load_tracker

    tracker, name, _ = load_tracker(settings)
    tracker.initialize(sequence.frames[0], sequence.boxes_xywh[0])
    times = []
    for index in range(1, frames):
        frame = sequence.frames[index]
        start = time.perf_counter()
        tracker.track(frame)
        times.append((time.perf_counter() - start) * 1e3)
    del tracker
    return name, np.asarray(times)


def bench_node(sequence, frames: int, rate_hz: float, namespace: str, log_dir: str):
    """Run the node process on ``frames`` frames; returns a dict of figures."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from diagnostic_msgs.msg import DiagnosticArray
    from vision_msgs.msg import Detection2DArray

    from siam_tracker.msg import TrackerStatus
    from siam_tracker_ros.ros import node_process
    from siam_tracker_ros.ros.sequence_player import PlaySchedule, SequencePlayer
    from siam_tracker_ros.ros.spinning import BackgroundSpinner, destroy_and_shutdown
    from siam_tracker_ros.ros.stamps import stamp_to_ns

    log_path = os.path.join(log_dir, "bench_node.log")
    with open(log_path, "w") as log:
        proc = node_process.start_node(namespace, log)
    rclpy.init()
    player = SequencePlayer(namespace, node_name="bench_player")
    received = {}
    statuses = []
    lock = threading.Lock()

    def on_detections(msg):
        now = time.monotonic()
        key = stamp_to_ns(msg.header.stamp)
        with lock:
            received[key] = (now, len(msg.detections))

    reliable = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
    base = f"{namespace}/siam_tracker"
    sub = player.create_subscription(Detection2DArray, f"{base}/detections", on_detections,
                                     reliable)
    player.create_subscription(TrackerStatus, f"{base}/status", statuses.append, reliable)
    diagnostics = []
    player.create_subscription(DiagnosticArray, "/diagnostics", diagnostics.append, reliable)
    executor = SingleThreadedExecutor()
    executor.add_node(player)
    spinner = BackgroundSpinner(executor, name="bench-spin").start()
    try:
        deadline = time.monotonic() + 180
        while not (sub.get_publisher_count() > 0 and player.wait_for_tracker(0.1)):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("node did not start:\n" + open(log_path).read()[-2000:])
        rss_start = node_process.rss_mib(proc.pid)
        frames_view = _Prefix(sequence, frames)
        started = time.monotonic()
        rss_series = []

        def sample_rss(index, _header):
            if index % 250 == 0:
                rss_series.append((index, node_process.rss_mib(proc.pid)))
        record = player.play(frames_view, PlaySchedule(rate_hz, (), 0, 0), on_frame=sample_rss)
        play_s = time.monotonic() - started
        time.sleep(1.0)
        rss_end = node_process.rss_mib(proc.pid)
        rss_series.append((frames, rss_end))
    finally:
        code = node_process.stop_node(proc)
        spinner.stop()                       # join the spinning thread before destroying
        destroy_and_shutdown([player], rclpy.get_default_context())
    with lock:
        latencies, with_target = [], 0
        for index, stamp in enumerate(record.stamps_ns):
            if stamp in received:
                recv_s, count = received[stamp]
                latencies.append((recv_s - record.published_s[index]) * 1e3)
                with_target += count
    last = statuses[-1] if statuses else None
    reached, internal = -1, ("nan", "nan", "nan")
    for msg in reversed(diagnostics):
        values = {kv.key: kv.value for st in msg.status for kv in st.values}
        if "frames_received" in values:
            reached = int(values["frames_received"])
            internal = (values["latency_ms_mean"], values["latency_ms_p95"],
                        values["latency_ms_max"])
            break
    span = record.published_s[-1] - record.published_s[0] if len(record.published_s) > 1 else 0
    return {
        "reached": reached, "internal": internal,
        "publish_rate": (len(record.published_s) - 1) / span if span > 0 else float("nan"),
        "latency_ms": np.asarray(latencies),
        "processed": len(latencies), "with_target": with_target,
        "published": len(record.stamps_ns), "play_s": play_s,
        "dropped": int(last.frames_dropped) if last else -1,
        "rss_start": rss_start, "rss_series": rss_series, "rss_end": rss_end, "exit_code": code,
    }


class _Prefix:
    """The first ``n`` frames of a sequence (what SequencePlayer.play needs)."""

    def __init__(self, sequence, n: int) -> None:
        self.frames, self.boxes_xywh = sequence.frames, sequence.boxes_xywh
        self._n = min(n, len(sequence))

    def __len__(self) -> int:
        return self._n


def _stats(values: np.ndarray) -> str:
    if values.size == 0:
        return "n/a"
    return (f"{values.mean():7.1f} {np.percentile(values, 50):7.1f} "
            f"{np.percentile(values, 95):7.1f} {values.max():7.1f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=30.0, help="camera rate, Hz")
    parser.add_argument("--bare-frames", type=int, default=200)
    parser.add_argument("--params-file", default=None, help="default: the node's tracker.yaml")
    parser.add_argument("--namespace", default="/siam_bench")
    parser.add_argument("--fastdds-profile", default="large-images",
                        help="large-images (config/fastdds_large_images.xml, for both processes), "
                             "default (Fast DDS defaults / your environment) or an XML path")
    args = parser.parse_args(argv)

    from siam_tracker_ros.data.synthetic import generate_sequence
    from siam_tracker_ros.ros import node_process
    from siam_tracker_ros.ros.sequence_player import demo_spec

    log_dir = node_process.script_ros_env("siam_bench_")
    if args.fastdds_profile == "large-images":
        node_process.use_fastdds_profile(node_process.large_image_profile())
    elif args.fastdds_profile != "default":
        node_process.use_fastdds_profile(os.path.abspath(args.fastdds_profile))
    profile = os.environ.get("FASTRTPS_DEFAULT_PROFILES_FILE", "Fast DDS defaults")
    params_file = args.params_file or node_process.node_executable_and_params()[1]
    settings = node_settings_from_params_file(params_file)
    sequence = generate_sequence(demo_spec(seed=3, num_frames=max(args.frames, args.bare_frames),
                                           frame_size_wh=(640, 480), out_of_view=()))
    print(f"bench_node: 640x480, {args.frames} frames at {args.rate:g} Hz, params {params_file}, "
          f"DDS profile {profile}", flush=True)
    name, bare = bench_bare_tracker(settings, sequence, args.bare_frames)
    print(f"bare tracker ({name}): {bare.mean():.1f} ms/frame over {bare.size} frames", flush=True)
    node = bench_node(sequence, args.frames, args.rate, args.namespace, log_dir)
    lat = node["latency_ms"]
    overhead = lat - np.median(bare) if lat.size else lat
    rows = [
        ("bare tracker track() [ms]", _stats(bare)),
        ("end-to-end image->detections [ms]", _stats(lat)),
        ("node overhead (e2e - bare p50) [ms]", _stats(overhead)),
    ]
    internal = node["internal"]     # the node's own figure over its last 300 frames (no p50)
    rows.append(("in-node receive->publish, last 300 [ms]",
                 f"{float(internal[0]):7.1f} {'':>7s} {float(internal[1]):7.1f} "
                 f"{float(internal[2]):7.1f}"))
    print()
    print(f"{'640x480, ' + settings.device + ', model ' + name:44s} {'mean':>7s} {'p50':>7s} "
          f"{'p95':>7s} {'max':>7s}")
    for label, text in rows:
        print(f"{label:44s} {text}")
    print(f"{'frames published / reached the node':44s} {node['published']} / {node['reached']} "
          f"(published at {node['publish_rate']:.1f} Hz; the rest were lost in DDS before the node "
          f"saw them — best effort, depth 1 — and are not in its drop count; see "
          f"config/fastdds_large_images.xml)")
    print(f"{'frames processed / dropped by the node':44s} {node['processed']} / {node['dropped']} "
          f"({node['processed'] / node['play_s']:.1f} FPS out; {node['with_target']} with a target)")
    print(f"{'node RSS start -> end [MiB]':44s} {node['rss_start']:.0f} -> {node['rss_end']:.0f} "
          f"({node['rss_end'] - node['rss_start']:+.0f})")
    print(f"{'node RSS by frame [MiB]':44s} " +
          " ".join(f"{i}:{v:.0f}" for i, v in node["rss_series"]))
    print(f"{'node exit code (SIGINT)':44s} {node['exit_code']}")
    print(f"machine: {os.cpu_count()} CPU cores; load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0 if node["exit_code"] == 0 and node["processed"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
