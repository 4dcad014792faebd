"""A tracker fed by a live stream: the worker logic of a streaming node, without ROS.

Frames arrive with :meth:`StreamTracker.receive` (any thread); init / stop requests with
:meth:`~StreamTracker.request_init` / :meth:`~StreamTracker.request_stop` (any thread, never
waiting for inference). The consumer runs :meth:`~StreamTracker.work` in ONE worker thread when
the ``wake`` callback fires; it handles the pending request first, then the newest unprocessed
frame — never a backlog, never one frame twice (overwritten frames count as dropped while a
target is followed).

- Stamped init: a box drawn on an earlier frame starts on that frame (kept in a
  :class:`StampedFrameBuffer`), or on the nearest buffered one within
  ``init_stamp_tolerance_s``; then the frames received since are tracked (catch-up) in rounds
  of at most half the previous round, evenly spaced, before live tracking resumes. A box from
  a topic that overtook its frame waits for it (``request_init(answer_later=...)``).
- Frames older than ``max_image_age_s`` (by stamp, against the caller's clock) and frames the
  ``precheck`` refuses are dropped and counted.
- Outputs and status changes go to a :class:`StreamListener` (a node turns them into messages).

Items are opaque (the node passes image messages): ``decode(item)`` gives the (H, W, 3) uint8 BGR
frame and raises :class:`InvalidInputError` when unusable; ``precheck(item)`` says from the item's
fields alone why it cannot be a frame ("" = fine).

Concurrency lives here only: ``_lock`` guards the bookkeeping (never held for inference),
``_model_lock`` the tracker (one frame at a time), ``_worker_busy`` is held while the worker runs
(:meth:`close` waits on it), ``_enable_lock`` serialises enable / disable.
"""
from __future__ import annotations

import itertools
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Generic, List, Optional, Protocol, Sequence, Tuple, TypeVar

import numpy as np

from .errors import InvalidInputError
from .frame_buffer import LatestSlot, Stamped, StampedFrameBuffer
from .runtime_stats import RateMeter, RollingValues, Summary
from .stream_session import StreamSession, Target, evenly_spaced
from .tracker import Tracker
from .types import TrackResult, TrackState, validate_box_values, validate_init_box

T = TypeVar("T")

STAMP_MATCH_TOLERANCE_NS = 500_000   # an init stamp matches a frame within 0.5 ms


@dataclass(frozen=True)
class StreamConfig:
    """Run-time settings (the node's parameters of the same names). ``source_name`` names the
    input in messages ("no image received yet on <source_name>")."""

    frame_buffer_s: float = 2.0
    init_stamp_tolerance_s: float = 0.2
    max_image_age_s: float = 1.0
    target_label: str = "target"
    source_name: str = "image"


@dataclass(frozen=True)
class ReceivedFrame(Generic[T]):
    """An item as received: receive time (monotonic s) and its stamp in ns (0 = unstamped)."""

    item: T
    received_s: float
    stamp_ns: int


@dataclass(frozen=True)
class FrameOutput(Generic[T]):
    """One processed frame to publish: ``result`` is None while no target is followed."""

    frame: ReceivedFrame[T]
    image: np.ndarray
    result: Optional[TrackResult]
    target: Optional[Target]


@dataclass(frozen=True)
class InitReply:
    """Answer to an init request: accepted?, the target id, a one-line message."""

    ok: bool
    target_id: str
    message: str


@dataclass(frozen=True)
class StreamStatus:
    """The per-frame status figures (``~/status``)."""

    state: TrackState
    confidence: float
    target_id: str
    frames_since_seen: int
    frames_processed: int
    frames_dropped: int
    enabled: bool
    last_error: str


@dataclass(frozen=True)
class StreamCounters:
    """What diagnostics report: counts, rates (Hz), latency / stamp age (ms) summaries."""

    frames_received: int
    frames_processed: int
    dropped_stale: int
    dropped_bad: int
    dropped_busy: int
    seconds_since_last_image: float
    last_error: str
    input_rate_hz: float
    processed_rate_hz: float
    latency_ms: Summary
    stamp_age_ms: Summary


