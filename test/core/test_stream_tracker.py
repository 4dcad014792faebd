"""StreamTracker without ROS: newest-frame-wins, stamped init (exact and nearest frame),
catch-up rounds, drop counting, stop/disable, bad frames, a failing tracker, the bounded close.

Deterministic: the worker runs synchronously (``work()`` called by the test); the one threaded
test synchronises with events, never with sleeps."""
import threading
import time

import numpy as np
import pytest

from siam_tracker_ros.core.stream_tracker import StreamConfig, StreamTracker
from siam_tracker_ros.core.types import TrackResult, TrackState

MS = 1_000_000
BOX = (10.0, 10.0, 12.0, 10.0)


def decode(item):
    """Items are frame numbers; the frame's pixels carry the number (mod 256)."""
    if item < 0:
        from siam_tracker_ros.core.errors import InvalidInputError
        raise InvalidInputError(f"frame {item} is corrupt")
    return np.full((48, 64, 3), item % 256, np.uint8)


class ScriptedTracker:
    """Records which frames it saw; ``on_track(frame_number)`` runs inside track()."""

    def __init__(self, on_track=None, fail_on=()):
        self.calls, self.on_track, self.fail_on = [], on_track, set(fail_on)

    def initialize(self, frame, box_xywh):
        self.calls.append(("init", int(frame[0, 0, 0])))
        return TrackResult(tuple(box_xywh), 1.0, TrackState.TRACKING)

    def track(self, frame):
        number = int(frame[0, 0, 0])
        self.calls.append(("track", number))
        if self.on_track is not None:
            self.on_track(number)
        if number in self.fail_on:
            raise RuntimeError("scripted failure")
        return TrackResult(BOX, 0.9, TrackState.TRACKING)

    def reset(self):
        self.calls.append(("reset", None))


class Listener:
    def __init__(self):
        self.outputs, self.statuses, self.logs = [], [], []

    def on_output(self, out):
        self.outputs.append((out.frame.item, None if out.result is None else out.result.state,
                             None if out.target is None else out.target.target_id))

    def on_status(self, item, timed):
        self.statuses.append((item, timed is not None))

    def on_log(self, level, text, kind):
        self.logs.append((level, text, kind))


def make(tracker=None, **config):
    listener, wakes = Listener(), []
    ticks = iter(range(10**9))
    stream = StreamTracker(listener, decode, StreamConfig(**config),
                           precheck=lambda item: "too big" if item == 999 else "",
                           wake=lambda: wakes.append(1), clock=lambda: next(ticks) * 1e-3)
    stream.install(tracker or ScriptedTracker())
    return stream, listener, wakes


def feed(stream, numbers, base_ns=1_000 * MS, period_ns=33 * MS):
    """Receive frames ``numbers`` stamped base + n * period (no max age check: now_ns 0)."""
    for n in numbers:
        assert stream.receive(n, base_ns + n * period_ns, 0)
    return {n: base_ns + n * period_ns for n in numbers}


def tracked(tracker):
    return [(kind, n) for kind, n in tracker.calls if kind != "reset"]


def test_newest_frame_wins_and_drops_count_only_while_tracking():
    tracker = ScriptedTracker()
    stream, listener, wakes = make(tracker)
    feed(stream, [1, 2, 3])
    assert len(wakes) == 3
    stream.work()
    assert [o[0] for o in listener.outputs] == [3]          # idle: newest frame only, no result
    assert listener.outputs[0][1] is None
    assert stream.status().frames_dropped == 0               # idle overwrites are not drops
    reply = stream.request_init(0, BOX)                      # zero stamp: the newest frame
    assert reply.ok and reply.target_id == "1"
    stream.work()
    feed(stream, [4, 5, 6])
    stream.work()
    assert tracked(tracker) == [("init", 3), ("track", 6)]
    status = stream.status()
    assert status.frames_dropped == 2 and status.state == TrackState.TRACKING
    assert status.frames_processed == 2 and status.target_id == "1"   # 3 went out idle


