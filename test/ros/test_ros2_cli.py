"""The `ros2` commands users reach for, each once, against the node started by
`ros2 launch siam_tracker track.launch.py`: `service call .../init`, `topic echo --once
.../detection`, `param set` (+ `param get`), `param describe`, `interface show`; then Ctrl-C to
launch ends it with exit status 0.

The graph queries go through a ros2 daemon this test starts itself (a child process, stopped at
the end) and wait until it sees the node: from a fresh process with `--no-daemon` they can miss a
running node on a busy machine (measured when the launch wheels were built). Frames come
from a probe publisher in this process: one synthetic frame, re-stamped, at 10 Hz, so any frame
is the one the init box was drawn on. Own ROS_DOMAIN_ID (chosen where no daemon listens yet),
localhost discovery, temporary ROS_LOG_DIR, a namespace of its own.
"""
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import yaml

from siam_node_harness import require_ros_interfaces

require_ros_interfaces()

from siam_tracker_ros.ros import launch_process  # noqa: E402

from siam_node_harness import iou_xywh, raw_image, wait_until  # noqa: E402

pytestmark = pytest.mark.ros
READY_TIMEOUT_S = 120.0
CLI_TIMEOUT_S = 60.0


def _free_domain() -> int:
    """A domain id in 102..229 whose ros2 daemon port (11511 + id) is free."""
    for offset in range(128):
        domain_id = 102 + (os.getpid() * 3 + 5 + offset) % 128
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", 11511 + domain_id))
            except OSError:
                continue
        return domain_id
    pytest.skip("no free ROS_DOMAIN_ID for a ros2 daemon (102..229 all taken)")


@pytest.fixture
def cli_env(tmp_path):
    reason = launch_process.launch_unavailable_reason()
    if reason:
        pytest.skip(reason)
    env = dict(os.environ)
    env.update(ROS_DOMAIN_ID=str(_free_domain()), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
               ROS_LOG_DIR=str(tmp_path / "ros_log"), PYTHONUNBUFFERED="1")
    env.pop("ROS_LOCALHOST_ONLY", None)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def ros2(env, *args: str, timeout_s: float = CLI_TIMEOUT_S) -> subprocess.CompletedProcess:
    return subprocess.run(["ros2", *args], env=env, capture_output=True, text=True,
                          timeout=timeout_s, stdin=subprocess.DEVNULL)


class FramePublisher:
    """Publishes one frame with fresh stamps at 10 Hz on a background executor thread."""

    def __init__(self, domain_id: int, topic: str, frame) -> None:
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import Image

        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node("cli_frame_pub", context=self.context)
        self.pub = self.node.create_publisher(Image, topic, QoSProfile(
            depth=1, reliability=ReliabilityPolicy.RELIABLE))
        self.node.create_timer(0.1, lambda: self.pub.publish(raw_image(frame, time.time_ns())))
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def close(self) -> None:
        import rclpy
        self.executor.shutdown(timeout_sec=5.0)
        self.thread.join(timeout=5.0)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)


def test_ros2_cli_against_the_launched_node(cli_env, tmp_path):
    from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence

    env = cli_env
    namespace = f"/cli{os.getpid()}"
    node = f"{namespace}/siam_tracker"
    sequence = generate_sequence(SyntheticSpec(seed=3, num_frames=2))
    box = [float(v) for v in sequence.boxes_xywh[0]]
    log_path = tmp_path / "launch.log"
    log = open(log_path, "w")
    launch = launch_process.start_launch({"namespace": namespace}, log, env)
    daemon = subprocess.Popen(
        ["_ros2_daemon", "--rmw-implementation", env.get("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp"),
         "--ros-domain-id", env["ROS_DOMAIN_ID"], "--timeout", "600"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "daemon.log", "w"))
    frames = None
    try:
        assert wait_until(lambda: "ready: model" in log_path.read_text() or launch.poll() is not None,
                          READY_TIMEOUT_S, 0.2), "no ready line"
        assert launch.poll() is None, "ros2 launch exited:\n" + log_path.read_text()[-3000:]
        frames = FramePublisher(int(env["ROS_DOMAIN_ID"]), f"{namespace}/image", sequence.frames[0])

        # the daemon sees the node and its topics (polling: discovery takes its time)
        def listed():
            nodes = ros2(env, "node", "list")
            topics = ros2(env, "topic", "list")
            return (node in nodes.stdout.split()
                    and f"{node}/detection" in topics.stdout.split())
        assert wait_until(listed, 60.0, 0.5), "the ros2 daemon never listed the node"

        # ros2 service call: init on the newest frame (stamp zero)
        cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
        request = (f"{{bbox: {{center: {{position: {{x: {cx}, y: {cy}}}}}, "
                   f"size_x: {box[2]}, size_y: {box[3]}}}}}")
        def init_call():
            """The call's result once the node has an image to start on (frames reach it only
            after discovery, which takes its time on a busy machine)."""
            done = ros2(env, "service", "call", f"{node}/init", "siam_tracker/srv/InitTarget",
                        request)
            return None if "no image received yet" in done.stdout else done
        call = wait_until(init_call, 60.0, 0.5)
        assert call is not None, "the node never received a frame"
        assert call.returncode == 0, call.stderr
        assert "success=True" in call.stdout, call.stdout

        # ros2 topic echo --once: a detection on the target
        echo = ros2(env, "topic", "echo", "--once", f"{node}/detection")
        assert echo.returncode == 0, echo.stderr
        det = yaml.safe_load(echo.stdout.split("\n---")[0])
        centre, w, h = det["bbox"]["center"]["position"], det["bbox"]["size_x"], det["bbox"]["size_y"]
        got = (centre["x"] - w / 2, centre["y"] - h / 2, w, h)
        assert iou_xywh(got, box) > 0.5, (got, box)
        assert det["results"][0]["hypothesis"]["class_id"] == "target"

        # ros2 param set / get / describe
        set_ = ros2(env, "param", "set", node, "loss_threshold", "0.25")
        assert set_.returncode == 0 and "Set parameter successful" in set_.stdout, set_.stdout + set_.stderr
        get = ros2(env, "param", "get", node, "loss_threshold")
        assert "Double value is: 0.25" in get.stdout, get.stdout + get.stderr
        describe = ros2(env, "param", "describe", node, "max_image_age_s")
        assert describe.returncode == 0, describe.stderr
        assert "Type: double" in describe.stdout and "Min value: 0.0" in describe.stdout, describe.stdout

        # ros2 interface show (no graph needed)
        show = ros2(env, "interface", "show", "siam_tracker/msg/TrackerStatus")
        assert show.returncode == 0, show.stderr
        assert "uint64 frames_processed" in show.stdout and "std_msgs/Header header" in show.stdout
    finally:
        if frames is not None:
            frames.close()
        code = launch_process.stop_launch(launch)
        daemon.terminate()
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()
    text = log_path.read_text()
    assert code == 0, f"ros2 launch exited {code}:\n{text[-3000:]}"
    assert "process has finished cleanly" in text and "Traceback" not in text, text[-3000:]