class StreamListener(Protocol[T]):
    """Where a StreamTracker's outputs go (called from the receiving or the worker thread)."""

    def on_output(self, out: FrameOutput[T]) -> None:
        """Publish the outputs of one processed frame (the status follows in on_status)."""

    def on_status(self, item: Optional[T], timed: Optional[ReceivedFrame[T]]) -> None:
        """Publish the status under ``item``'s header (None: an empty one); ``timed``: the
        processed frame whose latency it reports (None: latency 0)."""

    def on_log(self, level: str, text: str, kind: str) -> None:
        """Log ``text`` at ``level`` (info/warning/error); ``kind`` (e.g. "stale") names the
        kind of message for throttling ("" = never throttled)."""


@dataclass(frozen=True)
class _Request(Generic[T]):
    """A validated init (or stop when ``entry`` is None) for the worker."""

    entry: Optional[Stamped[ReceivedFrame[T]]]
    box_xywh: Tuple[float, float, float, float]
    target_id: str
    label: str


_STOP: _Request = _Request(None, (0.0, 0.0, 0.0, 0.0), "", "")


@dataclass(frozen=True)
class _WaitingInit:
    """A stamped init box whose frame has not been received yet (see ``request_init``)."""

    stamp_ns: int
    box_xywh: Tuple[float, ...]
    requested_id: str
    label: str
    expires_s: float
    answer: Callable[[InitReply], None]


