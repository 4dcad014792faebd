"""Entry point of ``siam_tracker_node``: start the node, spin it, stop it within a bounded time
(teardown order: see :mod:`.spinning`)."""
from __future__ import annotations

import signal
import sys
import traceback
from typing import Optional, Sequence

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor

from .node import NODE_NAME, TrackerNode, _one_line
from .spinning import (STOP_BUDGET_S, exit_now, hard_exit_after, shutdown_context, shutdown_executor,
                       tolerating_stopped_context)


def main(args: Optional[Sequence[str]] = None, exit_fast: bool = True) -> int:
    """Entry point of ``siam_tracker_node``: exit 0 on Ctrl-C / SIGTERM, 1 (one fatal line) when
    the model, checkpoint or parameters are unusable. Stopping takes at most ``STOP_BUDGET_S``:
    spin ends, the worker and running callbacks finish, the executor shuts down, then the node is
    destroyed and the context shut down in this thread (order: see ``spinning``); a teardown
    still blocked after that ends the process (exit 1, every thread's stack on stderr).
    ``exit_fast``: once the node is down (or never came up), run the atexit handlers, flush and
    end the process at once (interpreter finalisation takes 1-2 s and nothing is left to clean);
    pass False to call it in-process."""
    code = _run(args)
    if exit_fast:
        exit_now(code)
    return code


def _run(args: Optional[Sequence[str]]) -> int:
    # SIGTERM raises KeyboardInterrupt like SIGINT (rclpy's handler chains to this one), so a
    # stop also interrupts a model still loading instead of waiting for it.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    from .transport_env import apply_large_image_transport

    apply_large_image_transport()       # large images over Fast DDS unless the user chose a setting
    rclpy.init(args=args)
    logger = rclpy.logging.get_logger(NODE_NAME)
    try:
        node = TrackerNode()
    except (KeyboardInterrupt, ExternalShutdownException):
        shutdown_context()
        return 0
    except Exception as exc:  # one clear line, not a traceback (shown with --log-level debug)
        if not rclpy.ok():                  # Ctrl-C / SIGTERM while loading the model
            return 0
        logger.debug("start-up failure:\n" + traceback.format_exc())
        logger.fatal(f"cannot start: {_one_line(exc)}")
        shutdown_context()
        return 1
    executor = MultiThreadedExecutor(num_threads=4)
    executor.add_node(node)
    try:
        # a stop landing between spin's context check and its wait-set creation raises
        # RCLError instead of ExternalShutdownException: a stop too
        with tolerating_stopped_context(node.context):
            executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        with hard_exit_after(STOP_BUDGET_S):
            node.close(timeout_s=STOP_BUDGET_S / 2)
            shutdown_executor(executor)
            node.destroy_node()
            shutdown_context()
    return 0


if __name__ == "__main__":
    sys.exit(main())
