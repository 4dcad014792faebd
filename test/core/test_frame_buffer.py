"""StampedFrameBuffer / LatestSlot: keyed lookup, eviction by age, backwards stamps, drops."""
import threading

import pytest

from siam_tracker_ros.core.frame_buffer import NS_PER_S, LatestSlot, StampedFrameBuffer
from siam_tracker_ros.core.runtime_stats import RateMeter, RollingValues

MS = 1_000_000


def _filled(n, period_ns=33 * MS, max_age_s=2.0):
    buf = StampedFrameBuffer(max_age_s=max_age_s)
    for i in range(n):
        buf.push(i * period_ns, i, f"frame{i}")
    return buf


def test_find_exact_and_within_tolerance():
    buf = _filled(10)
    assert buf.find(3 * 33 * MS).item == "frame3"
    assert buf.find(3 * 33 * MS + 1) is None
    assert buf.find(3 * 33 * MS + 5 * MS, tolerance_ns=10 * MS).item == "frame3"
    # closest of two neighbours wins
    assert buf.find(3 * 33 * MS + 20 * MS, tolerance_ns=20 * MS).item == "frame4"
    assert buf.newest().item == "frame9"
    assert [e.item for e in buf.after(7 * 33 * MS)] == ["frame8", "frame9"]


def test_evicts_frames_older_than_max_age_from_newest():
    buf = _filled(100, period_ns=100 * MS, max_age_s=1.0)   # 10 Hz, keeps 1 s
    oldest, newest = buf.span_s()
    assert newest == pytest.approx(9.9)
    assert oldest == pytest.approx(8.9)
    assert len(buf) == 11
    buf.set_max_age(0.25)
    assert len(buf) == 3


def test_max_frames_caps_the_buffer():
    buf = StampedFrameBuffer(max_age_s=100.0, max_frames=5)
    for i in range(20):
        buf.push(i, i, i)
    assert len(buf) == 5 and buf.newest().item == 19


def test_backwards_stamp_clears_and_reports():
    buf = _filled(10)
    result = buf.push(0, 10, "loop")
    assert result.went_backwards and result.cleared == 10
    assert len(buf) == 1 and buf.newest().item == "loop"
    assert not buf.push(NS_PER_S, 11, "next").went_backwards


def test_same_stamp_replaces_not_backwards():
    buf = _filled(3)
    result = buf.push(2 * 33 * MS, 3, "again")
    assert result.replaced and not result.went_backwards
    assert len(buf) == 3 and buf.newest().item == "again"


def test_rejects_bad_max_age():
    with pytest.raises(ValueError):
        StampedFrameBuffer(max_age_s=float("nan"))
    with pytest.raises(ValueError):
        StampedFrameBuffer(max_age_s=-1.0)


def test_latest_slot_never_returns_twice_and_counts_drops():
    slot = LatestSlot()
    assert slot.take() is None
    slot.put(1)
    slot.put(2)           # 1 dropped
    assert slot.take() == 2
    assert slot.take() is None
    assert slot.dropped == 1
    slot.count_drops(False)
    slot.put(3)
    slot.put(4)
    assert slot.dropped == 1
    assert slot.clear() == 4 and slot.take() is None


def test_latest_slot_take_waits_for_producer():
    slot = LatestSlot()
    timer = threading.Timer(0.05, slot.put, args=("late",))
    timer.start()
    assert slot.take(timeout_s=2.0) == "late"
    timer.join()


def test_rate_meter_and_rolling_values():
    meter = RateMeter(window_s=1.0)
    for i in range(31):
        meter.tick(10.0 + i / 30.0)
    assert meter.rate_hz(11.0) == pytest.approx(30.0, rel=0.05)
    assert meter.rate_hz(100.0) == 0.0
    values = RollingValues(size=4)
    assert values.summary().count == 0
    for v in (1, 2, 3, 4, 100):
        values.add(v)
    summary = values.summary()
    assert summary.count == 4 and summary.max == 100 and summary.mean == pytest.approx(27.25)
    assert values.last() == (True, 100.0)
