"""Long-term tracking: hysteresis, re-detection plan, cost spreading, and the out-of-view
done criterion with the parameter-free SiamFC."""
import dataclasses
from typing import List, Optional, Sequence

import numpy as np
import pytest

from siam_tracker_ros.core.distractor import box_iou
from siam_tracker_ros.core.errors import ConfigError, NotInitializedError
from siam_tracker_ros.core.longterm import (LongTermConfig, LongTermTracker, SearchGeometry,
                                            plan_search, tile_centers, widening_sizes)
from siam_tracker_ros.core.siamfc import SiamFCConfig, SiamFCTracker
from siam_tracker_ros.core.tracker import OneWindowAtATime, Proposal, TargetState
from siam_tracker_ros.core.types import TrackResult, TrackState
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence
from siam_tracker_ros.models.parameter_free import build_parameter_free_model


pytestmark = pytest.mark.usefixtures("one_torch_thread")     # test/conftest.py


class ScriptedTracker(OneWindowAtATime):
    """A SearchableTracker whose confidences come from a script (one value per call of
    track/propose); it moves the box 1 px right per track() and records every search."""

    def __init__(self, scores: Sequence[float], exemplar_size=127, instance_size=255):
        self.scores = iter(scores)
        self.exemplar_size, self.instance_size, self.context_amount = exemplar_size, instance_size, 0.5
        self.state: Optional[TargetState] = None
        self.calls: List[tuple] = []          # (kind, center, instance_size)

    @property
    def search_geometry(self):
        return SearchGeometry(self.exemplar_size, self.instance_size, self.context_amount)

    def initialize(self, frame, box_xywh):
        x, y, w, h = box_xywh
        self.state = TargetState(np.array([x + w / 2, y + h / 2]), np.array([w, h], float))
        return TrackResult(tuple(box_xywh), 1.0, TrackState.TRACKING)

    def _box(self, center):
        w, h = self.state.size_wh
        return (center[0] - w / 2, center[1] - h / 2, float(w), float(h))

    def track(self, frame):
        self.calls.append(("track", tuple(self.state.center_xy), None))
        self.state = TargetState(self.state.center_xy + [1.0, 0.0], self.state.size_wh.copy())
        return TrackResult(self._box(self.state.center_xy), next(self.scores), TrackState.TRACKING)

    def reset(self):
        self.state = None

    def propose(self, frame, center_xy, instance_size=None, window_influence=None):
        self.calls.append(("propose", tuple(center_xy), instance_size))
        score = next(self.scores)
        return Proposal(self._box(center_xy), score, score)

    def accept(self, proposal):
        x, y, w, h = proposal.box_xywh
        self.state = TargetState(np.array([x + w / 2, y + h / 2]), np.array([w, h]))


FRAME = np.zeros((240, 320, 3), np.uint8)
BOX = (100.0, 100.0, 40.0, 30.0)


def run_script(scores, cfg=LongTermConfig(), frames=None):
    base = ScriptedTracker(scores)
    lt = LongTermTracker(base, cfg)
    lt.initialize(FRAME, BOX)
    n = len(scores) if frames is None else frames
    return lt, base, [lt.track(FRAME) for _ in range(n)]


def test_hysteresis_states_freeze_and_loss():
    cfg = LongTermConfig(loss_threshold=0.3, reacquire_threshold=0.6, loss_patience=3)
    scores = [0.9, 0.5, 0.2, 0.2, 0.5, 0.2, 0.1, 0.1, 0.0, 0.0]
    lt, base, results = run_script(scores, cfg)
    states = [r.state for r in results]
    T, U, L, S = TrackState.TRACKING, TrackState.UNCERTAIN, TrackState.LOST, TrackState.SEARCHING
    assert states == [T, U, U, U, U, U, U, L, S, S]
    # Below the loss threshold the state is frozen: the box stays the last trusted one.
    assert results[2].bbox_xywh == results[1].bbox_xywh
    assert results[3].bbox_xywh == results[1].bbox_xywh
    assert results[4].bbox_xywh[0] == results[1].bbox_xywh[0] + 1   # base restored, then moved
    for r in results[7:]:
        assert not r.is_target_visible
        assert r.bbox_xywh == results[4].bbox_xywh                     # last trusted box
    assert results[-1].extras["frames_since_seen"] == 5