def test_stamped_init_starts_on_the_buffered_frame_and_catches_up():
    tracker = ScriptedTracker()
    stream, listener, _ = make(tracker)
    stamps = feed(stream, [1, 2, 3, 4, 5])                   # never worked: slot holds 5 only
    reply = stream.request_init(stamps[2], BOX, "car-7", "car")
    assert reply.ok and reply.target_id == "car-7"
    stream.work()
    assert tracked(tracker) == [("init", 2), ("track", 3), ("track", 4), ("track", 5)]
    assert [o[0] for o in listener.outputs] == [2, 3, 4, 5]  # each published once, in order
    assert all(o[2] == "car-7" for o in listener.outputs)
    assert stream.status().frames_dropped == 0


def test_frames_published_while_idle_are_tracked_silently_in_catch_up():
    tracker = ScriptedTracker()
    stream, listener, _ = make(tracker)
    stamps = {}
    for n in (1, 2, 3):
        stamps.update(feed(stream, [n]))
        stream.work()                                         # published without a target
    stream.request_init(stamps[1], BOX)
    stream.work()
    assert tracked(tracker) == [("init", 1), ("track", 2), ("track", 3)]
    assert [o[0] for o in listener.outputs] == [1, 2, 3]     # not again
    assert (1, False) in listener.statuses                    # the init frame's status


def test_catch_up_rounds_halve_and_count_skipped_frames():
    stream = None
    arrived = []

    def new_frames_during_first_step(number):
        if number == 1 and not arrived:
            arrived.extend(range(5, 13))
            feed(stream, arrived)                             # 8 frames arrive meanwhile

    tracker = ScriptedTracker(on_track=new_frames_during_first_step)
    stream, listener, _ = make(tracker)
    stamps = feed(stream, [0, 1, 2, 3, 4])
    stream.request_init(stamps[0], BOX)
    stream.work()
    # round 1: frames 1-4 (budget 4); round 2: 8 new frames, budget 2 -> evenly spaced, the
    # newest included; the 6 others are dropped.
    assert tracked(tracker) == [("init", 0), ("track", 1), ("track", 2), ("track", 3),
                                ("track", 4), ("track", 8), ("track", 12)]
    assert stream.status().frames_dropped == 6
    assert [o[0] for o in listener.outputs] == [0, 1, 2, 3, 4, 8, 12]


def test_nearest_frame_within_tolerance_else_refused():
    stream, _, _ = make(init_stamp_tolerance_s=0.02)
    stamps = feed(stream, [1, 2])
    near = stream.request_init(stamps[2] + 10 * MS, BOX)     # 10 ms after frame 2
    assert near.ok and "nearest buffered frame" in near.message and "before it" in near.message
    assert "nearest buffered frame" in stream.status().last_error
    far = stream.request_init(stamps[2] + 30 * MS, BOX)
    assert not far.ok and far.message.startswith("no buffered frame with stamp")
    assert "init_stamp_tolerance_s 0.02" in far.message


def test_init_refusals_and_stop():
    tracker = ScriptedTracker()
    stream, listener, _ = make(tracker, source_name="cam/image")
    assert stream.request_init(0, BOX).message == "no image received yet on cam/image"
    feed(stream, [1])
    bad = stream.request_init(0, (60.0, 40.0, 500.0, 500.0))
    assert not bad.ok and bad.message
    assert stream.request_init(0, BOX).ok
    stream.work()
    stop = stream.request_init(0, (5.0, 5.0, 0.0, 0.0))       # zero size = stop
    assert stop.ok and stop.message == "stop: target dropped"
    stream.work()
    assert stream.status().state == TrackState.IDLE and stream.status().target_id == ""
    assert ("info", "target dropped", "") in listener.logs
    stream.disable()
    assert stream.tracker is None and not stream.status().enabled
    refused = stream.request_init(0, BOX)
    assert not refused.ok and "disabled" in refused.message
    assert stream.enable(lambda: ScriptedTracker()) is True        # loads once
    assert stream.enable(lambda: ScriptedTracker()) is False       # already enabled


