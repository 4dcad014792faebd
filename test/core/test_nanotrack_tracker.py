"""NanoTracker beyond parity: the point decoder, the tracker contract (propose/accept equals
track), the named configs, and long-term re-detection + appearance verification composed over
it on a short synthetic out-of-view sequence."""
from dataclasses import replace

import numpy as np
import pytest

from siam_tracker_ros.core.appearance_verifier import AppearanceVerifiedTracker
from siam_tracker_ros.core.config import RuntimeOptions
from siam_tracker_ros.core.errors import ConfigError
from siam_tracker_ros.build.factory import build_tracker
from siam_tracker_ros.core.longterm import LongTermTracker
from siam_tracker_ros.core.nanotrack import NanoTracker, nanotrack_config_for
from siam_tracker_ros.core.rpn_postprocess import decode_points, point_grid
from siam_tracker_ros.core.tracker import SearchableTracker
from siam_tracker_ros.core.types import TrackState
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence

pytestmark = pytest.mark.usefixtures("one_torch_thread")     # test/conftest.py


@pytest.fixture(scope="module")
def sequence():
    return generate_sequence(SyntheticSpec(seed=11, num_frames=60, frame_size_wh=(320, 240),
                                           target_size_wh=(48, 40), out_of_view=((20, 12),)))


def test_point_grid_and_decoding():
    grid = point_grid(16, 16)
    assert grid.dtype == np.float32 and grid.shape == (256, 2)
    assert grid[0].tolist() == [-128, -128] and grid[1].tolist() == [-112, -128]
    assert grid[8 * 16 + 8].tolist() == [0, 0] and grid[-1].tolist() == [112, 112]
    assert point_grid(15, 16)[0].tolist() == [-112, -112]
    ltrb = np.array([[10.0], [20.0], [30.0], [40.0]], np.float32)
    box = decode_points(ltrb, np.array([[16.0, -16.0]], np.float32))
    assert box[:, 0].tolist() == [26.0, -6.0, 40.0, 60.0]        # cx, cy, w, h
    assert ltrb[:, 0].tolist() == [10.0, 20.0, 30.0, 40.0]       # input untouched


@pytest.mark.parametrize("name", ["nanotrack_v1", "nanotrack_v2", "nanotrack_v3"])
def test_named_configs_build_searchable_trackers(name, sequence):
    tracker = build_tracker(name, options=RuntimeOptions(device="cpu"),
                            overrides={"verifier.enabled": False} if name == "nanotrack_v3" else None)
    assert isinstance(tracker, NanoTracker) and isinstance(tracker, SearchableTracker)
    ours = {"small_target_search_px": 0.0, "small_target_instance_size": 0}   # not upstream keys
    assert replace(tracker.cfg, **ours) == nanotrack_config_for(int(name[-1]))  # configv<N> values
    tracker.initialize(sequence.frames[0], sequence.boxes_xywh[0])
    result = tracker.track(sequence.frames[1])
    assert result.state == TrackState.TRACKING and 0.0 <= result.score <= 1.0


def test_accepting_the_proposal_at_the_state_equals_track(sequence):
    a = build_tracker("nanotrack_v2", options=RuntimeOptions(device="cpu"))
    b = build_tracker("nanotrack_v2", options=RuntimeOptions(device="cpu"))
    for t in (a, b):
        t.initialize(sequence.frames[0], sequence.boxes_xywh[0])
    for frame in sequence.frames[1:4]:
        tracked = a.track(frame)
        proposal = b.propose(frame, b.state.center_xy)
        b.accept(proposal)
        assert proposal.box_xywh == tracked.bbox_xywh and proposal.score == tracked.score
        assert np.array_equal(a.state.center_xy, b.state.center_xy)
    wide = b.propose(sequence.frames[4], b.state.center_xy, instance_size=319)   # re-detection size
    x, y, w, h = wide.box_xywh
    assert np.hypot(x + w / 2 - b.state.center_xy[0], y + h / 2 - b.state.center_xy[1]) < 16


def test_fast_mode_stays_close_to_exact(sequence):
    exact = build_tracker("nanotrack_v3", options=RuntimeOptions(device="cpu"))
    fast = build_tracker("nanotrack_v3", options=RuntimeOptions(device="cpu", exact=False))
    for t in (exact, fast):
        t.initialize(sequence.frames[0], sequence.boxes_xywh[0])
    for frame in sequence.frames[1:6]:
        a, b = exact.track(frame), fast.track(frame)
        assert np.max(np.abs(np.subtract(a.bbox_xywh, b.bbox_xywh))) < 0.05


