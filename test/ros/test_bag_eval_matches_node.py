"""`bag eval` writes what the live node publishes: a bag made from a synthetic sequence is fed
frame by frame to the real node (in-process, real rclpy + DDS; each frame acknowledged through
~/status, so none is dropped), its outputs are recorded with `bag record`, and the recorded bag
equals `bag eval`'s output bag message for message (detection, detections, confidence, mask),
from the frame after the init frame on. The init frame itself differs by design: the live node
published it before the box arrived (no target), bag eval initialises on it."""
import threading

import numpy as np
import pytest

from siam_node_harness import require_ros_interfaces

require_ros_interfaces()

from rclpy.serialization import deserialize_message  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from vision_msgs.msg import Detection2D  # noqa: E402

from siam_node_harness import NodeHarness, wait_until  # noqa: E402
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence  # noqa: E402
from siam_tracker_ros.ros.bag.eval import EvalOptions, build_eval_tracker, evaluate_bag  # noqa: E402
from siam_tracker_ros.ros.bag.io import BagReader  # noqa: E402
from siam_tracker_ros.ros.bag.make import MakeOptions, write_sequence_bag  # noqa: E402
from siam_tracker_ros.ros.bag.record import record_bag  # noqa: E402
from siam_tracker_ros.ros.stamps import stamp_to_ns  # noqa: E402

pytestmark = pytest.mark.ros

FRAMES = 12
SPEC = SyntheticSpec(seed=5, num_frames=FRAMES, frame_size_wh=(160, 120), target_size_wh=(24, 20),
                     name="eval-vs-node")
OUTPUTS = ("detection", "detections", "confidence", "mask")


def _by_stamp(bag, namespace):
    """{output: {stamp: message}} of a bag written under ``namespace``/siam_tracker."""
    out = {}
    with BagReader(bag) as reader:
        for name in OUTPUTS:
            topic = f"{namespace}/siam_tracker/{name}"
            if name == "confidence":   # Float32 has no header: in receive order, one per frame
                out[name] = [m.msg.data for m in reader.messages([topic])]
            else:
                out[name] = {stamp_to_ns(m.msg.header.stamp): m.msg for m in reader.messages([topic])}
    return out


def _same(a, b):
    """Field-by-field equality of two (rosbags) messages."""
    if hasattr(a, "__dataclass_fields__"):
        return all(_same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def test_bag_eval_writes_the_messages_the_live_node_publishes(tmp_path):
    made = write_sequence_bag(generate_sequence(SPEC), tmp_path / "in", MakeOptions(rate_hz=10.0))
    with BagReader(made.path) as reader:
        frames = [deserialize_message(m.data, Image) for m in reader.messages(["/camera/image_raw"], raw=True)]
        (init,) = [deserialize_message(m.data, Detection2D) for m in reader.messages(["/init_box"], raw=True)]
    assert len(frames) == FRAMES
    stamps = [stamp_to_ns(f.header.stamp) for f in frames]
    h = NodeHarness(tmp_path, {"max_image_age_s": 0.0})       # the bag's stamps are old
    stop, ready, counts, outcome = threading.Event(), threading.Event(), {}, {}
    topics = [f"{h.namespace}/siam_tracker/{name}" for name in OUTPUTS]
    try:
        thread = threading.Thread(target=lambda: outcome.update(stats=record_bag(
            topics, tmp_path / "live", stop=stop, on_ready=ready.set,
            on_message=lambda t: counts.__setitem__(t, counts.get(t, 0) + 1))), daemon=True)
        thread.start()
        assert ready.wait(30) and wait_until(
            lambda: h.node._mask_pub.get_subscription_count() > 0, 20.0)
        assert h.publish_acked(frames[0], timeout_s=30)
        assert stamp_to_ns(init.header.stamp) == stamps[0]
        h.init_pub.publish(init)                                  # the bag's own init box
        assert h.wait_status(lambda m: m.target_id != "", timeout_s=30), "init never applied"
        for frame in frames[1:]:
            assert h.publish_acked(frame, timeout_s=30)
        assert wait_until(lambda: all(counts.get(t, 0) >= FRAMES for t in topics[1:]), 30.0), counts
    finally:
        stop.set()
        thread.join(30)
        h.close()
    assert outcome["stats"].written[topics[1]] == FRAMES
    assert h.rec.last("status").frames_dropped == 0

    _, tracker = build_eval_tracker("default", long_term=True, device="auto", num_threads=1)
    evaluate_bag(made.path, tracker, tmp_path / "eval",
                 EvalOptions(output_namespace=f"{h.namespace}/siam_tracker"))
    live, offline = _by_stamp(tmp_path / "live", h.namespace), _by_stamp(tmp_path / "eval", h.namespace)
    for name in ("detections", "mask"):
        assert sorted(live[name]) == sorted(offline[name]) == stamps, name
    assert not live["detections"][stamps[0]].detections            # published before the box
    assert len(offline["detections"][stamps[0]].detections) == 1    # bag eval starts on it
    later = stamps[1:]
    assert [s for s in later if s in live["detection"]] == [s for s in later if s in offline["detection"]]
    assert len([s for s in later if s in live["detection"]]) >= FRAMES // 2   # tracked most of it
    for name in ("detection", "detections", "mask"):
        for stamp in later:
            a, b = live[name].get(stamp), offline[name].get(stamp)
            assert (a is None) == (b is None) and (a is None or _same(a, b)), (name, stamps.index(stamp))
    assert live["confidence"][1:] == offline["confidence"][1:]
