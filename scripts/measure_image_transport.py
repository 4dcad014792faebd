#!/usr/bin/env python3
"""Measure how many camera-size images reach a subscriber in another process over Fast DDS,
for each transport setting and publisher reliability, and print a table.

Two child processes per case, on this machine, in a private ROS domain (localhost discovery):
a publisher (bgr8 frames at ``--rate`` Hz, stamped with the wall clock, depth ``--pub-depth``)
and a subscriber (depth 1, KEEP_LAST, like the node's image subscription; its reliability is
what the node's ``best_available`` resolves to: reliable when the publisher is, else best
effort). Delivered = frames the subscriber's callback saw / frames sent (a depth-1 subscriber
that is slower than the stream may replace a frame before its callback runs: that counts as
not delivered, as it would in the node). Latency = receive wall clock - header stamp.

Transports (set in the child's environment, every other Fast DDS variable removed):
  default     Fast DDS built-in transports (UDPv4 + SHM with a 512 KiB segment)
  large_data  FASTDDS_BUILTIN_TRANSPORTS=LARGE_DATA (Fast DDS >= 2.13: UDP discovery only,
              data over SHM / TCP)
  xml         FASTRTPS_DEFAULT_PROFILES_FILE=config/fastdds_large_images.xml (SHM 32 MiB + UDP)
  LARGE_DATA?max_msg_size=...&sockets_size=...   any FASTDDS_BUILTIN_TRANSPORTS value with options
A case ``pub>sub`` may give the two processes different transports (e.g. a camera that sets
nothing talking to a node that was launched with a setting).

    source scripts/activate_env.sh .venv
    nice -n 10 python scripts/measure_image_transport.py                     # the full table
    python scripts/measure_image_transport.py --sizes 640x480 --cases default,large_data \
        --reliability best_effort --frames 100
"""
from __future__ import annotations

import argparse
import array
import json
import os
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
XML_PROFILE = os.path.join(REPO_ROOT, "config", "fastdds_large_images.xml")
FASTDDS_VARS = ("FASTDDS_BUILTIN_TRANSPORTS", "FASTRTPS_DEFAULT_PROFILES_FILE",
                "FASTDDS_DEFAULT_PROFILES_FILE", "RMW_FASTRTPS_USE_QOS_FROM_XML")
TRANSPORTS = ("default", "large_data", "xml")
DEFAULT_CASES = ("default", "large_data", "xml", "default>large_data", "default>xml")


def transport_env(base: Dict[str, str], transport: str) -> Dict[str, str]:
    """``base`` with the Fast DDS variables of ``transport`` only."""
    env = {k: v for k, v in base.items() if k not in FASTDDS_VARS}
    if transport == "large_data":
        env["FASTDDS_BUILTIN_TRANSPORTS"] = "LARGE_DATA"
    elif transport == "xml":
        env["FASTRTPS_DEFAULT_PROFILES_FILE"] = XML_PROFILE
        env["FASTDDS_DEFAULT_PROFILES_FILE"] = XML_PROFILE
    elif transport.startswith("LARGE_DATA"):      # with options, e.g. LARGE_DATA?max_msg_size=4MB
        env["FASTDDS_BUILTIN_TRANSPORTS"] = transport
    elif transport != "default":
        raise ValueError(f"unknown transport {transport!r} (one of {', '.join(TRANSPORTS)}, or "
                         f"a FASTDDS_BUILTIN_TRANSPORTS value LARGE_DATA?...)")
    return env


def _qos(reliability: str, depth: int):
    from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

    policy = (ReliabilityPolicy.RELIABLE if reliability == "reliable"
              else ReliabilityPolicy.BEST_EFFORT)
    return QoSProfile(depth=depth, reliability=policy, history=HistoryPolicy.KEEP_LAST)


