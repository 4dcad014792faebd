"""Frame bookkeeping for a streaming tracker: a stamped ring buffer and a newest-frame slot.

Both are ROS-free and thread-safe. Stamps are integer nanoseconds (any clock, as long as one
stream uses one clock); items are opaque to these classes (the node stores image messages).

- :class:`StampedFrameBuffer` keeps the frames of the last ``max_age_s`` seconds keyed by stamp,
  so an initialisation box drawn on an earlier frame can be applied to that very frame
  (:meth:`~StampedFrameBuffer.nearest` finds the closest frame when that one never arrived).
  A stamp older than the newest one (a looping bag, a clock reset) clears the buffer.
- :class:`LatestSlot` holds only the newest unprocessed frame: the consumer never sees a
  backlog and never the same frame twice; overwritten frames are counted as dropped.
"""
from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass
from typing import Generic, List, Optional, Tuple, TypeVar

T = TypeVar("T")

NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class Stamped(Generic[T]):
    """An item with its stamp (ns) and a receive sequence number (strictly increasing per
    buffer / slot user; used to never process one frame twice)."""

    stamp_ns: int
    seq: int
    item: T


@dataclass(frozen=True)
class StampMatch(Generic[T]):
    """A buffered frame found for a stamp: ``gap_ns`` = frame stamp - requested stamp (negative:
    the frame is earlier)."""

    entry: Stamped[T]
    gap_ns: int

    @property
    def distance_ns(self) -> int:
        return abs(self.gap_ns)

    @property
    def exact(self) -> bool:
        return self.gap_ns == 0


@dataclass(frozen=True)
class PushResult:
    """What :meth:`StampedFrameBuffer.push` did: ``went_backwards`` is True when the stamp was
    older than the newest buffered one and the buffer was cleared first (``cleared`` frames
    discarded); ``replaced`` is True when a frame with the same stamp was overwritten."""

    went_backwards: bool = False
    cleared: int = 0
    replaced: bool = False


