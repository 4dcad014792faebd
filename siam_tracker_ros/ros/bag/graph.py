"""What ``bag play`` and ``bag record`` share: rclpy message classes from type names, QoS, and an
rclpy context that is always shut down.
"""
from __future__ import annotations

import contextlib
import importlib
import signal
import threading
from typing import Iterator, Optional

import rclpy
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

from ...core.errors import InvalidInputError
from ..spinning import shutdown_context

# Reliable, so the node's reliable init_box subscription matches; best-effort subscribers (the
# node's image input) match it too.
PLAY_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE, history=HistoryPolicy.KEEP_LAST)


def message_type(typename: str) -> type:
    """rclpy message class of ``pkg/msg/Name`` (InvalidInputError when not installed)."""
    parts = typename.split("/")
    if len(parts) != 3 or parts[1] != "msg":
        raise InvalidInputError(f"not a message type name: {typename!r} (expected pkg/msg/Name)")
    try:
        module = importlib.import_module(f"{parts[0]}.msg")
        return getattr(module, parts[2])
    except (ImportError, AttributeError):
        raise InvalidInputError(f"message type {typename} is not installed for rclpy") from None


def subscription_qos(node, topic: str, depth: int = 100) -> QoSProfile:
    """QoS for recording ``topic``: best effort if any publisher offers only best effort (a
    reliable subscription would not match it), else reliable; transient local when every
    publisher offers it (latched topics)."""
    infos = node.get_publishers_info_by_topic(topic)
    reliability = ReliabilityPolicy.RELIABLE
    durability = DurabilityPolicy.VOLATILE
    if any(i.qos_profile.reliability == ReliabilityPolicy.BEST_EFFORT for i in infos):
        reliability = ReliabilityPolicy.BEST_EFFORT
    if infos and all(i.qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL for i in infos):
        durability = DurabilityPolicy.TRANSIENT_LOCAL
    return QoSProfile(depth=depth, reliability=reliability, durability=durability,
                      history=HistoryPolicy.KEEP_LAST)


@contextlib.contextmanager
def ros_context(args: Optional[list] = None) -> Iterator[rclpy.context.Context]:
    """A private rclpy context, shut down on exit."""
    context = rclpy.Context()
    rclpy.init(args=args, context=context)
    try:
        yield context
    finally:
        shutdown_context(context)


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT / SIGTERM (main thread only) instead of raising."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