def test_stale_and_bad_frames_are_dropped_and_reported():
    stream, listener, _ = make(max_image_age_s=0.5)
    assert not stream.receive(7, 1_000 * MS, 2_000 * MS)    # 1 s old
    assert not stream.receive(999, 2_000 * MS, 2_000 * MS)  # precheck refuses
    assert stream.receive(8, 2_000 * MS, 2_100 * MS)
    counters = stream.counters()
    assert (counters.dropped_stale, counters.dropped_bad, counters.frames_received) == (1, 1, 3)
    assert [s for s in listener.statuses] == [(7, False), (999, False)]
    assert [kind for _, _, kind in listener.logs] == ["stale", "bad image"]
    assert counters.last_error.startswith("bad image skipped: too big")
    assert stream.status().frames_dropped == 2


def test_undecodable_frame_and_failing_tracker_leave_the_stream_running():
    tracker = ScriptedTracker(fail_on={3})
    stream, listener, _ = make(tracker)
    feed(stream, [1])
    stream.request_init(0, BOX)
    stream.work()
    for n in (-2, 3, 4):                                    # corrupt, tracker fails, fine
        stream.receive(n, (1_000 + abs(n) * 33 + 1) * MS, 0)
        stream.work()
    assert [kind for _, _, kind in listener.logs] == ["bad frame", "tracker"]
    assert stream.counters().dropped_bad == 2
    assert [o[0] for o in listener.outputs] == [1, 4]
    assert stream.status().state == TrackState.TRACKING


def test_stamps_going_backwards_clear_the_buffer():
    stream, listener, _ = make()
    feed(stream, [5, 6])
    stamps = feed(stream, [1])                                # a bag loop
    assert listener.logs[-1][2] == "backwards" and "cleared 2 buffered" in listener.logs[-1][1]
    assert stream.request_init(stamps[1], BOX).ok


def test_close_waits_for_the_frame_in_progress_only():
    entered, release = threading.Event(), threading.Event()

    def block(number):
        if number == 2:
            entered.set()
            release.wait(30)

    tracker = ScriptedTracker(on_track=block)
    stream, listener, _ = make(tracker)
    feed(stream, [1])
    stream.request_init(0, BOX)
    stream.work()
    feed(stream, [2])
    worker = threading.Thread(target=stream.work)
    worker.start()
    assert entered.wait(30)
    assert stream.close(timeout_s=0.05) is False             # frame 2 still in progress
    feed(stream, [3])
    release.set()
    assert stream.close(timeout_s=30) is True
    worker.join(30)
    assert tracked(tracker) == [("init", 1), ("track", 2)]   # frame 3 never started


@pytest.mark.parametrize("bad", [{"frame_buffer_s": -1.0}])
def test_invalid_buffer_span_is_refused(bad):
    with pytest.raises(ValueError):
        make(**bad)


def test_a_topic_init_waits_for_its_frame_when_it_overtook_it():
    """Topics are not ordered against each other: an init box may arrive before its frame."""
    tracker = ScriptedTracker()
    stream, listener, _ = make(tracker)
    stamps = feed(stream, [1])
    stream.work()
    answers = []
    frame3 = 1_000 * MS + 3 * 33 * MS
    waiting = stream.request_init(frame3, BOX, answer_later=answers.append)
    assert waiting.ok and waiting.message.startswith(f"waiting for frame {frame3 / 1e9:.3f}")
    feed(stream, [2])
    assert answers == []
    feed(stream, [3])
    assert len(answers) == 1 and answers[0].ok, answers
    assert answers[0].message.endswith(f"from frame {frame3 / 1e9:.3f}")
    stream.work()
    assert ("init", 3) in tracker.calls and ("init", 1) not in tracker.calls
    assert stamps[1] < frame3


def test_a_waiting_init_takes_the_nearest_frame_within_the_tolerance():
    stream, _, _ = make(init_stamp_tolerance_s=0.02)
    answers = []
    asked = 1_000 * MS + 2 * 33 * MS + 25 * MS          # frame 2 never comes; frame 3 is 8 ms after
    assert stream.request_init(asked, BOX, answer_later=answers.append).ok   # buffer empty: waits
    feed(stream, [3])
    assert answers[0].ok and "nearest buffered frame" in answers[0].message, answers


