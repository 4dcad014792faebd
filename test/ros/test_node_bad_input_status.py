"""Bad inputs found by scripts/fuzz_node.py: each is answered / counted in ~/status at once.

- a stale frame (stamp older than max_image_age_s) publishes a status with the drop counted
  (before, the drop only showed with the next processed frame: never, under a stale stream);
- an init box over twice the frame or under 1 px is refused with one line (a 1e308-wide box
  made the crop overflow, a huge one allocate exabytes)."""
import time

import numpy as np
import pytest

from siam_node_harness import require_ros_interfaces

require_ros_interfaces()

from siam_node_harness import NodeHarness, init_request, raw_image, stamp_ns  # noqa: E402

pytestmark = pytest.mark.ros


@pytest.fixture
def harness(tmp_path):
    h = NodeHarness(tmp_path)
    yield h
    h.close()


def test_stale_frame_is_counted_in_status_at_once(harness):
    frame = np.zeros((48, 64, 3), np.uint8)
    stale = time.time_ns() - 10_000_000_000                 # 10 s old, max_image_age_s 1
    count = len(harness.rec.get("status"))
    harness.publish(raw_image(frame, stale))
    status = harness.wait_status(lambda m: stamp_ns(m.header.stamp) == stale, after=count)
    assert status is not None, "no status for the stale frame"
    assert status.frames_dropped >= 1 and "old" in status.last_error, status.last_error


def test_absurd_init_boxes_are_refused(harness):
    fresh = time.time_ns()
    harness.publish(raw_image(np.zeros((48, 64, 3), np.uint8), fresh))
    assert harness.wait_status(lambda m: stamp_ns(m.header.stamp) == fresh)
    for box, words in (((-1e300, 1, 1e308, 10), "times the 64x48 frame"),
                       ((1, 1, 129, 10), "times the 64x48 frame"),
                       ((1, 1, 0.5, 10), "smaller than 1 px")):
        answer = harness.call(harness.init_client, init_request(box, 0))
        assert not answer.success and words in answer.message, answer.message
    ok = harness.call(harness.init_client, init_request((10, 10, 20, 20), 0))
    assert ok.success, ok.message
