"""Publish a bag into a live ROS 2 graph with its timing (``siam-track bag play``; needs rclpy).

Messages go out as the bag stores them (CDR bytes, ``Publisher.publish(bytes)``), paced by
their receive times divided by ``rate``, on publishers of the installed rclpy message class
(a topic whose type is not installed is skipped with a warning). QoS: reliable, volatile,
depth 10 (matches the node's best-effort image and reliable init subscriptions).

``restamp``: every non-zero ``header.stamp`` (any builtin_interfaces/Time) is shifted by one
offset, the wall clock at the first message minus its receive time, so stamps look current — a live node (``max_image_age_s``)
then takes the frames as fresh, and init boxes still match their frames. Each loop is
restamped anew. Without it, a node needs ``max_image_age_s:=0`` (or sim time).
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Sequence as SequenceType

import rclpy
from rclpy.duration import Duration

from ...core.errors import InvalidInputError
from ..spinning import destroy_and_shutdown
from . import types as bag_types
from .graph import PLAY_QOS, message_type, stop_on_signals
from .io import BagReader, print_warning


ACK_TIMEOUT_S = 2.0     # at the end, wait this long for reliable subscribers to acknowledge


@dataclass
class PlayStats:
    """Messages published per topic, loops completed, wall seconds."""

    published: Dict[str, int] = field(default_factory=dict)
    loops: int = 0
    seconds: float = 0.0


def _wait_for_subscribers(node, publishers: Dict[str, object], timeout_s: float,
                          stop: threading.Event) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not stop.is_set():
        if all(p.get_subscription_count() > 0 for p in publishers.values()):
            return
        time.sleep(0.05)


def play_bag(path: os.PathLike, rate: float = 1.0, loop: bool = False,
             topics: Optional[SequenceType[str]] = None, restamp: bool = False,
             wait_for_subscribers_s: float = 0.0, start_delay_s: float = 0.2,
             stop: Optional[threading.Event] = None, node_name: str = "siam_bag_player",
             warn: Callable[[str], None] = print_warning,
             on_message: Optional[Callable[[str, int], None]] = None,
             hard_stop_s: Optional[float] = None) -> PlayStats:
    """Play ``path`` (see the module doc). ``topics``: only these (default all decodable).
    ``wait_for_subscribers_s``: wait up to this long until every publisher has a subscriber.
    ``stop``: set it to end early (SIGINT/SIGTERM set it too). ``on_message(topic, log_ns)``
    is called after each publish. Nothing spins the node: it is created, used and destroyed in
    this thread, then its context is shut down (``hard_stop_s`` bounds that DDS teardown, see
    ``spinning``)."""
    if not rate > 0:
        raise InvalidInputError(f"rate must be > 0, got {rate}")
    stop = stop or threading.Event()
    stats = PlayStats()
    with BagReader(path, warn=warn) as reader:
        wanted = list(reader.topics) if topics is None else list(topics)
        missing = [t for t in wanted if t not in reader.topics]
        if missing:
            raise InvalidInputError(f"bag has no topic(s) {', '.join(missing)} "
                                    f"(topics: {', '.join(sorted(reader.topics))})")
        playable: Dict[str, type] = {}
        for topic in wanted:
            info = reader.topics[topic]
            if not info.decodable:
                continue
            try:
                playable[topic] = message_type(info.typename)
            except InvalidInputError as exc:
                warn(f"not playing {topic}: {exc}")
        if not playable:
            raise InvalidInputError(f"nothing to play in {path}")
        typestores = {t: reader.typestore_of(t) for t in playable}
        started = time.monotonic()
        context = rclpy.Context()
        rclpy.init(context=context)
        node = None
        with stop_on_signals(stop):
            try:
                node = rclpy.create_node(node_name, context=context)
                publishers = {t: node.create_publisher(cls, t, PLAY_QOS) for t, cls in playable.items()}
                if wait_for_subscribers_s > 0:
                    _wait_for_subscribers(node, publishers, wait_for_subscribers_s, stop)
                if start_delay_s > 0:
                    stop.wait(start_delay_s)
                while not stop.is_set():
                    _play_once(reader, publishers, typestores, rate, restamp, stop, stats, on_message)
                    if stop.is_set():
                        break
                    stats.loops += 1
                    if not loop:
                        break
                if not stop.is_set():
                    for publisher in publishers.values():   # let reliable readers get the last ones
                        publisher.wait_for_all_acked(Duration(seconds=ACK_TIMEOUT_S))
            finally:
                destroy_and_shutdown([node], context, hard_stop_s)
        stats.seconds = time.monotonic() - started
    return stats


def _play_once(reader: BagReader, publishers: Dict[str, object], typestores: Dict[str, object],
               rate: float, restamp: bool, stop: threading.Event, stats: PlayStats,
               on_message: Optional[Callable[[str, int], None]]) -> None:
    first_log: Optional[int] = None
    wall_start = time.monotonic()
    offset_ns = 0
    for message in reader.messages(list(publishers), raw=True):
        if first_log is None:
            first_log = message.log_ns
            offset_ns = time.time_ns() - first_log
        due = wall_start + (message.log_ns - first_log) / 1e9 / rate
        delay = due - time.monotonic()
        if delay > 0 and stop.wait(delay):
            return
        if stop.is_set():
            return
        data = message.data
        if restamp:
            typestore = typestores[message.topic]
            msg = typestore.deserialize_cdr(data, message.typename)
            bag_types.shift_stamps(msg, message.typename, offset_ns, typestore)
            data = bytes(typestore.serialize_cdr(msg, message.typename))
        publishers[message.topic].publish(data)
        stats.published[message.topic] = stats.published.get(message.topic, 0) + 1
        if on_message is not None:
            on_message(message.topic, message.log_ns)