def test_small_targets_search_a_wider_input_at_the_same_scale(sequence):
    shipped = build_tracker("nanotrack_v3", options=RuntimeOptions(device="cpu"),
                            overrides={"verifier.enabled": False})
    assert (shipped.cfg.small_target_search_px, shipped.cfg.small_target_instance_size) == (64, 319)
    upstream = NanoTracker(shipped.model, nanotrack_config_for(3), RuntimeOptions(device="cpu"))
    assert upstream.cfg.small_target_context_px == 0.0                     # off: parity unchanged
    frames = sequence.frames
    x, y, w, h = sequence.boxes_xywh[0]                  # 48x40: context side 88 px > 64 * 127 / 255
    small = (x + w / 2 - 7, y + h / 2 - 6, 14, 12)      # context side 26 px: a 52-px search window
    for box, inputs in ((sequence.boxes_xywh[0], (255, 255)), (small, (319, 255))):
        for tracker, expected in zip((shipped, upstream), inputs):
            tracker.initialize(frames[0], box)
            result = tracker.track(frames[1])
            assert result.extras["instance_size"] == expected
            crop = result.extras["crop"]                              # same frame px per input px
            assert crop["out"] == expected
    twin = build_tracker("nanotrack_v3", options=RuntimeOptions(device="cpu"),
                         overrides={"verifier.enabled": False})
    for t in (shipped, twin):
        t.initialize(frames[0], small)
    for frame in frames[1:4]:                        # accept(propose at the state) == track
        tracked = shipped.track(frame)
        proposal = twin.propose(frame, twin.state.center_xy)
        twin.accept(proposal)
        assert proposal.instance_size == 319 and proposal.box_xywh == tracked.bbox_xywh
    shipped.initialize(frames[0], small)
    upstream.initialize(frames[0], small)
    wide, normal = shipped.track(frames[1]).extras["crop"], upstream.track(frames[1]).extras["crop"]
    assert wide["side"] / wide["out"] == pytest.approx(normal["side"] / normal["out"], rel=0.02)


@pytest.mark.parametrize("size", [223, 271, 300])
def test_small_target_instance_size_keeps_the_grid_centred(size, tmp_path):
    from siam_tracker_ros.core.nanotrack import NanoTrackConfig
    with pytest.raises(ValueError, match="instance_size .255. plus a multiple of 32"):
        NanoTrackConfig(small_target_search_px=64, small_target_instance_size=size)
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {type: nanotrack, version: 2, weights: x.pth}\n"
                   f"tracker: {{small_target_search_px: 64, small_target_instance_size: {size}}}\n")
    with pytest.raises(ConfigError) as err:
        build_tracker(bad)
    assert "small_target_instance_size" in str(err.value) and "\n" not in str(err.value)


def test_the_onnx_head_refuses_the_small_target_input():
    with pytest.raises(ConfigError, match="ONNX head takes 255 px search inputs only") as err:
        build_tracker("nanotrack_v2_onnx", overrides={"tracker.small_target_search_px": 64,
                                                      "tracker.small_target_instance_size": 319})
    assert "\n" not in str(err.value)
    assert build_tracker("nanotrack_v2_onnx").cfg.small_target_context_px == 0.0


def test_nanotrack_config_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {type: nanotrack, version: 4, weights: x.pth}\n")
    with pytest.raises(ConfigError, match="version must be 1, 2 or 3"):
        build_tracker(bad)
    bad.write_text("model: {type: nanotrack, version: 2, weights: x.pth}\ntracker: {lr: 3}\n")
    with pytest.raises(ConfigError) as err:
        build_tracker(bad)
    assert "\n" not in str(err.value)


def test_long_term_with_verifier_runs_over_nanotrack(sequence):
    tracker = build_tracker("nanotrack_v2", options=RuntimeOptions(device="cpu"), long_term=True,
                            overrides={"verifier.enabled": True})
    assert isinstance(tracker, LongTermTracker)
    assert isinstance(tracker.base, AppearanceVerifiedTracker)
    assert isinstance(tracker.base.base, NanoTracker)
    tracker.initialize(sequence.frames[0], sequence.boxes_xywh[0])
    states, boxes = [], []
    for frame in sequence.frames[1:]:
        result = tracker.track(frame)
        states.append(result.state)
        boxes.append(result.bbox_xywh)
    assert np.all(np.isfinite(boxes))
    assert states[0] == TrackState.TRACKING
    away = [i - 1 for i in range(1, len(sequence.frames)) if not sequence.visible[i]]
    assert any(states[i] in (TrackState.LOST, TrackState.SEARCHING) for i in away)


def test_searching_frames_run_the_wider_windows(sequence):
    # Thresholds no score reaches: every frame after the first is a search.
    tracker = build_tracker("nanotrack_v3", options=RuntimeOptions(device="cpu"), long_term=True,
                            overrides={"long_term.loss_threshold": 0.9999999,
                                       "long_term.reacquire_threshold": 1.0,
                                       "long_term.loss_patience": 1})
    assert tracker.cfg.max_instance_size == 319
    tracker.initialize(sequence.frames[0], sequence.boxes_xywh[0])
    stages = [tracker.track(f).extras.get("search_stage") for f in sequence.frames[1:6]]
    assert "widening" in stages or "global" in stages
