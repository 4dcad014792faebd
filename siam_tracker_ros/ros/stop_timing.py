"""Measure how long ``siam-track bag record`` and ``siam_tracker_node`` take to stop after
SIGINT / SIGTERM: start the real process, wait until it is at work (the recorder subscribed to
a topic this probe publishes; the node in the ROS graph), so the stop lands on a running process
and not on one still importing, signal it, time the exit. Used by
``scripts/bench_stop.py`` (the figure) and the stop-loop test (a generous check)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import IO, Callable, List, Mapping, Optional, Sequence

import rclpy

from . import node_process
from .spinning import shutdown_context


@dataclass(frozen=True)
class StopTiming:
    """One stop: which process, the signal, seconds from the signal to the exit, exit code."""

    what: str
    signal_name: str
    stop_s: float
    returncode: int


class GraphProbe:
    """A bare node in its own context that answers "is node X in the graph yet"."""

    def __init__(self, domain_id: Optional[int] = None) -> None:
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node("stop_timing_probe", context=self.context)

    @staticmethod
    def _poll(condition: Callable[[], bool], timeout_s: float,
              proc: Optional[subprocess.Popen], between: Callable[[], None] = lambda: None) -> bool:
        """True once ``condition()`` holds; False at the timeout or when ``proc`` has exited.
        ``between`` runs after each miss (every 50 ms)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if condition():
                return True
            if proc is not None and proc.poll() is not None:
                return False
            between()
            time.sleep(0.05)
        return False

    def wait_for_node(self, name: str, namespace: str, timeout_s: float,
                      proc: Optional[subprocess.Popen] = None) -> bool:
        return self._poll(lambda: (name, namespace or "/") in
                          self.node.get_node_names_and_namespaces(), timeout_s, proc)

    def wait_for_subscription(self, topic: str, timeout_s: float,
                              proc: Optional[subprocess.Popen] = None) -> bool:
        """Wait until some node subscribes to ``topic`` (any type)."""
        return self._poll(lambda: self.node.count_subscribers(topic) > 0, timeout_s, proc)

    def wait_for_subscriber(self, topic: str, timeout_s: float,
                            proc: Optional[subprocess.Popen] = None) -> bool:
        """Publish std_msgs/String on ``topic`` until a subscription matches it."""
        from std_msgs.msg import String

        publisher = self.node.create_publisher(String, topic, 10)
        try:
            return self._poll(lambda: publisher.get_subscription_count() > 0, timeout_s, proc,
                              between=lambda: publisher.publish(String(data="tick")))
        finally:
            self.node.destroy_publisher(publisher)

    def close(self) -> None:
        self.node.destroy_node()          # nothing spins it: destroyed in the creating thread
        shutdown_context(self.context)


def timed_stop(proc: subprocess.Popen, sig: int, kill_after_s: float = 30.0) -> float:
    """Seconds from ``sig`` to the exit (:func:`node_process.stop_node`; inf when it had to be
    killed after ``kill_after_s``)."""
    started = time.monotonic()
    code = node_process.stop_node(proc, sig, kill_after_s)
    return float("inf") if code == -signal.SIGKILL else time.monotonic() - started


def start_recorder(out_dir: str, topic: str, env: Mapping[str, str], log: IO) -> subprocess.Popen:
    """``siam-track bag record`` of one topic into ``out_dir``."""
    cmd = [sys.executable, "-m", "siam_tracker_ros", "bag", "record", topic, "--out", out_dir,
           "--force"]
    return subprocess.Popen(cmd, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
                            cwd=node_process.REPO_ROOT)


def stop_recorder_once(probe: GraphProbe, out_dir: str, sig: int, env: Mapping[str, str],
                       log: IO, index: int = 0, ready_timeout_s: float = 60.0) -> StopTiming:
    topic = f"/stop_timing_{os.getpid()}_{index}"
    proc = start_recorder(out_dir, topic, env, log)
    return _stop_when_ready(proc, "bag record", topic, sig,
                            lambda: probe.wait_for_subscriber(topic, ready_timeout_s, proc))


def stop_node_once(probe: GraphProbe, namespace: str, sig: int, env: Mapping[str, str],
                   log: IO, extra_ros_args: Sequence[str] = (),
                   ready_timeout_s: float = 120.0) -> StopTiming:
    """Start the node in ``namespace`` — use a new one per start: a stopped node can stay in the
    graph until its DDS lease ends, and its subscription would pass for the new one's."""
    proc = node_process.start_node(namespace, log, env, extra_ros_args)
    image = f"{namespace}/image"         # subscribed once the model is loaded and warm
    return _stop_when_ready(proc, "siam_tracker_node", image, sig,
                            lambda: probe.wait_for_subscription(image, ready_timeout_s, proc))


def _stop_when_ready(proc: subprocess.Popen, what: str, topic: str, sig: int,
                     ready: Callable[[], bool]) -> StopTiming:
    """Wait until ``what`` has subscribed to ``topic`` (``ready``), then time its stop by
    ``sig``; the process is killed if anything fails on the way."""
    try:
        if not ready():
            raise RuntimeError(f"{what} never subscribed to {topic} (exit {proc.poll()})")
        stop_s = timed_stop(proc, sig)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return StopTiming(what, signal.Signals(sig).name, stop_s, int(proc.returncode))


def summary_rows(timings: List[StopTiming], bound_s: float) -> List[List[str]]:
    """Per process and signal: stops, exit codes, p50 / p95 / max seconds, stops within bound."""
    rows = []
    for what in sorted({t.what for t in timings}):
        for sig in sorted({t.signal_name for t in timings if t.what == what}):
            chosen = sorted(t.stop_s for t in timings if t.what == what and t.signal_name == sig)
            codes = sorted({t.returncode for t in timings if t.what == what and t.signal_name == sig})
            p = lambda q: chosen[min(len(chosen) - 1, int(round(q * (len(chosen) - 1))))]  # noqa: E731
            rows.append([what, sig, str(len(chosen)), ",".join(map(str, codes)),
                         f"{p(0.5):.3f}", f"{p(0.95):.3f}", f"{chosen[-1]:.3f}",
                         f"{sum(s <= bound_s for s in chosen)}/{len(chosen)}"])
    return rows
