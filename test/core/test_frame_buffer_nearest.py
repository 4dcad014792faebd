"""StampedFrameBuffer.nearest: the closest buffered frame to a stamp, with the signed gap."""
from siam_tracker_ros.core.frame_buffer import StampedFrameBuffer

MS = 1_000_000


def _buffer(stamps_ms):
    buf = StampedFrameBuffer(max_age_s=30.0)
    for seq, stamp in enumerate(stamps_ms):
        buf.push(stamp * MS, seq, f"f{stamp}")
    return buf


def test_empty_buffer_has_no_nearest():
    assert StampedFrameBuffer().nearest(123) is None


def test_exact_stamp_is_its_own_frame_with_zero_gap():
    match = _buffer([100, 200, 300]).nearest(200 * MS)
    assert match.entry.item == "f200" and match.gap_ns == 0 and match.exact


def test_closest_neighbour_wins_and_gap_is_signed():
    buf = _buffer([100, 200, 300])
    later = buf.nearest(190 * MS)
    assert later.entry.item == "f200" and later.gap_ns == 10 * MS and later.distance_ns == 10 * MS
    earlier = buf.nearest(215 * MS)
    assert earlier.entry.item == "f200" and earlier.gap_ns == -15 * MS and not earlier.exact


def test_tie_takes_the_earlier_frame():
    assert _buffer([100, 200]).nearest(150 * MS).entry.item == "f100"


def test_outside_the_span_takes_the_end_frames():
    buf = _buffer([100, 200, 300])
    assert buf.nearest(0).entry.item == "f100"
    assert buf.nearest(10_000 * MS).entry.item == "f300"
    assert buf.nearest(10_000 * MS).gap_ns == (300 - 10_000) * MS


def test_find_is_nearest_within_tolerance():
    buf = _buffer([100, 200, 300])
    assert buf.find(240 * MS, tolerance_ns=40 * MS).item == "f200"
    assert buf.find(240 * MS, tolerance_ns=39 * MS) is None
    assert buf.find(300 * MS).item == "f300"
