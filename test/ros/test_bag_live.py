"""`bag play` / `bag record` against a live ROS 2 graph (real DDS, other processes):
play -> an rclpy subscriber in another process gets every frame with its stamp and pixels;
`siam-track bag play --restamp` in another process -> record -> a readable bag whose messages
are the played ones (stamps shifted by one offset)."""
import json
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from siam_node_harness import require_ros_interfaces

require_ros_interfaces()

from siam_node_harness import isolated_ros_env  # noqa: E402
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence  # noqa: E402
from siam_tracker_ros.ros.bag.io import BagReader  # noqa: E402
from siam_tracker_ros.ros.stamps import stamp_to_ns  # noqa: E402
from siam_tracker_ros.ros.bag.make import MakeOptions, frame_stamp_ns, write_sequence_bag  # noqa: E402
from siam_tracker_ros.ros.bag.play import play_bag  # noqa: E402
from siam_tracker_ros.ros.bag.record import record_bag  # noqa: E402

pytestmark = pytest.mark.ros

FRAMES = 20
SPEC = SyntheticSpec(seed=9, num_frames=FRAMES, frame_size_wh=(96, 64), target_size_wh=(16, 12), name="live")

# A plain rclpy subscriber: prints one JSON line per received message, exits after all frames + the
# init box (or after 30 s).
_SUBSCRIBER = r"""
import json, sys, time, zlib
import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from vision_msgs.msg import Detection2D

want = int(sys.argv[1])
rclpy.init()
node = rclpy.create_node("bag_play_probe")
got = {"frames": 0, "init": 0}

def stamp(h):
    return h.stamp.sec * 1_000_000_000 + h.stamp.nanosec

def on_image(msg):
    got["frames"] += 1
    print(json.dumps({"topic": "image", "stamp": stamp(msg.header), "frame_id": msg.header.frame_id,
                      "crc": zlib.crc32(bytes(msg.data)), "size": [msg.width, msg.height]}), flush=True)

def on_init(msg):
    got["init"] += 1
    print(json.dumps({"topic": "init", "stamp": stamp(msg.header),
                      "center": [msg.bbox.center.position.x, msg.bbox.center.position.y]}), flush=True)

node.create_subscription(Image, "/camera/image_raw", on_image,
                         QoSProfile(depth=50, reliability=ReliabilityPolicy.BEST_EFFORT))
node.create_subscription(Detection2D, "/init_box", on_init, 10)
print(json.dumps({"topic": "ready"}), flush=True)
deadline = time.monotonic() + 30
while rclpy.ok() and time.monotonic() < deadline and (got["frames"] < want or got["init"] < 1):
    rclpy.spin_once(node, timeout_sec=0.1)
node.destroy_node()
rclpy.shutdown()
"""


@pytest.fixture(scope="module")
def sequence():
    return generate_sequence(SPEC)


@pytest.fixture
def bag(tmp_path, sequence):
    return write_sequence_bag(sequence, tmp_path / "bag", MakeOptions(rate_hz=50.0)).path


