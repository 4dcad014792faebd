"""Publish a synthetic sequence as a camera would (``image`` at a frame rate), plus a stamped init
box drawn on an earlier frame: the player of the end-to-end test, the demo and the benchmark.

    python -m siam_tracker_ros.ros.sequence_player --seed 7 --frames 300 --rate 30 \\
        --out-of-view 120:40 --init-frame 5 --init-after 15 --stamps-out /tmp/stamps.json

Stamps are the player's clock at publish time; ``--stamps-out`` records frame index → stamp (ns)
so a recorder can match every output header to its ground truth.

``--ack-timeout S`` paces by acknowledgement instead of by the clock alone: after each frame
(outside bursts) the player waits up to S seconds for the node's ``~/status`` to echo its stamp
(the node publishes one per processed frame). One frame in flight means none is overwritten in the
node's depth-1 subscription, so a slow or loaded machine processes every frame instead of a third
of them; the init box is drawn on the newest acknowledged frame at or before ``--init-frame``
(``init_frame_used`` in the stamps file). ``--image-reliability reliable`` publishes images
reliably (``image_transport``'s default).
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence as SequenceType, Tuple

import rclpy
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import Header
from vision_msgs.msg import Detection2D

from ..data.synthetic import SyntheticSpec, generate_sequence
from ..data.sequence import Sequence
from . import detection_conversion, image_conversion
from .spinning import STOP_BUDGET_S, BackgroundSpinner, destroy_and_shutdown
from .stamps import set_stamp_ns, stamp_to_ns

IMAGE_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT,
                       history=HistoryPolicy.KEEP_LAST)
RELIABLE_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                          history=HistoryPolicy.KEEP_LAST)


@dataclass(frozen=True)
class PlaySchedule:
    """When to publish what: ``rate_hz`` camera rate; ``bursts`` (start, count, rate_hz) windows
    published faster; the init box of frame ``init_frame`` is sent right after frame
    ``init_after`` (>= init_frame, so it refers to an earlier frame)."""

    rate_hz: float = 30.0
    bursts: Tuple[Tuple[int, int, float], ...] = ()
    init_frame: int = 0
    init_after: int = 0
    ack_timeout_s: Optional[float] = None

    def in_burst(self, index: int) -> bool:
        return any(start <= index < start + count for start, count, _ in self.bursts)

    def period_s(self, index: int) -> float:
        for start, count, rate in self.bursts:
            if start <= index < start + count:
                return 1.0 / rate
        return 1.0 / self.rate_hz


@dataclass
class PlayRecord:
    """What was published: frame index → stamp (ns) and publish time (monotonic s)."""

    stamps_ns: List[int] = field(default_factory=list)
    published_s: List[float] = field(default_factory=list)
    init_stamp_ns: int = 0
    init_frame_used: int = -1
    acked: List[int] = field(default_factory=list)


def demo_spec(seed: int = 7, num_frames: int = 300, frame_size_wh: Tuple[int, int] = (320, 240),
              out_of_view: Optional[Tuple[Tuple[int, int], ...]] = None) -> SyntheticSpec:
    """The sequence the demo and the end-to-end test replay: a target wandering at 2 px/frame,
    leaving the frame and coming back through another border (``out_of_view`` None: away from
    40 % of the clip for 13 % of it, i.e. frames 120-160 of 300)."""
    if out_of_view is None:
        out_of_view = ((int(0.4 * num_frames), int(0.13 * num_frames)),)
    return SyntheticSpec(seed=seed, num_frames=num_frames, frame_size_wh=frame_size_wh,
                         target_size_wh=(48, 40), out_of_view=out_of_view, name=f"demo_{seed}")


class SequencePlayer(Node):
    """Publishes ``image`` (best effort) and ``init_box`` (reliable) under its namespace."""

    def __init__(self, namespace: str = "", node_name: str = "sequence_player",
                 image_qos: QoSProfile = IMAGE_QOS, **kwargs) -> None:
        super().__init__(node_name, namespace=namespace, **kwargs)
        self.image_pub = self.create_publisher(Image, "image", image_qos)
        self.init_pub = self.create_publisher(Detection2D, "init_box", RELIABLE_QOS)
        self._echoed: set = set()
        self._echo_lock = threading.Lock()
        self._status_sub = None

    def listen_for_acks(self) -> None:
        """Subscribe to the node's ``~/status`` (stamps it echoes); spin this node meanwhile."""
        from siam_tracker.msg import TrackerStatus

        def on_status(msg) -> None:
            with self._echo_lock:
                self._echoed.add(stamp_to_ns(msg.header.stamp))
        self._status_sub = self.create_subscription(TrackerStatus, "siam_tracker/status",
                                                    on_status, RELIABLE_QOS)

    def wait_ack(self, stamp_ns: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._echo_lock:
                if stamp_ns in self._echoed:
                    return True
            time.sleep(0.002)
        return False

    def wait_for_tracker(self, timeout_s: float = 60.0) -> bool:
        """Block until the node's image and init_box subscriptions are matched (the node creates
        them once its model is warmed up, so this means "ready")."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.image_pub.get_subscription_count() > 0 and \
                    self.init_pub.get_subscription_count() > 0:
                time.sleep(0.2)            # let discovery settle on both ends
                return True
            time.sleep(0.05)
        return False

    def play(self, sequence: Sequence, schedule: PlaySchedule, frame_id: str = "camera",
             on_frame: Optional[Callable[[int, Header], None]] = None) -> PlayRecord:
        """Publish every frame on schedule (absolute timing, no drift) and the init box."""
        record = PlayRecord()
        next_s = time.monotonic()
        for index in range(len(sequence)):
            frame = sequence.frames[index]
            msg = image_conversion.bgr_to_image(frame, Header(frame_id=frame_id))
            delay = next_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            stamp = self.get_clock().now()
            msg.header.stamp = stamp.to_msg()
            self.image_pub.publish(msg)
            record.stamps_ns.append(stamp.nanoseconds)
            record.published_s.append(time.monotonic())
            if on_frame is not None:
                on_frame(index, msg.header)
            if schedule.ack_timeout_s is not None and not schedule.in_burst(index) and \
                    self.wait_ack(stamp.nanoseconds, schedule.ack_timeout_s):
                record.acked.append(index)
            if index == schedule.init_after:
                init_frame = schedule.init_frame
                if schedule.ack_timeout_s is not None:   # a frame the node is known to hold
                    init_frame = max([i for i in record.acked if i <= init_frame],
                                     default=init_frame)
                box = sequence.boxes_xywh[init_frame]
                header = Header(frame_id=frame_id)
                set_stamp_ns(header.stamp, record.stamps_ns[init_frame])
                record.init_stamp_ns = record.stamps_ns[init_frame]
                record.init_frame_used = init_frame
                self.init_pub.publish(detection_conversion.box_xywh_to_detection(
                    tuple(float(v) for v in box), header))
            next_s = max(next_s + schedule.period_s(index), time.monotonic()) \
                if schedule.ack_timeout_s is not None else next_s + schedule.period_s(index)
        return record


def _pairs(text: str, arity: int) -> Tuple[Tuple[float, ...], ...]:
    out = []
    for part in filter(None, text.split(",")):
        values = tuple(float(v) for v in part.split(":"))
        if len(values) != arity:
            raise argparse.ArgumentTypeError(f"expected {arity} numbers separated by ':' in {part!r}")
        out.append(values)
    return tuple(out)


def parse_args(argv: Optional[SequenceType[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--namespace", default="", help="namespace of the tracker node")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", default="320x240", help="frame size WxH")
    parser.add_argument("--out-of-view", default="120:40", help="start:length[,start:length]")
    parser.add_argument("--rate", type=float, default=30.0, help="camera rate, Hz")
    parser.add_argument("--burst", default="", help="start:count:rate_hz[,...] faster windows")
    parser.add_argument("--init-frame", type=int, default=5, help="frame the init box is drawn on")
    parser.add_argument("--init-after", type=int, default=15, help="send the box after this frame")
    parser.add_argument("--wait-s", type=float, default=60.0, help="max wait for the tracker")
    parser.add_argument("--stamps-out", default="", help="write frame stamps (JSON) here")
    parser.add_argument("--ack-timeout", type=float, default=None,
                        help="pace by the node's ~/status echo, waiting up to S s per frame")
    parser.add_argument("--image-reliability", choices=("best_effort", "reliable"),
                        default="best_effort", help="QoS reliability of the image publisher")
    return parser.parse_args(argv)


def main(argv: Optional[SequenceType[str]] = None) -> int:
    args = parse_args(rclpy.utilities.remove_ros_args(sys.argv if argv is None else argv)[1:])
    width, height = (int(v) for v in args.size.lower().split("x"))
    spec = demo_spec(args.seed, args.frames, (width, height),
                     tuple((int(s), int(n)) for s, n in _pairs(args.out_of_view, 2)))
    schedule = PlaySchedule(args.rate, tuple((int(s), int(n), r) for s, n, r in
                                             _pairs(args.burst, 3)),
                            args.init_frame, args.init_after, args.ack_timeout)
    rclpy.init(args=argv)
    image_qos = RELIABLE_QOS if args.image_reliability == "reliable" else IMAGE_QOS
    player = SequencePlayer(args.namespace, image_qos=image_qos)
    spinner = None
    if args.ack_timeout is not None:
        from rclpy.executors import SingleThreadedExecutor

        player.listen_for_acks()
        executor = SingleThreadedExecutor()
        executor.add_node(player)
        spinner = BackgroundSpinner(executor, name="player-acks").start()
    try:
        if not player.wait_for_tracker(args.wait_s):
            player.get_logger().error(f"no tracker subscribed to {player.image_pub.topic_name} "
                                      f"within {args.wait_s:g} s")
            return 1
        record = player.play(generate_sequence(spec), schedule)
        if args.stamps_out:
            with open(args.stamps_out, "w", encoding="utf-8") as handle:
                json.dump({"stamps_ns": record.stamps_ns, "init_stamp_ns": record.init_stamp_ns,
                           "init_frame_used": record.init_frame_used, "acked": record.acked,
                           "published_s": record.published_s}, handle)
        return 0
    except KeyboardInterrupt:
        return 130
    finally:               # stop the spinning thread first, then destroy the player here
        if spinner is not None:
            spinner.stop()
        destroy_and_shutdown([player], rclpy.get_default_context(), STOP_BUDGET_S)


if __name__ == "__main__":
    sys.exit(main())
