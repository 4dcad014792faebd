"""init_stamp_tolerance_s: a stamped init box whose frame is not buffered starts on the nearest
buffered frame within the tolerance (the ~/init answer and the status say which), and is refused
beyond it; the tolerance can be changed at run time and is validated.

Frames are published one at a time and each is acknowledged by the node's status before the
next, so the buffer content is known exactly (no timing assumptions)."""
import time

import pytest

from siam_node_harness import require_ros_interfaces

require_ros_interfaces()

from siam_node_harness import NodeHarness, detection, init_request, raw_image, stamp_ns  # noqa: E402
from siam_tracker.msg import TrackerStatus  # noqa: E402

from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence  # noqa: E402
from siam_tracker_ros.ros.params import SPECS  # noqa: E402

pytestmark = pytest.mark.ros

MS = 1_000_000
PERIOD_NS = 100 * MS
TRACKING_STATES = (TrackerStatus.STATE_TRACKING, TrackerStatus.STATE_UNCERTAIN)


@pytest.fixture(scope="module")
def sequence():
    return generate_sequence(SyntheticSpec(seed=5, num_frames=6, frame_size_wh=(160, 120),
                                           target_size_wh=(32, 28)))


@pytest.fixture
def harness(tmp_path):
    h = NodeHarness(tmp_path, {"max_image_age_s": 0.0, "frame_buffer_s": 30.0})
    yield h
    h.close()


def _publish_acknowledged(h, sequence):
    """Publish the sequence's frames PERIOD_NS apart; each waits for its status (by stamp)."""
    base = time.time_ns()
    stamps = []
    for index, frame in enumerate(sequence.frames):
        stamp = base + index * PERIOD_NS
        h.publish(raw_image(frame, stamp))
        assert h.wait_status(lambda m, s=stamp: stamp_ns(m.header.stamp) == s, 20.0), \
            f"frame {index} was not acknowledged"
        stamps.append(stamp)
    return stamps


def test_tolerance_parameter_declared_validated_and_runtime_changeable(harness):
    spec = SPECS["init_stamp_tolerance_s"]
    assert spec.default == pytest.approx(0.2) and not spec.read_only
    assert harness.node.get_parameter("init_stamp_tolerance_s").value == pytest.approx(0.2)
    ok = harness.set_parameters(init_stamp_tolerance_s=0.05)
    assert ok[0].successful and harness.node.settings.init_stamp_tolerance_s == pytest.approx(0.05)
    for bad in (-0.1, 11.0, float("nan")):
        result = harness.set_parameters(init_stamp_tolerance_s=bad)
        assert not result[0].successful, bad
    assert harness.node.settings.init_stamp_tolerance_s == pytest.approx(0.05)


def test_missing_frame_starts_on_the_nearest_and_says_so(harness, sequence):
    stamps = _publish_acknowledged(harness, sequence)
    # 30 ms after frame 2 (70 ms before frame 3): frame 2 is the nearest.
    asked = stamps[2] + 30 * MS
    count = len(harness.rec.get("status"))
    answer = harness.call(harness.init_client, init_request(sequence.boxes_xywh[2], asked))
    assert answer.success, answer.message
    assert f"from frame {stamps[2] / 1e9:.3f}" in answer.message
    assert "nearest" in answer.message and "30 ms before" in answer.message
    status = harness.wait_status(lambda m: m.target_id == answer.target_id and
                                 stamp_ns(m.header.stamp) == stamps[2], after=count)
    assert status is not None, [m.last_error for m in harness.rec.get("status")[count:]]
    assert status.state in TRACKING_STATES
    assert "nearest" in status.last_error and f"{stamps[2] / 1e9:.3f}" in status.last_error

    # 40 ms before frame 4: frame 4 is nearer than frame 3 (60 ms).
    asked = stamps[4] - 40 * MS
    again = harness.call(harness.init_client, init_request(sequence.boxes_xywh[4], asked))
    assert again.success and f"from frame {stamps[4] / 1e9:.3f}" in again.message, again.message
    assert "40 ms after" in again.message


def test_exact_stamp_needs_no_note(harness, sequence):
    stamps = _publish_acknowledged(harness, sequence)
    answer = harness.call(harness.init_client, init_request(sequence.boxes_xywh[1], stamps[1]))
    assert answer.success and "nearest" not in answer.message, answer.message
    assert answer.message.endswith(f"from frame {stamps[1] / 1e9:.3f}")


def test_beyond_the_tolerance_is_refused_and_the_tolerance_applies_at_once(harness, sequence):
    stamps = _publish_acknowledged(harness, sequence)
    past_newest = stamps[-1] + 250 * MS            # 250 ms after the newest: beyond 0.2 s
    refused = harness.call(harness.init_client,
                           init_request(sequence.boxes_xywh[-1], past_newest))
    assert not refused.success
    assert "no buffered frame with stamp" in refused.message
    assert "init_stamp_tolerance_s 0.2" in refused.message

    asked = stamps[2] + 30 * MS
    assert harness.set_parameters(init_stamp_tolerance_s=0.02)[0].successful
    narrow = harness.call(harness.init_client, init_request(sequence.boxes_xywh[2], asked))
    assert not narrow.success and "no buffered frame" in narrow.message, narrow.message

    assert harness.set_parameters(init_stamp_tolerance_s=0.03)[0].successful
    wide = harness.call(harness.init_client, init_request(sequence.boxes_xywh[2], asked))
    assert wide.success and f"from frame {stamps[2] / 1e9:.3f}" in wide.message, wide.message

    assert harness.set_parameters(init_stamp_tolerance_s=0.0)[0].successful
    exact_only = harness.call(harness.init_client, init_request(sequence.boxes_xywh[2], asked))
    assert not exact_only.success
    exact = harness.call(harness.init_client, init_request(sequence.boxes_xywh[2], stamps[2]))
    assert exact.success, exact.message


def test_a_topic_init_waiting_for_its_frame_is_refused_when_the_camera_stops(tmp_path, sequence):
    """A box on ~/init_box stamped after every received frame waits for its frame; when no frame
    comes at all (camera stopped) it is refused after frame_buffer_s, on the status topic."""
    h = NodeHarness(tmp_path, {"max_image_age_s": 0.0, "frame_buffer_s": 1.0})
    try:
        stamps = _publish_acknowledged(h, sequence)
        ahead = stamps[-1] + 500 * MS                  # a frame that is never published
        count = len(h.rec.get("status"))
        start = time.monotonic()
        h.init_pub.publish(detection(sequence.boxes_xywh[-1], ahead))
        expected = f"init_box refused: no frame with stamp {ahead / 1e9:.3f} arrived within frame_buffer_s 1"
        refused = h.wait_status(lambda m: m.last_error.startswith(expected), 30.0, after=count)
        assert refused is not None, [m.last_error for m in h.rec.get("status")[count:]]
        assert time.monotonic() - start >= 1.0     # not before frame_buffer_s
        assert refused.state == TrackerStatus.STATE_IDLE
        assert f"newest {stamps[-1] / 1e9:.3f}" in refused.last_error
    finally:
        h.close()
