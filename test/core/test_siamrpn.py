"""SiamRPNTracker API: input validation, lifecycle, the search/propose/accept primitives
re-detection builds on, and device options. Uses the AlexNet parity model (fast)."""
import numpy as np
import pytest
import torch

from siam_tracker_ros.core.config import RuntimeOptions
from siam_tracker_ros.core.errors import ConfigError, InvalidInputError, NotInitializedError
from siam_tracker_ros.core.siamrpn import SiamProposal, SiamRPNTracker
from siam_tracker_ros.core.tracker import Proposal, SearchableTracker, Tracker
from siam_tracker_ros.core.types import TrackState

from pysot_parity_data import INIT_BOX, frames, reference_model

ALEX = "siamrpn_alex_dwxcorr"


@pytest.fixture(scope="module")
def alex():
    return reference_model(ALEX)


def make_tracker(alex, **options):
    exp, model = alex
    return SiamRPNTracker(model, exp.track, exp.anchor, RuntimeOptions(device="cpu", **options))


def test_protocols(alex):
    tracker = make_tracker(alex)
    assert isinstance(tracker, Tracker) and isinstance(tracker, SearchableTracker)


@pytest.mark.parametrize("box", [(400, 10, 20, 20), (-50, 10, 20, 20), (10, 10, 0, 20),
                                 (10, 10, 20, -1), (float("nan"), 10, 20, 20),
                                 (10, 10, float("inf"), 20), (1, 2, 3)])
def test_initialize_rejects_bad_boxes(alex, box):
    tracker = make_tracker(alex)
    with pytest.raises(InvalidInputError):
        tracker.initialize(frames()[0], box)
    assert tracker.state is None


@pytest.mark.parametrize("frame", [np.zeros((240, 320), np.uint8), np.zeros((240, 320, 3), np.float32),
                                   np.zeros((0, 320, 3), np.uint8), "not a frame"])
def test_bad_frames_are_rejected(alex, frame):
    tracker = make_tracker(alex)
    with pytest.raises(InvalidInputError):
        tracker.initialize(frame, INIT_BOX)
    tracker.initialize(frames()[0], INIT_BOX)
    state = tracker.state.copy()
    with pytest.raises(InvalidInputError):
        tracker.track(frame)
    assert np.array_equal(tracker.state.center_xy, state.center_xy)


def test_use_before_initialize_raises(alex):
    tracker = make_tracker(alex)
    for call in (lambda: tracker.track(frames()[1]),
                 lambda: tracker.propose(frames()[1], (100, 100)),
                 lambda: tracker.accept(Proposal((1, 2, 3, 4), 0.5, 0.5))):
        with pytest.raises(NotInitializedError, match="initialize"):
            call()


def test_initialize_result_and_reset(alex):
    tracker = make_tracker(alex)
    video = frames()
    init = tracker.initialize(video[0], INIT_BOX)
    assert init.bbox_xywh == (158.0, 53.0, 72.0, 60.0) and init.state is TrackState.TRACKING
    assert init.extras["crop"]["side"] == 132 and init.extras["zcrop_sum"] == 7182978
    first = tracker.track(video[1])
    tracker.reset()
    assert tracker.state is None
    with pytest.raises(NotInitializedError):
        tracker.track(video[1])
    tracker.initialize(video[0], INIT_BOX)
    again = tracker.track(video[1])
    assert again.bbox_xywh == first.bbox_xywh and again.score == first.score


def test_propose_leaves_state_and_accept_equals_track(alex):
    video = frames()
    a, b = make_tracker(alex), make_tracker(alex)
    a.initialize(video[0], INIT_BOX)
    b.initialize(video[0], INIT_BOX)
    before = a.state.copy()
    proposal = a.propose(video[1], a.state.center_xy)
    assert np.array_equal(a.state.center_xy, before.center_xy)
    assert np.array_equal(a.state.size_wh, before.size_wh)
    result = b.track(video[1])
    assert isinstance(proposal, SiamProposal)
    assert proposal.score == result.score and proposal.box_xywh == result.bbox_xywh
    assert 0 < len(proposal.distractors) <= 5
    for box, score in proposal.distractors:
        assert len(box) == 4 and np.all(np.isfinite(box)) and 0.0 <= score <= 1.0
    a.accept(proposal)
    assert np.array_equal(a.state.center_xy, b.state.center_xy)
    assert np.array_equal(a.state.size_wh, b.state.size_wh)
    assert a.track(video[2]).bbox_xywh == b.track(video[2]).bbox_xywh


