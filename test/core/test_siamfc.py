"""SiamFC multi-scale tracking with the parameter-free model on synthetic sequences."""
import numpy as np
import pytest
import torch

from siam_tracker_ros.core.distractor import box_iou
from siam_tracker_ros.core.errors import InvalidInputError, NotInitializedError
from siam_tracker_ros.core.siamfc import SiamFCConfig, SiamFCTracker
from siam_tracker_ros.core.tracker import SearchableTracker, Tracker
from siam_tracker_ros.core.types import TrackState
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence
from siam_tracker_ros.models.parameter_free import build_parameter_free_model


pytestmark = pytest.mark.usefixtures("one_torch_thread")     # test/conftest.py


def make_tracker(**cfg) -> SiamFCTracker:
    return SiamFCTracker(build_parameter_free_model(), SiamFCConfig(**cfg))


def test_implements_the_tracker_protocols():
    tracker = make_tracker()
    assert isinstance(tracker, Tracker)
    assert isinstance(tracker, SearchableTracker)


def test_translation_and_2x_scale_change_mean_iou():
    """DONE CRITERION 1: textured target, translation + 2x growth: mean IoU >= 0.7."""
    spec = SyntheticSpec(seed=7, num_frames=90, target_size_wh=(40, 32), scale_range=(1.0, 2.0),
                         speed_px=3.0, name="translate-scale2x")
    seq = generate_sequence(spec)
    tracker = make_tracker()
    first = tracker.initialize(seq.frames[0], seq.init_box_xywh)
    assert first.state == TrackState.TRACKING and first.score == 1.0
    ious = []
    for t in range(1, len(seq.frames)):
        result = tracker.track(seq.frames[t])
        assert 0.0 <= result.score <= 1.0
        ious.append(box_iou(result.bbox_xywh, seq.boxes_xywh[t]))
    assert np.mean(ious) >= 0.7, f"mean IoU {np.mean(ious):.3f}"
    # The size really followed the 2x growth (not just the centre).
    area_ratio = (result.bbox_xywh[2] * result.bbox_xywh[3]) / float(np.prod(seq.boxes_xywh[-1][2:]))
    assert 0.7 < area_ratio < 1.4, area_ratio


def test_propose_changes_no_state_and_accept_moves_it():
    seq = generate_sequence(SyntheticSpec(seed=3, num_frames=4, speed_px=4.0))
    tracker = make_tracker()
    tracker.initialize(seq.frames[0], seq.init_box_xywh)
    before = tracker.state.copy()
    proposal = tracker.propose(seq.frames[1], before.center_xy)
    assert np.array_equal(tracker.state.center_xy, before.center_xy)
    assert np.array_equal(tracker.state.size_wh, before.size_wh)
    assert proposal.score > 0.8
    assert box_iou(proposal.box_xywh, seq.boxes_xywh[1]) > 0.8
    tracker.accept(proposal)
    x, y, w, h = proposal.box_xywh
    assert np.allclose(tracker.state.center_xy, [x + w / 2, y + h / 2])
    # track() == propose() at the state centre + accept().
    other = make_tracker()
    other.initialize(seq.frames[0], seq.init_box_xywh)
    assert np.allclose(other.track(seq.frames[1]).bbox_xywh, proposal.box_xywh)


def test_propose_many_matches_single_windows_and_keeps_the_scale():
    seq = generate_sequence(SyntheticSpec(seed=4, num_frames=2))
    frame = seq.frames[1]
    tracker = make_tracker()
    tracker.initialize(seq.frames[0], seq.init_box_xywh)
    cx, cy = tracker.state.center_xy
    centers = [(cx, cy), (cx + 60.0, cy - 20.0), (20.0, 20.0)]
    batch = tracker.propose_many(frame, centers, 383)
    assert len(batch) == 3
    for center, proposal in zip(centers, batch):
        single = tracker.propose(frame, center, 383)
        assert np.allclose(single.box_xywh, proposal.box_xywh, atol=1e-3)
        assert single.score == pytest.approx(proposal.score, abs=1e-4)
        assert proposal.box_xywh[2:] == tuple(tracker.state.size_wh)   # single scale: size kept
    assert box_iou(batch[0].box_xywh, seq.boxes_xywh[1]) > 0.7


def test_runner_up_peaks_are_reported_as_distractors():
    """An exact copy of the target in the same window shows up in Proposal.distractors."""
    spec = SyntheticSpec(seed=2, num_frames=2, distractors=1, distractor_kind="copy")
    seq = generate_sequence(spec)
    frame = seq.frames[0]
    tracker = make_tracker()
    tracker.initialize(frame, seq.init_box_xywh)
    copy_xy = seq.frames.distractors[0].centres[0]
    target_xy = np.asarray(tracker.state.center_xy)
    middle = (target_xy + copy_xy) / 2.0
    proposal = tracker.propose(frame, middle, 511)
    found = [np.asarray(box[:2]) + np.asarray(box[2:]) / 2 for box, _ in proposal.distractors]
    centres = [np.asarray(proposal.box_xywh[:2]) + np.asarray(proposal.box_xywh[2:]) / 2] + found
    assert any(np.hypot(*(c - copy_xy)) < 8 for c in centres)
    assert any(np.hypot(*(c - target_xy)) < 8 for c in centres)
    assert all(0.0 <= s <= 1.0 for _, s in proposal.distractors)


