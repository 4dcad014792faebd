#!/usr/bin/env python
"""How long ``siam-track bag record`` and ``siam_tracker_node`` take to stop after SIGINT /
SIGTERM (the product bound is 2 s): real processes, each stopped once it is at work, signals
alternating. Prints one row per process and signal (stops, exit codes, p50 / p95 / max seconds,
stops within the bound). Not a test: run it on the machine you care about.

    python scripts/bench_stop.py --stops 50            # 50 stops of each process
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from siam_tracker_ros.ros.spinning import STOP_BUDGET_S  # noqa: E402
from siam_tracker_ros.ros.stop_timing import (GraphProbe, stop_node_once,  # noqa: E402
                                              stop_recorder_once, summary_rows)


def _progress(timing, index: int) -> None:
    print(f"  {timing.what} #{index + 1} {timing.signal_name}: {timing.stop_s:.3f} s, "
          f"exit {timing.returncode}", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stops", type=int, default=50, help="stops of each process")
    parser.add_argument("--node-stops", type=int, default=None,
                        help="stops of the node (default --stops; each start loads the model)")
    parser.add_argument("--model-config", default="siamfc_parameter_free",
                        help="node model (the stop path does not depend on it)")
    parser.add_argument("--domain-id", type=int, default=57)
    args = parser.parse_args()
    os.environ["ROS_DOMAIN_ID"] = str(args.domain_id)
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    signals = (signal.SIGINT, signal.SIGTERM)
    probe = GraphProbe(args.domain_id)
    timings = []
    with tempfile.TemporaryDirectory() as tmp, open(os.path.join(tmp, "log"), "w") as log:
        try:
            for i in range(args.stops):
                timings.append(stop_recorder_once(probe, os.path.join(tmp, "rec"),
                                                  signals[i % 2], env, log, index=i))
                _progress(timings[-1], i)
            node_stops = args.stops if args.node_stops is None else args.node_stops
            for i in range(node_stops):
                # a namespace per start: a stopped node can linger in the graph (its DDS goodbye
                # is best effort) and must not be mistaken for the new one being ready
                timings.append(stop_node_once(probe, f"/bench_stop_{os.getpid()}_{i}",
                                              signals[i % 2], env, log,
                                              ["-p", f"model_config:={args.model_config}",
                                               "-p", "num_threads:=1"]))
                _progress(timings[-1], i)
        finally:
            probe.close()
    header = ["process", "signal", "stops", "exit", "p50 s", "p95 s", "max s",
              f"<= {STOP_BUDGET_S:g} s"]
    rows = [header] + summary_rows(timings, STOP_BUDGET_S)
    widths = [max(len(r[c]) for r in rows) for c in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    worst = max(t.stop_s for t in timings)
    ok = worst <= STOP_BUDGET_S and all(t.returncode == 0 for t in timings)
    print(f"{len(timings)} stops, slowest {worst:.3f} s: {'within' if ok else 'NOT within'} "
          f"{STOP_BUDGET_S:g} s with exit code 0")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