# ---------------------------------------------------------------------------- child: subscriber
def run_subscriber(args: argparse.Namespace) -> int:
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import Image
    from std_msgs.msg import UInt32

    from siam_tracker_ros.ros.node_process import rss_mib  # noqa: F401  (import cost up front)
    from siam_tracker_ros.ros.stamps import stamp_to_ns

    rclpy.init()
    node = rclpy.create_node("transport_sub")
    latencies_ms: List[float] = []
    sent = {"count": None}

    def on_image(msg) -> None:
        now_ns = time.time_ns()
        stamp = stamp_to_ns(msg.header.stamp)
        latencies_ms.append((now_ns - stamp) / 1e6)

    def on_done(msg) -> None:
        sent["count"] = int(msg.data)

    node.create_subscription(Image, "image", on_image, _qos(args.sub_reliability, 1))
    node.create_subscription(UInt32, "done", on_done, _qos("reliable", 10))
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    print("READY", flush=True)
    deadline = time.monotonic() + args.timeout
    done_at: Optional[float] = None
    while time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)
        if sent["count"] is not None and done_at is None:
            done_at = time.monotonic()
        if done_at is not None and time.monotonic() - done_at > 1.0:
            break                                  # late samples (reliable repair) had 1 s
    print("RESULT " + json.dumps({"received": len(latencies_ms), "sent": sent["count"],
                                  "latencies_ms": latencies_ms}), flush=True)
    node.destroy_node()
    rclpy.try_shutdown()
    return 0


# ---------------------------------------------------------------------------- child: publisher
def run_publisher(args: argparse.Namespace) -> int:
    import numpy as np
    import rclpy
    from sensor_msgs.msg import Image
    from std_msgs.msg import UInt32

    from siam_tracker_ros.ros.stamps import set_stamp_ns

    width, height = args.width, args.height
    rclpy.init()
    node = rclpy.create_node("transport_pub")
    pub = node.create_publisher(Image, "image", _qos(args.pub_reliability, args.pub_depth))
    done = node.create_publisher(UInt32, "done", _qos("reliable", 10))
    deadline = time.monotonic() + 30.0
    while (pub.get_subscription_count() < 1 or done.get_subscription_count() < 1) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)                                # let SHM / TCP channels open
    frame = np.random.default_rng(0).integers(0, 256, (height, width, 3), np.uint8)
    msg = Image(height=height, width=width, encoding="bgr8", step=width * 3)
    msg.header.frame_id = "camera"
    msg.data = array.array("B", frame.tobytes())
    period = 1.0 / args.rate
    next_s = time.monotonic()
    for _ in range(args.frames):
        delay = next_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        now_ns = time.time_ns()
        set_stamp_ns(msg.header.stamp, now_ns)
        pub.publish(msg)
        next_s += period
    time.sleep(0.2)
    for _ in range(5):                             # reliable: the subscriber gets it
        done.publish(UInt32(data=args.frames))
        time.sleep(0.1)
    time.sleep(1.5)                                # keep the writer alive for repairs
    node.destroy_node()
    rclpy.try_shutdown()
    return 0