class StampedFrameBuffer(Generic[T]):
    """Ring buffer of recent frames keyed by stamp (ns), holding at most ``max_age_s`` seconds
    counted back from the newest stamp (and at most ``max_frames`` frames)."""

    def __init__(self, max_age_s: float = 2.0, max_frames: int = 10_000) -> None:
        if not max_age_s >= 0.0:
            raise ValueError(f"max_age_s must be >= 0, got {max_age_s}")
        if max_frames < 1:
            raise ValueError(f"max_frames must be >= 1, got {max_frames}")
        self._max_age_ns = int(round(max_age_s * NS_PER_S))
        self._max_frames = int(max_frames)
        self._stamps: List[int] = []
        self._entries: List[Stamped[T]] = []
        self._lock = threading.Lock()

    @property
    def max_age_s(self) -> float:
        return self._max_age_ns / NS_PER_S

    def set_max_age(self, max_age_s: float) -> None:
        """Change the time span kept (applies from the next push)."""
        if not max_age_s >= 0.0:
            raise ValueError(f"max_age_s must be >= 0, got {max_age_s}")
        with self._lock:
            self._max_age_ns = int(round(max_age_s * NS_PER_S))
            self._evict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def push(self, stamp_ns: int, seq: int, item: T) -> PushResult:
        """Store ``item`` under ``stamp_ns``; evict frames older than newest - max_age."""
        stamp_ns = int(stamp_ns)
        with self._lock:
            went_backwards, cleared, replaced = False, 0, False
            if self._stamps and stamp_ns < self._stamps[-1]:
                went_backwards, cleared = True, len(self._entries)
                self._stamps.clear()
                self._entries.clear()
            entry = Stamped(stamp_ns, int(seq), item)
            if self._stamps and self._stamps[-1] == stamp_ns:
                self._entries[-1] = entry
                replaced = True
            else:
                self._stamps.append(stamp_ns)
                self._entries.append(entry)
            self._evict()
            return PushResult(went_backwards, cleared, replaced)

    def _evict(self) -> None:
        if not self._stamps:
            return
        oldest_kept = self._stamps[-1] - self._max_age_ns
        start = bisect.bisect_left(self._stamps, oldest_kept)
        start = max(start, len(self._stamps) - self._max_frames)
        if start > 0:
            del self._stamps[:start]
            del self._entries[:start]

    def clear(self) -> int:
        """Drop every frame; return how many were dropped."""
        with self._lock:
            count = len(self._entries)
            self._stamps.clear()
            self._entries.clear()
            return count

    def newest(self) -> Optional[Stamped[T]]:
        with self._lock:
            return self._entries[-1] if self._entries else None

    def nearest(self, stamp_ns: int) -> Optional[StampMatch[T]]:
        """The buffered frame whose stamp is closest to ``stamp_ns`` (on a tie the earlier one),
        with the signed gap (frame stamp - ``stamp_ns``), or None when the buffer is empty."""
        stamp_ns = int(stamp_ns)
        with self._lock:
            if not self._stamps:
                return None
            i = bisect.bisect_left(self._stamps, stamp_ns)
            # The closest is a neighbour of the insertion point; min() keeps the first (earlier)
            # one on a tie.
            candidates = [j for j in (i - 1, i) if 0 <= j < len(self._stamps)]
            best = min(candidates, key=lambda j: abs(self._stamps[j] - stamp_ns))
            return StampMatch(self._entries[best], self._stamps[best] - stamp_ns)

    def find(self, stamp_ns: int, tolerance_ns: int = 0) -> Optional[Stamped[T]]:
        """The frame whose stamp is closest to ``stamp_ns`` within ``tolerance_ns`` (0 = exact
        match), or None."""
        match = self.nearest(stamp_ns)
        return match.entry if match is not None and match.distance_ns <= tolerance_ns else None

    def after(self, stamp_ns: int) -> List[Stamped[T]]:
        """Frames with a stamp strictly later than ``stamp_ns``, oldest first."""
        with self._lock:
            i = bisect.bisect_right(self._stamps, int(stamp_ns))
            return list(self._entries[i:])

    def span_s(self) -> Tuple[float, float]:
        """(oldest, newest) buffered stamps in seconds, or (nan, nan) when empty."""
        with self._lock:
            if not self._stamps:
                return (float("nan"), float("nan"))
            return (self._stamps[0] / NS_PER_S, self._stamps[-1] / NS_PER_S)


class LatestSlot(Generic[T]):
    """A one-item mailbox: ``put`` replaces the unconsumed item (counted in ``dropped``),
    ``take`` removes and returns it. Never returns the same item twice, never a backlog."""

    def __init__(self) -> None:
        self._item: Optional[T] = None
        self._cond = threading.Condition()
        self._dropped = 0
        self._count_drops = True

    def put(self, item: T) -> Optional[T]:
        """Store ``item``; return the unconsumed item it replaced (None if there was none)."""
        with self._cond:
            replaced = self._item
            if replaced is not None and self._count_drops:
                self._dropped += 1
            self._item = item
            self._cond.notify()
            return replaced

    def take(self, timeout_s: Optional[float] = 0.0) -> Optional[T]:
        """Remove and return the item; wait up to ``timeout_s`` (None = forever) when empty."""
        with self._cond:
            if self._item is None and timeout_s != 0.0:
                self._cond.wait_for(lambda: self._item is not None, timeout=timeout_s)
            item, self._item = self._item, None
            return item

    def peek(self) -> Optional[T]:
        with self._cond:
            return self._item

    def clear(self) -> Optional[T]:
        """Discard the item without counting it as dropped."""
        with self._cond:
            item, self._item = self._item, None
            return item

    def count_drops(self, enabled: bool) -> None:
        """Count replaced items as drops only while ``enabled`` (e.g. only while tracking)."""
        with self._cond:
            self._count_drops = bool(enabled)

    @property
    def dropped(self) -> int:
        with self._cond:
            return self._dropped

    def add_dropped(self, count: int = 1) -> None:
        with self._cond:
            self._dropped += int(count)
