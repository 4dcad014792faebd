#!/usr/bin/env python3
"""Soak the siam_tracker node: ``--frames`` (10,000) 640x480 frames at ``--rate`` (30) Hz from
another process over DDS while it tracks, and print per-window figures and the verdict:

- RSS growth of the node process after warm-up (RSS at the end of the first window vs the
  end of the run): must stay under 5 %;
- p95 end-to-end latency (image published -> ~/detections received, this process's monotonic
  clock) in the last window vs the first: must be within 20 %.

The frames are a 300-frame synthetic 640x480 clip played forwards and backwards (the target's
motion stays continuous), stamped live; the init box is sent for frame 0 after frame 5. The
publisher is reliable (image_transport's default) and both processes use the large-image Fast
DDS profile unless the environment chose another (siam_tracker_ros/ros/transport_env.py).

    source scripts/activate_env.sh .venv
    nice -n 10 python scripts/soak_node.py                 # ~6 min
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time

import numpy as np

def pingpong(index: int, length: int) -> int:
    period = 2 * (length - 1)
    k = index % period
    return k if k < length else period - k


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--window", type=int, default=1000)
    parser.add_argument("--clip", type=int, default=300, help="frames of the synthetic clip")
    args = parser.parse_args(argv)

    from siam_tracker_ros.ros.transport_env import apply_large_image_transport

    from siam_tracker_ros.ros.node_process import script_ros_env

    apply_large_image_transport()
    log_dir = script_ros_env("siam_soak_")

    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header
    from vision_msgs.msg import Detection2D, Detection2DArray

    from siam_tracker.msg import TrackerStatus
    from siam_tracker_ros.data.synthetic import generate_sequence
    from siam_tracker_ros.ros import detection_conversion, image_conversion, node_process
    from siam_tracker_ros.ros.sequence_player import demo_spec
    from siam_tracker_ros.ros.stamps import set_stamp_ns, stamp_to_ns

    seq = generate_sequence(demo_spec(seed=3, num_frames=args.clip, frame_size_wh=(640, 480),
                                      out_of_view=()))
    namespace = f"/soak_{os.getpid()}"
    log_path = os.path.join(log_dir, "node.log")
    log = open(log_path, "w")
    proc = node_process.start_node(namespace, log)
    rclpy.init()
    node = rclpy.create_node("soak_player", namespace=namespace)
    reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                          history=HistoryPolicy.KEEP_LAST)
    image_pub = node.create_publisher(Image, "image", reliable)
    init_pub = node.create_publisher(Detection2D, "init_box", reliable)
    lock = threading.Lock()
    received = {}
    last_status = [None]

    def on_detections(msg) -> None:
        now = time.monotonic()
        with lock:
            received[stamp_to_ns(msg.header.stamp)] = (now, len(msg.detections))

    def on_status(msg) -> None:
        last_status[0] = msg

    base = f"{namespace}/siam_tracker"
    sub = node.create_subscription(Detection2DArray, f"{base}/detections", on_detections,
                                   QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE))
    node.create_subscription(TrackerStatus, f"{base}/status", on_status,
                             QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE))
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spin = threading.Thread(target=executor.spin, daemon=True)
    spin.start()
    load0 = os.getloadavg()
    stamps, published, rss = [], [], {}
    try:
        deadline = time.monotonic() + 180
        while not (image_pub.get_subscription_count() and init_pub.get_subscription_count()
                   and sub.get_publisher_count()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the node did not start:\n" + open(log_path).read()[-2000:])
            time.sleep(0.05)
        time.sleep(1.5)                          # best_available settles on reliable
        messages = [image_conversion.bgr_to_image(f, Header(frame_id="camera")) for f in seq.frames]
        print(f"soak: {args.frames} frames 640x480 at {args.rate:g} Hz, node pid {proc.pid}, "
              f"profile {os.environ.get('FASTRTPS_DEFAULT_PROFILES_FILE', 'Fast DDS defaults')}; "
              f"load average {' '.join(f'{v:.2f}' for v in load0)}", flush=True)
        period = 1.0 / args.rate
        next_s = time.monotonic()
        for index in range(args.frames):
            delay = next_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            msg = messages[pingpong(index, len(seq))]
            now_ns = time.time_ns()
            set_stamp_ns(msg.header.stamp, now_ns)
            image_pub.publish(msg)
            stamps.append(now_ns)
            published.append(time.monotonic())
            if index == 5:
                header = Header(frame_id="camera")
                set_stamp_ns(header.stamp, stamps[0])
                init_pub.publish(detection_conversion.box_xywh_to_detection(
                    tuple(float(v) for v in seq.boxes_xywh[0]), header))
            if (index + 1) % 100 == 0:
                rss[index + 1] = node_process.rss_mib(proc.pid)
            if (index + 1) % args.window == 0:
                print(f"  {index + 1} frames, RSS {rss[index + 1]:.0f} MiB, load "
                      f"{os.getloadavg()[0]:.1f}", flush=True)
            next_s += period
        time.sleep(2.0)
    finally:
        code = node_process.stop_node(proc)
        executor.shutdown(timeout_sec=5.0)
        node.destroy_node()
        rclpy.try_shutdown()
        log.close()
    with lock:
        got = dict(received)
    print(f"\n{'frames':>13s} {'processed':>9s} {'w/ target':>9s} {'p50 ms':>7s} {'p95 ms':>7s} "
          f"{'max ms':>7s} {'RSS MiB':>8s}")
    windows = []
    for start in range(0, args.frames, args.window):
        stop = min(start + args.window, args.frames)
        lat, with_target = [], 0
        for i in range(start, stop):
            hit = got.get(stamps[i])
            if hit is not None:
                lat.append((hit[0] - published[i]) * 1e3)
                with_target += hit[1]
        lat = np.asarray(lat)
        p50, p95, mx = ((np.percentile(lat, 50), np.percentile(lat, 95), lat.max())
                        if lat.size else (float("nan"),) * 3)
        windows.append((start, stop, lat.size, p95, rss.get(stop, float("nan"))))
        print(f"{start:>6d}-{stop:<6d} {lat.size:>9d} {with_target:>9d} {p50:>7.1f} {p95:>7.1f} "
              f"{mx:>7.1f} {rss.get(stop, float('nan')):>8.1f}")
    first, last = windows[0], windows[-1]
    rss_warm, rss_end = first[4], last[4]
    growth = 100.0 * (rss_end - rss_warm) / rss_warm
    p95_change = 100.0 * (last[3] - first[3]) / first[3]
    rss_ok, lat_ok = growth < 5.0, p95_change <= 20.0     # faster is not a regression
    print(f"\nRSS after warm-up (frame {first[1]}) {rss_warm:.1f} MiB -> end {rss_end:.1f} MiB: "
          f"{growth:+.2f} % ({'PASS' if rss_ok else 'FAIL'}: < 5 %)")
    print(f"p95 latency first {args.window} frames {first[3]:.1f} ms -> last {args.window} "
          f"{last[3]:.1f} ms: {p95_change:+.1f} % ({'PASS' if lat_ok else 'FAIL'}: within 20 %)")
    final = last_status[0]
    print(f"node: exit code {code} on SIGINT; last status frames_processed "
          f"{getattr(final, 'frames_processed', '?')}, frames_dropped "
          f"{getattr(final, 'frames_dropped', '?')}; load average at the end "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} (start "
          f"{' '.join(f'{v:.2f}' for v in load0)}), {os.cpu_count()} CPU cores; log {log_path}")
    return 0 if rss_ok and lat_ok and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