def test_a_waiting_init_is_refused_after_frame_buffer_s_and_replaced_by_a_stop():
    stream, listener, _ = make(frame_buffer_s=0.01)      # the test clock ticks 1 ms per call
    answers = []
    assert stream.request_init(1_000 * MS + 1_000 * 33 * MS, BOX, answer_later=answers.append).ok
    n = 0
    while not answers and n < 50:
        n += 1
        feed(stream, [n])
    assert answers and not answers[0].ok and "arrived within frame_buffer_s 0.01" in answers[0].message
    assert stream.request_init(1_000 * MS + 60 * 33 * MS, BOX, answer_later=answers.append).ok
    stream.request_stop()
    feed(stream, [60])
    assert len(answers) == 1
    # a box that no frame could take is refused at once, not after the wait
    nan = stream.request_init(1_000 * MS + 80 * 33 * MS, (float("nan"), 1.0, 5.0, 5.0),
                              answer_later=answers.append)
    assert not nan.ok and "NaN" in nan.message and len(answers) == 1
    # without answer_later (the ~/init service) a frame not received yet is refused at once
    refused = stream.request_init(1_000 * MS + 70 * 33 * MS, BOX)
    assert not refused.ok and refused.message.startswith("no buffered frame with stamp")


def test_a_waiting_init_is_refused_when_no_frame_comes_at_all():
    """A stopped camera: no frame arrives, so receive() never runs; the periodic check refuses
    the box once frame_buffer_s has passed (and not before)."""
    stream, _, _ = make(frame_buffer_s=0.01)      # the test clock ticks 1 ms per call
    answers = []
    asked = 1_000 * MS + 5 * 33 * MS
    assert stream.request_init(asked, BOX, answer_later=answers.append).ok   # buffer empty: waits
    assert stream.expire_waiting_init() is False and answers == []            # 1 ms later
    checks = 1
    while not answers and checks < 50:
        checks += 1
        stream.expire_waiting_init()
    assert 5 <= checks < 50
    assert len(answers) == 1 and not answers[0].ok
    assert answers[0].message == (f"no frame with stamp {asked / 1e9:.3f} arrived within "
                                  f"frame_buffer_s 0.01 (no frame received since)")
    assert stream.expire_waiting_init() is False and len(answers) == 1        # answered once
    # with older frames buffered the refusal names the newest one
    feed(stream, [1])
    assert stream.request_init(asked, BOX, answer_later=answers.append).ok
    while len(answers) < 2 and checks < 100:
        checks += 1
        stream.expire_waiting_init()
    assert answers[1].message.endswith(f"(newest {(1_000 * MS + 33 * MS) / 1e9:.3f})")


def test_stream_worker_runs_work_on_its_thread_after_each_wake_and_stops():
    from siam_tracker_ros.core.stream_tracker import StreamWorker

    worker = StreamWorker(name="test-worker")
    assert worker.stop(1.0)                         # never started: nothing to join
    worker = StreamWorker(name="test-worker")
    runs, ran = [], threading.Event()

    def work():
        runs.append(threading.current_thread().name)
        ran.set()

    worker.start(work)
    with pytest.raises(RuntimeError):
        worker.start(work)
    assert runs == []                               # nothing runs before a wake-up
    worker.wake()
    assert ran.wait(10.0) and runs == ["test-worker"]
    assert worker.stop(10.0)
    worker.wake()                                   # after stop: ignored
    assert runs == ["test-worker"]


def test_stream_worker_feeds_the_stream_tracker():
    from siam_tracker_ros.core.stream_tracker import StreamWorker

    tracker = ScriptedTracker()
    worker = StreamWorker()
    listener = Listener()
    done = threading.Event()
    stream = StreamTracker(listener, decode, StreamConfig(), wake=worker.wake)
    stream.install(tracker)
    worker.start(lambda: (stream.work(), done.set()))
    feed(stream, [1])
    assert stream.request_init(0, BOX).ok
    deadline = time.monotonic() + 10.0
    while ("init", 1) not in tracker.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ("init", 1) in tracker.calls
    assert stream.close(10.0) and worker.stop(10.0)