def test_propose_anywhere_with_another_search_size(alex):
    tracker = make_tracker(alex)
    video = frames()
    tracker.initialize(video[0], INIT_BOX)
    proposal = tracker.propose(video[1], (60.0, 180.0), instance_size=351)
    assert proposal.instance_size == 351
    outcome = tracker.search(video[1], (60.0, 180.0), instance_size=351)
    assert outcome.decoder.score_size == 29 and outcome.crop.out_size == 351
    assert outcome.best_score == proposal.score
    x, y, w, h = proposal.box_xywh
    assert abs(x + w / 2 - 60.0) < 200 and w >= 10 and h >= 10


def test_accept_plain_proposal(alex):
    tracker = make_tracker(alex)
    tracker.initialize(frames()[0], INIT_BOX)
    tracker.accept(Proposal((10.0, 20.0, 30.0, 40.0), 0.9, 0.9))
    assert tracker.state.center_xy.tolist() == [25.0, 40.0]
    assert tracker.state.size_wh.tolist() == [30.0, 40.0]
    with pytest.raises(InvalidInputError):
        tracker.accept(Proposal((10.0, 20.0, float("nan"), 40.0), 0.9, 0.9))


def test_timings_reported(alex):
    tracker = make_tracker(alex)
    tracker.initialize(frames()[0], INIT_BOX)
    timings = tracker.track(frames()[1]).extras["timings_ms"]
    assert set(timings) == {"preprocess", "backbone", "head", "postprocess"}
    assert all(v >= 0.0 for v in timings.values()) and timings["backbone"] > 0.0


def test_fp16_needs_cuda(alex):
    if torch.cuda.is_available():
        pytest.skip("CUDA present: fp16 is allowed")
    with pytest.raises(ConfigError, match="CUDA"):
        make_tracker(alex, fp16=True)
    with pytest.raises(ConfigError, match="CUDA"):
        SiamRPNTracker(alex[1], alex[0].track, alex[0].anchor, RuntimeOptions(device="cuda"))


@pytest.mark.cuda
def test_cuda_matches_cpu(alex):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    video = frames()
    exp, model = alex
    cpu = make_tracker(alex)
    cpu.initialize(video[0], INIT_BOX)
    ref = [cpu.track(f) for f in video[1:6]]
    from siam_tracker_ros.models.builder import build_model
    net = build_model(exp.model)              # a separate copy of the weights for the GPU
    net.load_state_dict(model.state_dict())
    gpu = SiamRPNTracker(net, exp.track, exp.anchor, RuntimeOptions(device="cuda"))
    gpu.initialize(video[0], INIT_BOX)
    for frame, want in zip(video[1:6], ref):
        got = gpu.track(frame)
        assert np.max(np.abs(np.subtract(got.bbox_xywh, want.bbox_xywh))) < 0.02
        assert abs(got.score - want.score) < 5e-5
    assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32


@pytest.mark.cuda
@pytest.mark.parametrize("fp16", [False, True])
def test_cuda_fast_mode_is_close_to_exact(alex, fp16):
    """exact=False on CUDA (frame uploaded once, crop + resize on the GPU; optionally fp16):
    close to the exact CPU run over a few frames, not bit-exact."""
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    from siam_tracker_ros.models.builder import build_model

    video = frames()
    exp, model = alex
    cpu = make_tracker(alex)
    cpu.initialize(video[0], INIT_BOX)
    ref = [cpu.track(f) for f in video[1:4]]
    net = build_model(exp.model)
    net.load_state_dict(model.state_dict())
    fast = SiamRPNTracker(net, exp.track, exp.anchor,
                          RuntimeOptions(device="cuda", exact=False, fp16=fp16))
    assert fast.device_crop
    fast.initialize(video[0], INIT_BOX)
    for frame, want in zip(video[1:4], ref):
        got = fast.track(frame)
        assert got.extras["xcrop_sum"] is None
        assert np.max(np.abs(np.subtract(got.bbox_xywh, want.bbox_xywh))) < 3.0
        assert abs(got.score - want.score) < 0.02