class StreamTracker(Generic[T]):
    """One target followed through a live stream (see the module docstring)."""

    def __init__(self, listener: StreamListener[T], decode: Callable[[T], np.ndarray],
                 config: StreamConfig = StreamConfig(),
                 precheck: Callable[[T], str] = lambda item: "",
                 wake: Callable[[], None] = lambda: None,
                 alive: Callable[[], bool] = lambda: True,
                 clock: Callable[[], float] = time.monotonic,
                 wall_ns: Callable[[], int] = time.time_ns) -> None:
        self._listener, self._decode, self._precheck = listener, decode, precheck
        self._wake, self._alive, self._clock, self._wall_ns = wake, alive, clock, wall_ns
        self.config = config
        self._lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._worker_busy = threading.Lock()
        self._enable_lock = threading.Lock()
        self._closing = False
        self._enabled = True
        self._session: Optional[StreamSession] = None
        self._buffer: StampedFrameBuffer[ReceivedFrame[T]] = StampedFrameBuffer(config.frame_buffer_s)
        self._slot: LatestSlot[Stamped[ReceivedFrame[T]]] = LatestSlot()
        self._slot.count_drops(False)
        self._seq = itertools.count()
        self._target_ids = itertools.count(1)
        self._pending: List[_Request[T]] = []
        self._waiting: Optional[_WaitingInit] = None
        self._last_item: Optional[T] = None
        self._last_error = ""
        self._received = self._processed = self._dropped_stale = self._dropped_bad = 0
        self._last_image_s = -math.inf
        self._rx_rate, self._proc_rate = RateMeter(2.0), RateMeter(2.0)
        self._latency_ms, self._stamp_age_ms = RollingValues(300), RollingValues(300)

    # ------------------------------------------------------------------ model, settings
    def install(self, tracker: Tracker) -> None:
        """Follow targets with ``tracker`` from now on (waits for the frame in progress)."""
        with self._model_lock:
            self._session = StreamSession(tracker)

    @property
    def tracker(self) -> Optional[Tracker]:
        session = self._session
        return None if session is None else session.tracker

    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def last_item(self) -> Optional[T]:
        """Item of the last processed frame (its header stamps status messages between frames)."""
        return self._last_item

    def configure(self, config: StreamConfig) -> None:
        """New run-time settings (the buffer span applies from the next frame)."""
        if config.frame_buffer_s != self.config.frame_buffer_s:
            self._buffer.set_max_age(config.frame_buffer_s)
        self.config = config

    def disable(self) -> None:
        """Drop the target and the tracker (waits for the frame in progress only)."""
        with self._enable_lock:
            with self._lock:
                self._pending = []
                self._waiting = None
            with self._model_lock:
                if self._session is not None:
                    self._session.stop()
                self._session = None
                self._enabled = False
            self._slot.clear()
            self._slot.count_drops(False)

    def enable(self, load: Callable[[], Tracker]) -> bool:
        """Install ``load()`` and accept inits again; False (nothing loaded) when enabled
        already. Exceptions of ``load`` propagate (still disabled)."""
        with self._enable_lock:
            if self._enabled:
                return False
            self.install(load())
            self._enabled = True
            return True

    def set_error(self, text: str) -> None:
        with self._lock:
            self._last_error = text

    # ------------------------------------------------------------------ input
    def receive(self, item: T, stamp_ns: int, now_ns: int) -> bool:
        """A new frame (stamp and ``now_ns`` on one clock; 0 = unknown). Stale or unusable
        frames are counted, reported and dropped (False); others become the newest frame."""
        received_s = self._clock()
        with self._lock:
            self._received += 1
            self._last_image_s = received_s
        self._rx_rate.tick(received_s)
        if stamp_ns and now_ns:
            age_s = (now_ns - stamp_ns) / 1e9
            self._stamp_age_ms.add(age_s * 1e3)
            max_age = self.config.max_image_age_s
            if max_age > 0 and age_s > max_age:
                text = (f"image stamp is {age_s:.2f} s old (max_image_age_s {max_age:g}); "
                        f"dropped (replaying a bag? use use_sim_time, or max_image_age_s 0)")
                with self._lock:
                    self._dropped_stale += 1
                self._listener.on_log("warning", text, "stale")
                self.set_error(text)
                self._listener.on_status(item, None)     # the drop shows in the status at once
                return False
        problem = self._precheck(item)
        if problem:
            text = f"bad image skipped: {problem}"
            with self._lock:
                self._dropped_bad += 1
                self._last_error = text
            self._listener.on_log("warning", text, "bad image")
            self._listener.on_status(item, None)
            return False
        key_ns = stamp_ns if stamp_ns else self._wall_ns()
        frame = ReceivedFrame(item, received_s, stamp_ns)
        entry = Stamped(key_ns, next(self._seq), frame)
        pushed = self._buffer.push(key_ns, entry.seq, frame)
        if pushed.went_backwards:
            text = (f"image stamps went backwards (bag loop or clock reset): cleared "
                    f"{pushed.cleared} buffered frames; tracking continues")
            self._listener.on_log("warning", text, "backwards")
            self.set_error(text)
        self._resolve_waiting_init(key_ns, received_s)
        self._slot.put(entry)
        self._wake()
        return True

    def _resolve_waiting_init(self, key_ns: int, received_s: float) -> None:
        """A frame at or after a waiting init's stamp starts it (exact or nearest within the
        tolerance, as any stamped init); after ``frame_buffer_s`` without one it is refused."""
        with self._lock:
            waiting = self._waiting
            if waiting is None:
                return
            arrived = key_ns >= waiting.stamp_ns - STAMP_MATCH_TOLERANCE_NS
            if not arrived and received_s <= waiting.expires_s:
                return
            self._waiting = None
        if arrived:
            reply = self.request_init(waiting.stamp_ns, waiting.box_xywh, waiting.requested_id,
                                      waiting.label)
        else:
            reply = self._expired_reply(waiting, f"newest {key_ns / 1e9:.3f}")
        waiting.answer(reply)

    def expire_waiting_init(self) -> bool:
        """Refuse a waiting init once ``frame_buffer_s`` has passed, also when no frame arrives
        at all (a stopped camera: ``receive`` is never called). Call it periodically (the node
        does, every 0.25 s); True when a box was refused."""
        with self._lock:
            waiting = self._waiting
            if waiting is None or self._clock() <= waiting.expires_s:
                return False
            self._waiting = None
        newest = self._buffer.newest()
        waiting.answer(self._expired_reply(waiting, "no frame received since" if newest is None
                                           else f"newest {newest.stamp_ns / 1e9:.3f}"))
        return True

    def _expired_reply(self, waiting: _WaitingInit, newest: str) -> InitReply:
        return InitReply(False, "", (
            f"no frame with stamp {waiting.stamp_ns / 1e9:.3f} arrived within frame_buffer_s "
            f"{self.config.frame_buffer_s:g} ({newest})"))

    # ------------------------------------------------------------------ requests
    def request_stop(self) -> None:
        """Drop the target (applied by the worker, after the frame in progress); a waiting init
        is dropped at once."""
        with self._lock:
            self._waiting = None
        self._queue(_STOP)

    def request_init(self, stamp_ns: int, box_xywh: Sequence[float], requested_id: str = "",
                     label: str = "",
                     answer_later: Optional[Callable[[InitReply], None]] = None) -> InitReply:
        """Validate an init box drawn on the frame stamped ``stamp_ns`` (0 = the newest frame;
        a zero-size box = stop) and queue it. Never waits for inference.

        ``answer_later``: a stamped box newer than every buffered frame (its frame may still be
        on its way: topics are not ordered against each other) waits for the first frame at or
        after its stamp, up to ``frame_buffer_s``, then starts like any stamped box (that frame,
        or the nearest buffered one within the tolerance); the reply says it waits, and
        ``answer_later`` gets the final answer. A newer request or a stop replaces a waiting one.
        Without it (the ``~/init`` service answers at once) such a box takes the nearest frame
        within the tolerance or is refused."""
        with self._lock:
            self._waiting = None
        values = [float(v) for v in box_xywh]
        if values[2] == 0.0 and values[3] == 0.0:
            self.request_stop()
            return InitReply(True, "", "stop: target dropped")
        if not self._enabled:
            return InitReply(False, "", "tracker disabled (call ~/enable true first)")
        note = ""
        if stamp_ns == 0:
            entry = self._buffer.newest()
            if entry is None:
                return InitReply(False, "", "no image received yet on " + self.config.source_name)
        else:
            if answer_later is not None and self._not_received_yet(stamp_ns):
                try:
                    validate_box_values(values)      # the frame-size checks wait for the frame
                except InvalidInputError as exc:
                    return InitReply(False, "", str(exc))
                with self._lock:
                    self._waiting = _WaitingInit(stamp_ns, tuple(values), requested_id, label,
                                                 self._clock() + self.config.frame_buffer_s,
                                                 answer_later)
                return InitReply(True, "", f"waiting for frame {stamp_ns / 1e9:.3f} (not received "
                                 f"yet; up to frame_buffer_s {self.config.frame_buffer_s:g})")
            entry, note, refusal = self._init_frame(stamp_ns)
            if entry is None:
                return InitReply(False, "", refusal)
        try:
            box = validate_init_box(values, self._decode(entry.item.item).shape)
        except InvalidInputError as exc:
            return InitReply(False, "", str(exc))
        target_id = requested_id if requested_id else str(next(self._target_ids))
        if note:
            self.set_error(note)     # the status of the init frame says which frame was used
        self._queue(_Request(entry, box, target_id, label or self.config.target_label))
        return InitReply(True, target_id, f"tracking target {target_id} from frame "
                         f"{entry.stamp_ns / 1e9:.3f}" + (f" ({note})" if note else ""))

    def _not_received_yet(self, stamp_ns: int) -> bool:
        newest = self._buffer.newest()
        return newest is None or stamp_ns > newest.stamp_ns + STAMP_MATCH_TOLERANCE_NS

    def _init_frame(self, stamp_ns: int) -> Tuple[Optional[Stamped[ReceivedFrame[T]]], str, str]:
        """(frame, note, refusal) for an init box stamped ``stamp_ns``: the frame with that stamp,
        else the nearest buffered one within init_stamp_tolerance_s (``note`` says which), else
        None and why."""
        tolerance_s = self.config.init_stamp_tolerance_s
        match = self._buffer.nearest(stamp_ns)
        if match is not None and match.distance_ns <= STAMP_MATCH_TOLERANCE_NS:
            return match.entry, "", ""
        if match is not None and match.distance_ns <= tolerance_s * 1e9:
            when = "after" if match.gap_ns > 0 else "before"
            note = (f"no frame with stamp {stamp_ns / 1e9:.3f}: started on the nearest buffered "
                    f"frame {match.entry.stamp_ns / 1e9:.3f}, {match.distance_ns / 1e6:.0f} ms "
                    f"{when} it (init_stamp_tolerance_s {tolerance_s:g})")
            return match.entry, note, ""
        oldest, newest = self._buffer.span_s()
        held = ("buffer is empty" if math.isnan(oldest)
                else f"buffer holds {oldest:.3f} .. {newest:.3f}")
        return None, "", (f"no buffered frame with stamp {stamp_ns / 1e9:.3f} "
                          f"(frame_buffer_s {self.config.frame_buffer_s:g}, "
                          f"init_stamp_tolerance_s {tolerance_s:g}, {held})")

    def _queue(self, request: _Request[T]) -> None:
        with self._lock:
            self._pending = [request]        # the newest request wins
        self._wake()

    # ------------------------------------------------------------------ worker
    def work(self) -> None:
        """Worker (one thread at a time): pending init/stop first, then the newest unprocessed
        frame, until idle. A bug is reported, never raised: the next wake-up goes on."""
        with self._worker_busy:
            try:
                self._work()
            except Exception as exc:
                text = f"worker error: {type(exc).__name__}: {exc}"
                self._listener.on_log("error", text, "worker")
                self.set_error(text)

    def close(self, timeout_s: float = 10.0) -> bool:
        """Stop the worker after the frame in progress (at most ``timeout_s``); True when it is
        idle now."""
        self._closing = True
        if self._worker_busy.acquire(timeout=timeout_s):
            self._worker_busy.release()
            return True
        return False

    def _work(self) -> None:
        while not self._closing and self._alive():
            with self._lock:
                request = self._pending.pop(0) if self._pending else None
            if request is not None:
                self._run_request(request)
                continue
            entry = self._slot.take()
            if entry is None:
                return
            self._process(entry)

    def _run_request(self, request: _Request[T]) -> None:
        with self._model_lock:
            session = self._session
            if session is None:
                return
            if request.entry is None:
                was_tracking = session.target is not None
                session.stop()
                self._slot.count_drops(False)
                if was_tracking:
                    self._listener.on_log("info", "target dropped", "")
                self._listener.on_status(self._last_item, None)
                return
            try:
                image = self._decode(request.entry.item.item)
                result = session.begin(image, request.box_xywh, request.target_id, request.label)
            except InvalidInputError as exc:
                self.set_error(f"init failed: {exc}")
                self._listener.on_status(self._last_item, None)
                return
        if session.claim(request.entry.seq):
            self._emit(request.entry, image, result, session)
        else:                                    # outputs of that frame went out while idle
            self._listener.on_status(request.entry.item.item, None)
        self._catch_up(request.entry, session)
        self._slot.count_drops(True)

    def _catch_up(self, init_entry: Stamped[ReceivedFrame[T]], session: StreamSession) -> None:
        """Track from the init frame to the newest frame through the buffered frames (those
        already published while idle are tracked silently). Frames keep arriving meanwhile, so
        this runs in rounds over what came in during the previous round, each round at most half
        as many frames as the one before (evenly spaced): the gap between tracked frames stays
        small and the hand-over to live tracking comes quickly even with a slow model."""
        last_ns, budget, skipped = init_entry.stamp_ns, None, 0
        while True:
            batch = self._buffer.after(last_ns)
            if not batch:
                break
            budget = len(batch) if budget is None else budget
            chosen = set(evenly_spaced(len(batch), budget))
            for i, entry in enumerate(batch):
                with self._lock:
                    superseded = bool(self._pending) or self._closing
                if superseded:
                    return                       # a newer init/stop takes over
                if i not in chosen:
                    skipped += entry.seq > session.last_claimed_seq
                    continue
                if not self._step(entry, publish=session.claim(entry.seq)):
                    return
            last_ns = batch[-1].stamp_ns
            if budget <= 1:
                break
            budget = max(1, budget // 2)
        self._slot.add_dropped(skipped)

    def _process(self, entry: Stamped[ReceivedFrame[T]]) -> None:
        session = self._session
        if session is None or not session.claim(entry.seq):
            return
        if session.target is None:
            try:
                image = self._decode(entry.item.item)
            except InvalidInputError as exc:
                self._bad_frame(entry, f"bad image skipped: {exc}", "warning", "bad frame")
                return
            self._emit(entry, image, None, session)
            return
        self._step(entry, publish=True)

    def _step(self, entry: Stamped[ReceivedFrame[T]], publish: bool) -> bool:
        """Track one frame; publish its outputs if asked. False when the session went away."""
        try:
            image = self._decode(entry.item.item)
            with self._model_lock:
                session = self._session
                if session is None or session.target is None:
                    return False
                result = session.step(image)
        except InvalidInputError as exc:
            self._bad_frame(entry, f"bad image skipped: {exc}", "warning", "bad frame")
            return True
        except Exception as exc:  # a tracker bug must not stop the stream; report and go on
            text = f"tracker failed on a frame: {type(exc).__name__}: {exc}"
            self._bad_frame(entry, text, "error", "tracker")
            return True
        if publish:
            self._emit(entry, image, result, session)
        return True

    def _bad_frame(self, entry: Stamped[ReceivedFrame[T]], text: str, level: str,
                   kind: str) -> None:
        self._listener.on_log(level, text, kind)
        with self._lock:
            self._dropped_bad += 1
            self._last_error = text
        self._listener.on_status(entry.item.item, None)

    def _emit(self, entry: Stamped[ReceivedFrame[T]], image: np.ndarray,
              result: Optional[TrackResult], session: StreamSession) -> None:
        target = session.target
        self._listener.on_output(FrameOutput(entry.item, image, result, target))
        now_s = self._clock()
        with self._lock:
            self._processed += 1
            self._last_item = entry.item.item
        self._proc_rate.tick(now_s)
        self._latency_ms.add((now_s - entry.item.received_s) * 1e3)
        self._listener.on_status(entry.item.item, entry.item)

    # ------------------------------------------------------------------ figures
    def status(self) -> StreamStatus:
        session = self._session
        target = None if session is None else session.target
        with self._lock:
            last_error, processed = self._last_error, self._processed
            dropped = self._dropped_stale + self._dropped_bad
        return StreamStatus(
            state=TrackState.IDLE if session is None else session.state,
            confidence=0.0 if session is None or target is None else float(session.score),
            target_id="" if target is None else target.target_id,
            frames_since_seen=0 if session is None else int(session.frames_since_seen),
            frames_processed=int(processed), frames_dropped=int(dropped + self._slot.dropped),
            enabled=bool(self._enabled), last_error=last_error)

    def counters(self) -> StreamCounters:
        now_s = self._clock()
        with self._lock:
            counts = dict(frames_received=self._received, frames_processed=self._processed,
                          dropped_stale=self._dropped_stale, dropped_bad=self._dropped_bad,
                          seconds_since_last_image=now_s - self._last_image_s,
                          last_error=self._last_error)
        return StreamCounters(dropped_busy=self._slot.dropped,
                              input_rate_hz=self._rx_rate.rate_hz(now_s),
                              processed_rate_hz=self._proc_rate.rate_hz(now_s),
                              latency_ms=self._latency_ms.summary(),
                              stamp_age_ms=self._stamp_age_ms.summary(), **counts)


class StreamWorker:
    """The ONE worker thread of a :class:`StreamTracker`: runs ``work`` whenever :meth:`wake` is
    called (pass ``wake`` as the stream's wake callback), until :meth:`stop`.

    A plain thread, not a callback of the node's ROS executor: run as a callback of rclpy's
    ``MultiThreadedExecutor``, the worker left the image subscription unserviced while it
    tracked (``scripts/bench_node.py``, 640x480 at 30 Hz: 71 of 300 frames reached the node
    there, 128-159 with this thread; ``make demo``: 49-76 of 300 processed, 276-299 now)."""

    def __init__(self, name: str = "stream-worker") -> None:
        self._name = name
        self._event = threading.Event()
        self._stopping = False
        self._thread: Optional[threading.Thread] = None

    def start(self, work: Callable[[], None]) -> None:
        """Start the thread; ``work`` runs on it after every wake-up (one at a time)."""
        if self._thread is not None:
            raise RuntimeError("StreamWorker already started")

        def loop() -> None:
            while True:
                self._event.wait()
                self._event.clear()
                if self._stopping:
                    return
                work()

        self._thread = threading.Thread(target=loop, name=self._name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Ask for a ``work`` run (any thread; wake-ups during a run coalesce into one more)."""
        self._event.set()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Let the run in progress finish, end the thread (at most ``timeout_s``); True when it
        has ended (or never started)."""
        self._stopping = True
        self._event.set()
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        return not self._thread.is_alive()


__all__ = ["FrameOutput", "InitReply", "ReceivedFrame", "StreamConfig", "StreamCounters",
           "StreamListener", "StreamStatus", "StreamTracker", "StreamWorker"]
