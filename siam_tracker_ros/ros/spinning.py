"""Spin an rclpy executor on a background thread and stop it in the only safe order.

rclpy (Jazzy) gives three facts that decide the order:

- ``Node.destroy_node()`` ends in ``destroy_when_not_in_use()``: it does not wait. If no wait set
  holds the node's handles it destroys the node at once — ``rcl_node_fini``, and for the last node
  of a context the whole DDS participant — inside one C call that keeps the GIL. If a spinning
  thread holds them (it sits in ``rcl_wait`` with every entity "in use"), destruction is deferred
  and then runs *in that spinning thread* when its wait returns, concurrently with whatever the
  destroying thread does next (``rclpy.try_shutdown`` of the same context, say).
- ``Executor.shutdown()`` neither stops a thread that is inside ``spin()`` nor waits for running
  callbacks (Jazzy skips its wait once ``_is_shutdown`` is set), and it destroys the executor's
  guard condition under the feet of a spinner.
- A C call that blocks while holding the GIL freezes every Python thread: no timeout, signal
  handler or watchdog written in Python can run.

So: stop the spinning loop and join its thread, then let running callbacks finish and shut the
executor down, then destroy the nodes in the thread that created them, then shut the context
down. :class:`BackgroundSpinner` does the first two; :func:`hard_exit_after` bounds the rest
in a process entry point (a C-level timer that needs no GIL).
"""
from __future__ import annotations

import atexit
import contextlib
import faulthandler
import os
import sys
import threading
from typing import Iterator, Optional

STOP_BUDGET_S = 2.0      # a process stops within this long of SIGINT / SIGTERM / a stop request


def shutdown_executor(executor, timeout_s: float = 10.0) -> None:
    """Shut ``executor`` down once nothing spins it any more: first wait for the callbacks still
    running in its thread pool (MultiThreadedExecutor), then shut it down. (rclpy's
    Executor.shutdown neither waits for them — Jazzy skips the wait once ``_is_shutdown`` is set —
    nor keeps its guard condition alive for them, which prints "exception was never retrieved:
    cannot use Destroyable".)"""
    pool = getattr(executor, "_executor", None)      # MultiThreadedExecutor's ThreadPoolExecutor
    if pool is not None:
        pool.shutdown(wait=True)
    executor.shutdown(timeout_sec=timeout_s)


class BackgroundSpinner:
    """Spins ``executor`` with short ``spin_once`` calls on a daemon thread until :meth:`stop`
    (or until its context shuts down). ``stop`` wakes the executor, joins the thread, waits for
    running callbacks and shuts the executor down; destroy the nodes after it, in your thread."""

    def __init__(self, executor, name: str = "ros-spin", period_s: float = 0.05) -> None:
        self.executor = executor
        self._period_s = period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.error: Optional[BaseException] = None

    def start(self) -> "BackgroundSpinner":
        self._thread.start()
        return self

    def _run(self) -> None:
        context = self.executor.context
        try:
            while not self._stop.is_set() and context.ok():
                self.executor.spin_once(timeout_sec=self._period_s)
        except BaseException as exc:  # noqa: BLE001 - kept for the owner (context shut down, ...)
            if context.ok() and not self._stop.is_set():
                self.error = exc

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Stop spinning and shut the executor down. False when the thread did not end within
        ``timeout_s`` (the executor is then left alone: never shut down under a spinner)."""
        self._stop.set()
        try:
            self.executor.wake()
        except Exception:  # noqa: BLE001 - already shut down: the loop ends on its own
            pass
        if self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
        if self._thread.is_alive():
            return False
        shutdown_executor(self.executor, timeout_s)
        return True

    def __enter__(self) -> "BackgroundSpinner":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def hard_exit_after(seconds: float, file=None) -> Iterator[None]:
    """End the process (exit code 1, every thread's stack on ``file``, default stderr) if the
    block is still running after ``seconds`` — even when a C call holds the GIL. For process entry
    points only (it ends the whole process); cancelled when the block ends."""
    faulthandler.dump_traceback_later(max(0.05, seconds), exit=True,
                                      file=sys.stderr if file is None else file)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@contextlib.contextmanager
def tolerating_stopped_context(context=None) -> Iterator[None]:
    """Swallow an ``RCLError`` raised inside the block when ``context`` (None: the default one)
    is no longer ok: Ctrl-C / SIGTERM shut it down from rclpy's signal-handler thread between an
    rclpy call's context check and its use. Seen in fresh-clone runs as "failed to initialize wait
    set: the given context is not valid" from ``spin`` (test_node_launch) and "rcl_shutdown
    already called on the given context" from ``try_shutdown`` (test_stop_loop, a SIGTERM while
    the node was starting). The same error while the context is still valid propagates."""
    import rclpy
    from rclpy.impl.implementation_singleton import rclpy_implementation as _rclpy

    try:
        yield
    except _rclpy.RCLError:
        if rclpy.ok(context=context):
            raise


def shutdown_context(context=None) -> None:
    """``rclpy.try_shutdown(context=context)``, tolerating a context that Ctrl-C / SIGTERM shut
    down meanwhile (:func:`tolerating_stopped_context`)."""
    import rclpy

    with tolerating_stopped_context(context):
        rclpy.try_shutdown(context=context)


def destroy_and_shutdown(nodes, context, hard_stop_s: Optional[float] = None) -> None:
    """Destroy ``nodes`` (in this thread: the one that created them; nothing may spin them any
    more), then shut ``context`` down. ``hard_stop_s``: in a process entry point, end the process
    (exit 1, stacks on stderr) if this DDS teardown blocks longer than that."""
    import rclpy

    guard = hard_exit_after(hard_stop_s) if hard_stop_s is not None else contextlib.nullcontext()
    with guard:
        for node in nodes:
            if node is not None:
                node.destroy_node()
        if context is not None:
            shutdown_context(context)


def exit_now(code: int) -> None:
    """End a process whose ROS side is already torn down: atexit handlers, flush, ``os._exit``.
    Skips interpreter finalisation, which takes 1-2 s after torch and Fast DDS are loaded."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - closed or broken stream: nothing more to write
            pass
    os._exit(code)