# ---------------------------------------------------------------------------- parent
def _percentile(values: Sequence[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if len(values) else float("nan")


def run_case(pub_transport: str, sub_transport: str, pub_reliability: str, sub_reliability: str,
             width: int, height: int, frames: int, rate: float, pub_depth: int,
             domain_id: int) -> Dict[str, object]:
    base = dict(os.environ)
    base.update(ROS_DOMAIN_ID=str(domain_id), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
                PYTHONUNBUFFERED="1")
    base.pop("ROS_LOCALHOST_ONLY", None)
    common = [sys.executable, os.path.abspath(__file__), "--width", str(width), "--height",
              str(height), "--frames", str(frames), "--rate", str(rate),
              "--pub-depth", str(pub_depth), "--pub-reliability", pub_reliability,
              "--sub-reliability", sub_reliability]
    timeout = 40.0 + frames / rate
    sub = subprocess.Popen(common + ["--role", "sub", "--timeout", str(timeout)],
                           env=transport_env(base, sub_transport), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, cwd=REPO_ROOT)
    result: Dict[str, object] = {}
    pub: Optional[subprocess.Popen] = None
    try:
        line = sub.stdout.readline()
        while line and not line.startswith("READY"):
            line = sub.stdout.readline()
        pub = subprocess.Popen(common + ["--role", "pub"], env=transport_env(base, pub_transport),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               cwd=REPO_ROOT)
        out, _ = sub.communicate(timeout=timeout + 10)
        for row in out.splitlines():
            if row.startswith("RESULT "):
                result = json.loads(row[len("RESULT "):])
        if not result:
            result = {"error": out.strip().splitlines()[-1] if out.strip() else "no result"}
    finally:
        for proc in (pub, sub):
            if proc is not None and proc.poll() is None:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    return result


def parse_size(text: str) -> Tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def fastdds_version() -> str:
    try:
        from importlib.metadata import version

        return version("ros-fastrtps")
    except Exception:  # a ROS install (not the wheels): read the library name
        return "unknown (not the PyPI wheel)"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--role", choices=("pub", "sub"), help=argparse.SUPPRESS)
    parser.add_argument("--width", type=int, default=640, help=argparse.SUPPRESS)
    parser.add_argument("--height", type=int, default=480, help=argparse.SUPPRESS)
    parser.add_argument("--pub-reliability", default="best_effort", help=argparse.SUPPRESS)
    parser.add_argument("--sub-reliability", default="best_effort", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=60.0, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="640x480,1280x720")
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES),
                        help="transport per case: NAME (both processes) or PUB>SUB; names: "
                             + ", ".join(TRANSPORTS))
    parser.add_argument("--reliability", default="best_effort,reliable",
                        help="publisher reliabilities to measure")
    parser.add_argument("--also-best-effort-sub", action="store_true",
                        help="also measure a best-effort subscriber on a reliable publisher "
                             "(the node's old default, and Humble's fallback)")
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--pub-depth", type=int, default=10,
                        help="publisher history depth (image_transport's default QoS: 10)")
    args = parser.parse_args(argv)
    if args.role == "sub":
        return run_subscriber(args)
    if args.role == "pub":
        return run_publisher(args)

    rows = []
    domain_id = 1 + os.getpid() % 100
    print(f"Fast DDS {fastdds_version()}, RMW {os.environ.get('RMW_IMPLEMENTATION', 'default')}; "
          f"{args.frames} frames at {args.rate:g} Hz per case, bgr8, publisher depth "
          f"{args.pub_depth}, subscriber depth 1; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    combos = []
    for size in args.sizes.split(","):
        for case in args.cases.split(","):
            pub_t, _, sub_t = case.partition(">")
            sub_t = sub_t or pub_t
            for rel in args.reliability.split(","):
                combos.append((size, pub_t, sub_t, rel, rel))
                if rel == "reliable" and args.also_best_effort_sub:
                    combos.append((size, pub_t, sub_t, rel, "best_effort"))
    header = (f"{'size':>9} {'publisher':>11} {'subscriber':>11} {'pub transport':>13} "
              f"{'sub transport':>13} {'delivered':>10} {'%':>5} {'p50 ms':>7} {'p95 ms':>7} "
              f"{'max ms':>7}")
    print(header, flush=True)
    started = time.monotonic()
    for size, pub_t, sub_t, pub_rel, sub_rel in combos:
        width, height = parse_size(size)
        res = run_case(pub_t, sub_t, pub_rel, sub_rel, width, height, args.frames, args.rate,
                       args.pub_depth, domain_id)
        lat = res.get("latencies_ms", [])
        received = int(res.get("received", 0) or 0)
        row = (f"{size:>9} {pub_rel:>11} {sub_rel:>11} {pub_t:>13} {sub_t:>13} "
               f"{received:>4}/{args.frames:<5} {100.0 * received / args.frames:>5.0f} "
               f"{_percentile(lat, 50):>7.1f} {_percentile(lat, 95):>7.1f} "
               f"{(max(lat) if lat else float('nan')):>7.1f}")
        if "error" in res:
            row += f"  ({res['error']})"
        print(row, flush=True)
        rows.append(row)
    print(f"{len(combos)} cases in {time.monotonic() - started:.0f} s; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
