"""Stopping never hangs: ``bag record`` and the tracker node, started and stopped 50 times each
with real rclpy/DDS in this process (stopped at seeded random moments while messages flow), and a
few real processes stopped by SIGINT / SIGTERM. The 2-s product bound is measured and printed by
``scripts/bench_stop.py``; here a stop only has to end (join / exit, generous bounds) with the
right exit code and a finished bag. A stop that hangs in C holding the GIL is ended by the hard
watchdog (test/conftest.py)."""
import random
import signal
import threading
import time

import pytest

from siam_node_harness import require_ros_interfaces

require_ros_interfaces()

from siam_node_harness import isolated_ros_env, raw_image  # noqa: E402
from siam_tracker_ros.ros.bag.io import BagReader  # noqa: E402
from siam_tracker_ros.ros.bag.record import record_bag  # noqa: E402
from siam_tracker_ros.ros.spinning import BackgroundSpinner, destroy_and_shutdown  # noqa: E402

pytestmark = [pytest.mark.ros, pytest.mark.timeout(240)]

STOPS = 50
JOIN_BOUND_S = 10.0       # generous: this checks "it stops", bench_stop.py prints the figure
PROCESS_BOUND_S = 15.0


class Publisher:
    """A node in its own context publishing std_msgs/String on ``topic`` from a thread (nothing
    spins it; created, used and destroyed by this object)."""

    def __init__(self, domain_id: int, topic: str) -> None:
        import rclpy
        from std_msgs.msg import String

        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node("stop_loop_publisher", context=self.context)
        self.pub = self.node.create_publisher(String, topic, 10)
        self._msg = String(data="x" * 100)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.pub.publish(self._msg)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5.0)
        destroy_and_shutdown([self.node], self.context)


def test_recorder_stops_50_times_in_process(tmp_path):
    domain_id, namespace, _ = isolated_ros_env(tmp_path)
    topic = f"{namespace}/stop_loop"
    publisher = Publisher(domain_id, topic)
    rng = random.Random(12)
    worst = 0.0
    try:
        for i in range(STOPS):
            stop, outcome = threading.Event(), {}
            out = tmp_path / f"rec{i % 2}"

            def run():
                try:
                    outcome["stats"] = record_bag([topic], out, stop=stop, force=True,
                                                  warn=lambda _: None)
                except BaseException as exc:  # reported below
                    outcome["error"] = exc

            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            time.sleep(rng.uniform(0.0, 0.3))     # stopped before, while or after it subscribes
            started = time.monotonic()
            stop.set()
            thread.join(JOIN_BOUND_S)
            took = time.monotonic() - started
            worst = max(worst, took)
            assert not thread.is_alive(), f"stop {i}: record_bag still running {took:.1f} s after stop"
            assert "error" not in outcome, f"stop {i}: {outcome['error']!r}"
            with BagReader(out) as bag:           # always a finished, readable bag
                assert sum(1 for _ in bag.messages(raw=True)) == sum(outcome["stats"].written.values())
    finally:
        publisher.close()
    print(f"record_bag: {STOPS} in-process stops, slowest {worst:.3f} s")


def test_node_stops_50_times_in_process(tmp_path, one_torch_thread):
    import rclpy
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.parameter import Parameter
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image

    from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence
    from siam_tracker_ros.ros.node import TrackerNode

    domain_id, namespace, _ = isolated_ros_env(tmp_path)
    frames = generate_sequence(SyntheticSpec(seed=3, num_frames=8, frame_size_wh=(96, 72),
                                             target_size_wh=(20, 16), name="stop")).frames
    params = [Parameter("model_config", value="siamfc_parameter_free"),
              Parameter("num_threads", value=1), Parameter("max_image_age_s", value=0.0)]
    rng = random.Random(5)
    worst = 0.0
    for i in range(STOPS):
        context = rclpy.Context()
        rclpy.init(context=context, domain_id=domain_id)
        node = TrackerNode(namespace=namespace, context=context, parameter_overrides=params)
        feeder = rclpy.create_node("feeder", namespace=namespace, context=context)
        pub = feeder.create_publisher(Image, "image", QoSProfile(
            depth=1, reliability=ReliabilityPolicy.RELIABLE))
        executor = MultiThreadedExecutor(num_threads=4, context=context)
        executor.add_node(node)
        spinner = BackgroundSpinner(executor).start()
        for k in range(rng.randint(0, len(frames))):   # the worker is busy at random moments
            pub.publish(raw_image(frames[k], time.time_ns()))
            time.sleep(rng.uniform(0.0, 0.02))
        started = time.monotonic()
        node.close(timeout_s=5.0)
        stopped = spinner.stop(timeout_s=JOIN_BOUND_S)
        destroy_and_shutdown([node, feeder], context)
        took = time.monotonic() - started
        worst = max(worst, took)
        assert stopped, f"stop {i}: the spinning thread did not end within {JOIN_BOUND_S} s"
        assert spinner.error is None, f"stop {i}: {spinner.error!r}"
    print(f"TrackerNode: {STOPS} in-process stops, slowest {worst:.3f} s")


@pytest.mark.slow
def test_processes_stop_on_sigint_and_sigterm(tmp_path):
    from siam_tracker_ros.ros import node_process
    from siam_tracker_ros.ros.stop_timing import GraphProbe, stop_node_once, stop_recorder_once

    try:
        node_process.node_executable_and_params()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    domain_id, namespace, env = isolated_ros_env(tmp_path)
    probe = GraphProbe(domain_id)
    timings = []
    try:
        with open(tmp_path / "processes.log", "w") as log:
            for i, sig in enumerate((signal.SIGINT, signal.SIGTERM)):
                out = str(tmp_path / f"rec{i}")
                timing = stop_recorder_once(probe, out, sig, env, log, index=i)
                timings.append(timing)
                with BagReader(out) as bag:
                    assert list(bag.messages(raw=True)) is not None
            for i, sig in enumerate((signal.SIGINT, signal.SIGTERM)):
                # own namespace per start: the stopped node may linger in the graph for a while
                timings.append(stop_node_once(probe, f"{namespace}_{i}", sig, env, log, [
                    "-p", "model_config:=siamfc_parameter_free", "-p", "num_threads:=1"]))
    finally:
        probe.close()
    text = (tmp_path / "processes.log").read_text()
    for t in timings:
        assert t.returncode == 0, f"{t.what} exit {t.returncode} on {t.signal_name}:\n{text[-3000:]}"
        assert t.stop_s < PROCESS_BOUND_S, f"{t.what} took {t.stop_s:.1f} s to stop on {t.signal_name}"
    assert "Traceback" not in text and "Timeout (" not in text, text[-3000:]
    print("stops: " + ", ".join(f"{t.what} {t.signal_name} {t.stop_s:.2f} s" for t in timings))
