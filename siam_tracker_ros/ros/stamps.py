"""Header stamps <-> integer nanoseconds (builtin_interfaces/Time of rclpy or rosbags alike)."""
from __future__ import annotations

from typing import Any

NS_PER_S = 1_000_000_000


def stamp_to_ns(stamp: Any) -> int:
    """``sec`` / ``nanosec`` of a Time message -> nanoseconds (0 for a zero stamp)."""
    return int(stamp.sec) * NS_PER_S + int(stamp.nanosec)


def set_stamp_ns(stamp: Any, ns: int) -> Any:
    """Write ``ns`` nanoseconds into a Time message's ``sec`` / ``nanosec``; returns it."""
    stamp.sec, stamp.nanosec = int(ns) // NS_PER_S, int(ns) % NS_PER_S
    return stamp