def test_reacquisition_needs_the_high_threshold_on_confirm_frames():
    cfg = LongTermConfig(loss_threshold=0.3, reacquire_threshold=0.6, loss_patience=1,
                         confirm_frames=2)
    # frame 1 lost; searching: 0.5 (below reacquire), 0.7 (candidate), 0.4 (confirm fails),
    # 0.7 (candidate), 0.8 (confirmed) -> TRACKING, then 0.45 -> UNCERTAIN (hysteresis band).
    scores = [0.1, 0.5, 0.7, 0.4, 0.7, 0.8, 0.45]
    lt, base, results = run_script(scores, cfg)
    states = [r.state.name for r in results]
    assert states == ["LOST", "SEARCHING", "SEARCHING", "SEARCHING", "SEARCHING", "TRACKING",
                      "UNCERTAIN"]
    assert results[5].is_target_visible and results[5].score == pytest.approx(0.8)
    assert results[5].extras["search_stage"] == "confirming"
    assert results[5].extras["frames_since_seen"] == 0


def test_confirm_frames_one_accepts_at_once():
    cfg = LongTermConfig(loss_patience=1, confirm_frames=1)
    lt, base, results = run_script([0.0, 0.2, 0.9, 0.9], cfg)
    assert [r.state.name for r in results] == ["LOST", "SEARCHING", "TRACKING", "TRACKING"]


def test_search_cost_is_spread_over_frames():
    """Each SEARCHING frame evaluates exactly windows_per_frame windows."""
    for per_frame in (1, 2, 3):
        cfg = LongTermConfig(loss_patience=1, windows_per_frame=per_frame)
        scores = [0.0] + [0.0] * 40 * per_frame
        lt, base, results = run_script(scores, cfg, frames=25)
        assert all(r.extras["proposals"] == per_frame for r in results[1:])
        searches = [c for c in base.calls if c[0] == "propose"]
        assert len(searches) == 24 * per_frame


def test_search_widens_around_the_last_position_then_goes_global():
    cfg = LongTermConfig(loss_patience=1, widen_step=128, max_instance_size=511)
    lt, base, results = run_script([0.0] * 40, cfg, frames=12)
    searches = [c for c in base.calls if c[0] == "propose"]
    last_center = tuple(base.state.center_xy)
    assert [c[2] for c in searches[:2]] == [383, 511]
    assert all(np.allclose(c[1], last_center) for c in searches[:2])
    assert [r.extras["search_stage"] for r in results[1:4]] == ["widening", "widening", "global"]
    assert {c[2] for c in searches[2:]} == {511}


def covered(frame_wh, windows, geometry, size_wh, step=4.0):
    """Fraction of a grid of points over the frame that some window can detect."""
    xs = np.arange(0.0, frame_wh[0] + 1e-9, step)
    ys = np.arange(0.0, frame_wh[1] + 1e-9, step)
    px, py = np.meshgrid(xs, ys)
    hit = np.zeros_like(px, bool)
    for w in windows:
        half = geometry.detectable_span(size_wh, w.instance_size) / 2
        hit |= (np.abs(px - w.center_xy[0]) <= half) & (np.abs(py - w.center_xy[1]) <= half)
    return hit.mean()


@pytest.mark.parametrize("frame_wh,size_wh,last_xy", [
    ((320, 240), (48, 40), (300, 20)),
    ((640, 480), (48, 40), (320, 240)),
    ((1920, 1080), (30, 60), (10, 1070)),
    ((1280, 720), (200, 150), (900, 100)),
    ((4000, 300), (16, 16), (3990, 150)),
])
def test_global_windows_tile_the_whole_frame(frame_wh, size_wh, last_xy):
    geometry = SearchGeometry()
    cfg = LongTermConfig()
    widening, global_windows = plan_search(frame_wh, last_xy, size_wh, geometry, cfg)
    assert covered(frame_wh, global_windows, geometry, size_wh) == 1.0
    assert all(w.instance_size <= cfg.max_instance_size for w in widening + global_windows)
    sizes = [w.instance_size for w in widening]
    assert sizes == sorted(sizes) and sizes[-1] <= cfg.max_instance_size
    # The first global window is the tile nearest to where the target was last seen.
    nearest = min(global_windows, key=lambda w: np.hypot(w.center_xy[0] - last_xy[0],
                                                         w.center_xy[1] - last_xy[1]))
    assert global_windows[0] == nearest


def test_tile_centres_and_widening_sizes():
    centers = tile_centers((1000, 500), span=300, overlap=0.0)
    assert len(centers) == 4 * 2
    assert widening_sizes(SearchGeometry(instance_size=255), LongTermConfig(widen_step=64,
                                                                            max_instance_size=447)) \
        == [319, 383, 447]
    assert widening_sizes(SearchGeometry(instance_size=287), LongTermConfig(max_instance_size=383)) == [383]