def test_bad_inputs_raise_one_line_errors():
    tracker = make_tracker()
    frame = np.zeros((120, 160, 3), np.uint8)
    with pytest.raises(NotInitializedError):
        tracker.track(frame)
    with pytest.raises(InvalidInputError):
        tracker.initialize(frame, (10, 10, 0, 5))
    with pytest.raises(InvalidInputError):
        tracker.initialize(frame, (500, 10, 20, 20))
    with pytest.raises(InvalidInputError):
        tracker.initialize(np.zeros((120, 160), np.uint8), (10, 10, 20, 20))
    tracker.initialize(frame, (10, 10, 20, 20))
    with pytest.raises(InvalidInputError):
        tracker.track(np.zeros((120, 160, 3), np.float32))
    tracker.reset()
    assert tracker.state is None
    with pytest.raises(NotInitializedError):
        tracker.propose(frame, (50, 50))


def test_confidence_mapping_and_config_validation():
    cfg = SiamFCConfig(confidence_floor=0.2, confidence_ceil=0.6)
    assert cfg.confidence(0.1) == 0.0
    assert cfg.confidence(0.4) == pytest.approx(0.5)
    assert cfg.confidence(0.9) == 1.0
    for kwargs in (dict(scale_num=2), dict(instance_size=250), dict(window_influence=1.5),
                   dict(confidence_floor=0.8, confidence_ceil=0.7), dict(type="SiamRPN")):
        with pytest.raises(ValueError):
            SiamFCConfig(**kwargs)


@pytest.mark.cuda
def test_cuda_tracking_matches_cpu():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device: the CUDA path of the parameter-free SiamFC is not checked here")
    from siam_tracker_ros.core.config import RuntimeOptions

    seq = generate_sequence(SyntheticSpec(seed=9, num_frames=20, speed_px=3.0))
    results = {}
    for device in ("cpu", "cuda"):
        tracker = SiamFCTracker(build_parameter_free_model(), SiamFCConfig(),
                                RuntimeOptions(device=device))
        tracker.initialize(seq.frames[0], seq.init_box_xywh)
        results[device] = [tracker.track(seq.frames[t]) for t in range(1, 20)]
        many = tracker.propose_many(seq.frames[19], [(100.0, 100.0), (200.0, 120.0)], 383)
        assert len(many) == 2
    for cpu, gpu in zip(results["cpu"], results["cuda"]):
        assert np.allclose(cpu.bbox_xywh, gpu.bbox_xywh, atol=0.5)
        assert abs(cpu.score - gpu.score) < 0.02


def test_calls_run_with_the_configured_threads_and_restore_them():
    seq = generate_sequence(SyntheticSpec(seed=3, num_frames=3))
    seen = []
    model = build_parameter_free_model()
    original = model.features

    def spying(images):
        seen.append(torch.get_num_threads())
        return original(images)

    model.features = spying
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        tracker = SiamFCTracker(model, SiamFCConfig(torch_threads=1))
        tracker.initialize(seq.frames[0], seq.init_box_xywh)
        tracker.track(seq.frames[1])
        tracker.propose_many(seq.frames[2], [(50.0, 50.0)], 383)
        assert seen == [1, 1, 1] and torch.get_num_threads() == 2
        seen.clear()
        untouched = SiamFCTracker(model, SiamFCConfig(torch_threads=0))
        untouched.initialize(seq.frames[0], seq.init_box_xywh)
        assert seen == [2]
    finally:
        torch.set_num_threads(previous)


def test_search_feature_cache_reuses_the_last_crop_of_the_same_frame_only():
    from siam_tracker_ros.core.crop import crop_patch
    from siam_tracker_ros.core.siamfc import SearchFeatureCache

    frame = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    cache = SearchFeatureCache()
    first = cache.crop(frame, (70.5, 60.0), 90, 135, (1.0, 2.0, 3.0))
    assert cache.crop(frame, (70.5, 60.0), 90, 135, (1.0, 2.0, 3.0)) is first
    np.testing.assert_array_equal(first[0], crop_patch(frame, (70.5, 60.0), 90, 135, (1.0, 2.0, 3.0))[0])
    for other in ((frame, (71.0, 60.0), 90, 135, (1.0, 2.0, 3.0)),   # another window
                  (frame, (70.5, 60.0), 90, 135, (0.0, 2.0, 3.0)),   # another padding
                  (frame.copy(), (70.5, 60.0), 90, 135, (1.0, 2.0, 3.0))):   # another frame
        assert cache.crop(*other) is not first
    again = cache.crop(frame, (70.5, 60.0), 90, 135, (1.0, 2.0, 3.0))
    cache.clear()
    assert cache.crop(frame, (70.5, 60.0), 90, 135, (1.0, 2.0, 3.0)) is not again
