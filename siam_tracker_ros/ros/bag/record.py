"""Record topics of a live ROS 2 graph into a bag (``siam-track bag record``; needs rclpy).

Each topic is subscribed as soon as it appears in the graph (its type taken from the graph),
with ``raw=True``: the CDR bytes received are written unchanged with rosbags' Writer, stamped
with the wall-clock receive time. QoS follows the publishers (best effort if one offers only
that, else reliable). Message definitions embedded in the bag come from the built-in typestore
(ROS 2 base types, vision_msgs, siam_tracker) or, for other types, from the installed ``.msg``
files (``share/<pkg>/msg``); a type found in neither is not recorded (one warning).

Recording stops after ``duration_s``, when ``stop`` is set, or on SIGINT / SIGTERM; the bag is
always finished properly. Teardown order (see ``spinning``): the loop stops spinning, the
subscriptions go (no callback after that), the bag is closed — complete on disk before any DDS
teardown — and only then is the node destroyed and the context shut down, all in the thread that
created them. ``hard_stop_s`` (the CLI: ``STOP_BUDGET_S``) bounds that DDS teardown even if it
blocks in C holding the GIL. Score a recorded node run with ``siam-track bag score``.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence as SequenceType

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rosbags.interfaces import Nodetype
from rosbags.typesys import get_types_from_msg
from rosbags.typesys.store import Typestore

from ...core.errors import InvalidInputError
from ..spinning import destroy_and_shutdown
from .graph import message_type, stop_on_signals, subscription_qos
from .io import BagWriter, print_warning
from .types import make_typestore, typestore_for


@dataclass
class RecordStats:
    """Messages written per topic, topics that never appeared, wall seconds."""

    path: Path
    written: Dict[str, int] = field(default_factory=dict)
    missing: List[str] = field(default_factory=list)
    seconds: float = 0.0


def _referenced_types(typestore: Typestore, typename: str) -> List[str]:
    refs = []
    for _, (kind, detail) in typestore.fielddefs[typename][1]:
        if kind == Nodetype.NAME:
            refs.append(detail)
        elif kind in (Nodetype.ARRAY, Nodetype.SEQUENCE) and detail[0][0] == Nodetype.NAME:
            refs.append(detail[0][1])
    return refs


def installed_typestore(typename: str) -> Typestore:
    """A typestore that knows ``typename``: the built-in one, or a new one extended with the
    installed ``.msg`` files of the type and everything it uses (InvalidInputError if missing)."""
    if typename in typestore_for().fielddefs:
        return typestore_for()
    from ament_index_python.packages import PackageNotFoundError, get_package_share_directory

    typestore = make_typestore()
    todo = [typename]
    while todo:
        name = todo.pop()
        if name in typestore.fielddefs:
            continue
        package, _, short = name.split("/")
        try:
            path = Path(get_package_share_directory(package)) / "msg" / f"{short}.msg"
            text = path.read_text()
        except (PackageNotFoundError, OSError, ValueError):
            raise InvalidInputError(f"no message definition for {name} (not built in, no installed "
                                    f"share/{package}/msg/{short}.msg)") from None
        typestore.register(get_types_from_msg(text, name))
        todo.extend(_referenced_types(typestore, name))
    return typestore


def record_bag(topics: SequenceType[str], out: os.PathLike, duration_s: Optional[float] = None,
               storage: str = "mcap", force: bool = False, stop: Optional[threading.Event] = None,
               node_name: str = "siam_bag_recorder", warn: Callable[[str], None] = print_warning,
               on_ready: Optional[Callable[[], None]] = None,
               on_message: Optional[Callable[[str], None]] = None,
               hard_stop_s: Optional[float] = None) -> RecordStats:
    """Record ``topics`` into a new bag at ``out`` (see the module doc). ``on_ready()`` is
    called once every topic is subscribed, ``on_message(topic)`` after each message written.
    Call it from the thread that should own the ROS node (it spins in this thread)."""
    topics = [t if t.startswith("/") else "/" + t for t in topics]
    if not topics:
        raise InvalidInputError("give at least one topic to record")
    if duration_s is not None and not duration_s > 0:
        raise InvalidInputError(f"duration must be > 0 s, got {duration_s}")
    stop = stop or threading.Event()
    stats = RecordStats(Path(out))
    started = time.monotonic()
    writer = BagWriter(out, storage, force=force)
    subscriptions: Dict[str, object] = {}
    refused = set()
    context = rclpy.Context()
    rclpy.init(context=context)
    node = executor = None
    with stop_on_signals(stop):
        try:
            node = rclpy.create_node(node_name, context=context)
            executor = SingleThreadedExecutor(context=context)
            executor.add_node(node)
            writer.open()
            _record_loop(node, executor, writer, topics, subscriptions, refused, stats, stop,
                         started, duration_s, warn, on_ready, on_message)
        except BaseException:
            stopped_at = time.monotonic()
            _stop_receiving(node, executor, subscriptions)
            writer.abort()
            destroy_and_shutdown([node], context, _left(hard_stop_s, stopped_at))
            raise
        stopped_at = time.monotonic()
        _stop_receiving(node, executor, subscriptions)
        try:
            writer.close()                   # the bag is complete before any DDS teardown
        finally:
            destroy_and_shutdown([node], context, _left(hard_stop_s, stopped_at))
    stats.missing = [t for t in topics if t not in stats.written and t not in refused]
    for topic in stats.missing:
        warn(f"{topic}: no message received" if topic in subscriptions
             else f"{topic}: never appeared in the graph; not recorded")
    stats.seconds = time.monotonic() - started
    return stats


def _left(budget_s: Optional[float], since: float) -> Optional[float]:
    """What is left of a stop budget started at ``since`` (at least 0.5 s for the teardown)."""
    return None if budget_s is None else max(0.5, budget_s - (time.monotonic() - since))


def _stop_receiving(node, executor, subscriptions: Dict[str, object]) -> None:
    """This thread was the only spinner: shut the executor down, drop the subscriptions."""
    if executor is not None:
        executor.shutdown(timeout_sec=0)
    if node is not None:
        for subscription in subscriptions.values():
            node.destroy_subscription(subscription)


def _record_loop(node, executor, writer: BagWriter, topics: List[str],
                 subscriptions: Dict[str, object], refused: set, stats: RecordStats,
                 stop: threading.Event, started: float, duration_s: Optional[float],
                 warn: Callable[[str], None], on_ready: Optional[Callable[[], None]],
                 on_message: Optional[Callable[[str], None]]) -> None:
    """Subscribe each topic once it appears; spin until stopped or ``duration_s`` is over."""
    ready_sent = False

    def make_callback(topic: str):
        def callback(data: bytes) -> None:
            writer.write_raw(topic, time.time_ns(), data)
            stats.written[topic] = stats.written.get(topic, 0) + 1
            if on_message is not None:
                on_message(topic)
        return callback

    while not stop.is_set():
        if duration_s is not None and time.monotonic() - started >= duration_s:
            break
        if len(subscriptions) + len(refused) < len(topics):
            graph = dict(node.get_topic_names_and_types())
            for topic in topics:
                if topic in subscriptions or topic in refused or topic not in graph:
                    continue
                typename = graph[topic][0]
                try:
                    cls = message_type(typename)
                    typestore = installed_typestore(typename)
                except InvalidInputError as exc:
                    warn(f"not recording {topic}: {exc}")
                    refused.add(topic)
                    continue
                writer.add_topic(topic, typename, typestore)
                subscriptions[topic] = node.create_subscription(
                    cls, topic, make_callback(topic), subscription_qos(node, topic), raw=True)
            if not ready_sent and len(subscriptions) + len(refused) == len(topics):
                ready_sent = True
                if on_ready is not None:
                    on_ready()
        executor.spin_once(timeout_sec=0.05)