def test_play_reaches_a_subscriber_in_another_process(tmp_path, sequence, bag):
    _, _, env = isolated_ros_env(tmp_path)
    probe = subprocess.Popen([sys.executable, "-c", _SUBSCRIBER, str(FRAMES)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert json.loads(probe.stdout.readline())["topic"] == "ready"
        stats = play_bag(bag, topics=["/camera/image_raw", "/init_box"], wait_for_subscribers_s=20.0)
        out, err = probe.communicate(timeout=40)
    finally:
        if probe.poll() is None:
            probe.kill()
    assert stats.published == {"/camera/image_raw": FRAMES, "/init_box": 1}
    lines = [json.loads(line) for line in out.splitlines()]
    images = [m for m in lines if m["topic"] == "image"]
    inits = [m for m in lines if m["topic"] == "init"]
    assert [m["stamp"] for m in images] == [frame_stamp_ns(i, 50.0) for i in range(FRAMES)], err[-500:]
    import zlib
    assert [m["crc"] for m in images] == [zlib.crc32(sequence.frames[i].tobytes()) for i in range(FRAMES)]
    assert images[0]["frame_id"] == "camera" and images[0]["size"] == [96, 64]
    x, y, w, h = sequence.init_box_xywh
    assert len(inits) == 1 and inits[0]["stamp"] == frame_stamp_ns(0, 50.0)
    assert inits[0]["center"] == pytest.approx([x + w / 2, y + h / 2])


def test_record_writes_a_readable_bag_of_what_was_played(tmp_path, bag):
    _, _, env = isolated_ros_env(tmp_path)
    topics = ["/camera/image_raw", "/init_box", "/ground_truth"]
    stop = threading.Event()
    ready = threading.Event()
    outcome, counts = {}, {}
    expected = {"/camera/image_raw": FRAMES, "/init_box": 1, "/ground_truth": FRAMES}

    def on_message(topic):
        counts[topic] = counts.get(topic, 0) + 1
        if counts == expected:
            stop.set()

    def recorder():
        try:
            outcome["stats"] = record_bag(topics, tmp_path / "rec", stop=stop, on_ready=ready.set,
                                          on_message=on_message)
        except BaseException as exc:  # reported by the assertion below
            outcome["error"] = exc

    thread = threading.Thread(target=recorder, daemon=True)
    thread.start()
    player = subprocess.Popen([sys.executable, "-m", "siam_tracker_ros", "bag", "play", str(bag), "--restamp",
                               "--topics", *topics, "--wait-for-subscribers", "20"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = player.communicate(timeout=60)
        assert player.returncode == 0, err[-1000:]
        assert ready.is_set()
        stop.wait(10)                     # set by on_message once everything played arrived
    finally:
        stop.set()
        thread.join(20)
        if player.poll() is None:
            player.kill()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["stats"].written == {"/camera/image_raw": FRAMES, "/init_box": 1, "/ground_truth": FRAMES}

    with BagReader(bag) as source, BagReader(tmp_path / "rec") as recorded:
        assert {t: recorded.topics[t].typename for t in topics} == {t: source.topics[t].typename for t in topics}
        played = {t: [m.msg for m in source.messages([t])] for t in topics}
        got = {t: [m.msg for m in recorded.messages([t])] for t in topics}
    offset = stamp_to_ns(got["/camera/image_raw"][0].header.stamp) - stamp_to_ns(played["/camera/image_raw"][0].header.stamp)
    assert abs(time.time_ns() - offset - stamp_to_ns(played["/camera/image_raw"][0].header.stamp)) < 120e9
    for topic in topics:
        assert [stamp_to_ns(m.header.stamp) - offset for m in got[topic]] == [stamp_to_ns(m.header.stamp) for m in played[topic]]
    for a, b in zip(got["/camera/image_raw"], played["/camera/image_raw"]):
        np.testing.assert_array_equal(a.data, b.data)
    assert got["/init_box"][0].bbox == played["/init_box"][0].bbox
    for a, b in zip(got["/ground_truth"], played["/ground_truth"]):
        assert [d.bbox for d in a.detections] == [d.bbox for d in b.detections]


@pytest.mark.slow
def test_live_node_run_scores_like_bag_eval(tmp_path, sequence):
    """bag play --restamp -> the real node (separate process) -> bag record -> bag score.

    Which frames reach the node is not deterministic: the node's image queue is depth 1 (newest
    wins, by design), so a frame a busy executor has not taken yet is replaced by the next one,
    and a best-effort frame sent while discovery is still one-sided never arrives. (Seen once in
    ten loaded runs: frame 0 never reached the node, the stamped init started on frame 1 within
    ``init_stamp_tolerance_s``, and 15 of 16 frames had an output.) So the check is exact on the
    frames the node did process: its outputs equal the same tracker run offline over exactly
    those frames, initialised on the frame the node reports it used; and when every frame was
    processed from the init box's own frame on, ``bag score`` equals ``bag eval``."""
    from siam_tracker_ros.ros import node_process
    from siam_tracker_ros.ros.bag.eval import build_eval_tracker, evaluate_bag
    from siam_tracker_ros.ros.bag.scoring import (detection_array_to_box, first_init_box, public_scores,
                                                  score_recorded_bag)
    from siam_tracker.msg import TrackerStatus

    made_sequence = generate_sequence(SyntheticSpec(
        seed=11, num_frames=16, frame_size_wh=(160, 120), target_size_wh=(24, 20), name="live-node"))
    made = write_sequence_bag(made_sequence, tmp_path / "in", MakeOptions(rate_hz=5.0))
    _, namespace, env = isolated_ros_env(tmp_path)
    outputs = [f"{namespace}/siam_tracker/detections", f"{namespace}/siam_tracker/status"]
    topics = outputs + ["/ground_truth", "/init_box"]
    try:
        node_process.node_executable_and_params()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    with open(tmp_path / "node.log", "w") as log:
        node = node_process.start_node(namespace, log, env, [
            "-r", "image:=/camera/image_raw", "-r", "init_box:=/init_box",
            "-p", "long_term:=false", "-p", "num_threads:=1",
            "-p", "model_config:=siamfc_parameter_free"])
    stop, counts, outcome = threading.Event(), {}, {}

    def on_message(topic):
        counts[topic] = counts.get(topic, 0) + 1

    thread = threading.Thread(target=lambda: outcome.update(stats=record_bag(
        topics, tmp_path / "rec", stop=stop, on_message=on_message)), daemon=True)
    thread.start()
    from siam_tracker_ros.ros.stop_timing import GraphProbe

    probe = GraphProbe()
    try:
        # The recorder subscribes to the node's outputs once they appear in the graph: on a
        # loaded machine that can be after the first frames went out, so wait for it first.
        for topic in outputs:
            assert probe.wait_for_subscription(topic, 60.0, node), f"nobody records {topic}"
        # waits for the node's image/init subscriptions (created once its model is loaded)
        play_bag(made.path, topics=["/camera/image_raw", "/init_box", "/ground_truth"], restamp=True,
                 wait_for_subscribers_s=60.0)
        # until all 16 outputs are in, or none came for 3 s (a frame the node never got)
        deadline, last, quiet_since = time.monotonic() + 20, -1, time.monotonic()
        while time.monotonic() < deadline and counts.get(outputs[0], 0) < 16:
            if counts.get(outputs[0], 0) != last:
                last, quiet_since = counts.get(outputs[0], 0), time.monotonic()
            elif time.monotonic() - quiet_since > 3.0:
                break
            time.sleep(0.1)
    finally:
        probe.close()
        stop.set()
        thread.join(20)
        node_process.stop_node(node)
    node_log = (tmp_path / "node.log").read_text()
    assert "stats" in outcome, node_log[-2000:]
    live = score_recorded_bag(str(tmp_path / "rec"), detections_topic=outputs[0], status_topic=outputs[1])
    assert live.frames == 16 and live.latency_ms["p50"] > 0, (outcome["stats"].written, node_log[-2000:])

    # frame index of every recorded stamp: the played stamps are the bag's shifted by one offset
    with BagReader(made.path) as source:
        _, init_box = first_init_box(source, "/init_box")
        bag_stamps = [stamp_to_ns(m.msg.header.stamp) for m in source.messages(["/ground_truth"])]
    with BagReader(tmp_path / "rec") as rec:
        # all 16 ground-truth messages were recorded (asserted above), in order
        offset = stamp_to_ns(next(rec.messages(["/ground_truth"])).msg.header.stamp) - bag_stamps[0]
        index_of = {s + offset: i for i, s in enumerate(bag_stamps)}
        boxes = {index_of[stamp_to_ns(m.msg.header.stamp)]: detection_array_to_box(m.msg)[0]
                 for m in rec.messages([outputs[0]])}
        states = [(stamp_to_ns(m.msg.header.stamp), m.msg.state) for m in rec.messages([outputs[1]])]
    # the init frame the node used: the stamp of its first non-IDLE status
    used = index_of[next(s for s, state in states if state != TrackerStatus.STATE_IDLE and s in index_of)]
    after = sorted(i for i in boxes if i > used)
    assert used <= 1 and len(after) >= 8, (used, sorted(boxes), node_log[-2000:])

    tracker = build_eval_tracker("siamfc_parameter_free", num_threads=1)[1]
    tracker.initialize(made_sequence.frames[used], tuple(init_box))
    for i in after:
        result = tracker.track(made_sequence.frames[i])
        # (the Detection2D centre/size round trip may move the last bit)
        np.testing.assert_allclose(boxes[i], np.asarray(result.bbox_xywh, dtype=np.float64), rtol=0,
                                   atol=1e-9, err_msg=f"frame {i} (init on frame {used})")

    if used == 0 and after == list(range(1, 16)):
        offline = evaluate_bag(made.path, build_eval_tracker("siamfc_parameter_free", num_threads=1)[1])
        assert public_scores(live.scores) == public_scores(offline.scores)