def test_geometry_is_the_base_trackers_search_geometry():
    tracker = SiamFCTracker(build_parameter_free_model(), SiamFCConfig(instance_size=287))
    assert tracker.search_geometry == SearchGeometry(127, 287, 0.5)
    lt = LongTermTracker(tracker)
    assert lt.geometry == lt.search_geometry == SearchGeometry(127, 287, 0.5)


def test_config_validation_and_runtime_update():
    for kwargs in (dict(loss_threshold=0.7, reacquire_threshold=0.6), dict(loss_patience=0),
                   dict(widen_step=100), dict(tile_overlap=0.95), dict(windows_per_frame=0)):
        with pytest.raises(ValueError):
            LongTermConfig(**kwargs)
    lt = LongTermTracker(ScriptedTracker([]), LongTermConfig())
    with pytest.raises(ConfigError):
        lt.cfg = LongTermConfig(max_instance_size=199)      # smaller than the base's 255
    with pytest.raises(ConfigError):
        lt.cfg = LongTermConfig(max_instance_size=510)      # 510 - 127 not a multiple of 8
    lt.cfg = dataclasses.replace(lt.cfg, loss_threshold=0.1, distractor_aware=True)
    assert lt.cfg.loss_threshold == 0.1 and lt.memory is not None
    with pytest.raises(NotInitializedError):
        lt.track(FRAME)


def test_out_of_view_for_30_frames_lost_then_reacquired():
    """DONE CRITERION 2: the target leaves for 30 frames and re-enters elsewhere."""
    spec = SyntheticSpec(seed=1, num_frames=100, out_of_view=((35, 30),), name="out-of-view-30")
    seq = generate_sequence(spec)
    tracker = LongTermTracker(SiamFCTracker(build_parameter_free_model(), SiamFCConfig()),
                              LongTermConfig())
    tracker.initialize(seq.frames[0], seq.init_box_xywh)
    results = {t: tracker.track(seq.frames[t]) for t in range(1, len(seq.frames))}
    absent = [t for t in results if not seq.visible[t]]
    assert len(absent) >= 30
    lost = [t for t in absent if results[t].state in (TrackState.LOST, TrackState.SEARCHING)]
    assert len(lost) >= 0.8 * len(absent), f"only {len(lost)}/{len(absent)} absent frames LOST/SEARCHING"
    assert all(not results[t].is_target_visible for t in lost)
    entry = min(t for t in results if t > absent[0] and seq.visible[t])
    reacquired = [t for t in range(entry, len(seq.frames))
                  if results[t].state == TrackState.TRACKING
                  and box_iou(results[t].bbox_xywh, seq.boxes_xywh[t]) >= 0.5]
    assert reacquired and reacquired[0] < entry + 10, f"re-entry {entry}, re-acquired {reacquired[:1]}"
    after = range(reacquired[0], len(seq.frames))
    good = [t for t in after if results[t].is_target_visible
            and box_iou(results[t].bbox_xywh, seq.boxes_xywh[t]) >= 0.5]
    assert len(good) >= 0.9 * len(after)
    # The re-detection never cost more than windows_per_frame windows on a frame.
    assert max(r.extras["proposals"] for r in results.values()) <= tracker.cfg.windows_per_frame


def test_proposals_are_batched_when_the_base_can():
    """A SiamFC base gets one propose_many call per searching frame with all its windows."""
    spec = SyntheticSpec(seed=1, num_frames=8, frame_size_wh=(640, 480))
    seq = generate_sequence(spec)
    base = SiamFCTracker(build_parameter_free_model(), SiamFCConfig())
    calls = []
    original = base.propose_many

    def counting(frame, centers, instance_size, **kwargs):
        calls.append((len(centers), instance_size))
        return original(frame, centers, instance_size, **kwargs)

    base.propose_many = counting
    lt = LongTermTracker(base, LongTermConfig(loss_patience=1, windows_per_frame=3,
                                              reacquire_threshold=0.99, loss_threshold=0.98))
    lt.initialize(seq.frames[0], seq.init_box_xywh)
    blank = np.full_like(seq.frames[1], 90)
    states, per_frame = [], []
    for _ in range(6):
        before = len(calls)
        states.append(lt.track(blank).state)
        per_frame.append(calls[before:])
    assert states[0] == TrackState.LOST and set(states[1:]) == {TrackState.SEARCHING}
    assert per_frame[0] == []
    for frame_calls in per_frame[1:]:
        # windows of one size share a call; 3 windows per frame in all
        assert sum(n for n, _ in frame_calls) == 3
        assert len(frame_calls) == len({size for _, size in frame_calls})
