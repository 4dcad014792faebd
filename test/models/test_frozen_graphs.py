"""The frozen-graph NanoTrack (fast CPU path) computes what the eager fast model computes, for
every version, search size and batch the tracker uses; it keeps a bounded graph cache, stays
eager under autograd, and falls back to eager (one warning) when tracing fails."""
from pathlib import Path

import pytest
import torch
from torch import nn

from siam_tracker_ros.core.config import RuntimeOptions
from siam_tracker_ros.build.factory import build_tracker
from siam_tracker_ros.models.fast_inference import prepare_fast_inference
from siam_tracker_ros.models.frozen_graphs import MAX_GRAPHS_PER_PART, FrozenGraphNanoTrack
from siam_tracker_ros.core.nanotrack import NanoTracker
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence
from siam_tracker_ros.models.nanotrack import NanoTrackModel, load_nanotrack

pytestmark = pytest.mark.usefixtures("one_torch_thread")     # test/conftest.py

MODELS = Path(__file__).resolve().parents[2] / "models" / "nanotrack"


def _fast(version: int) -> nn.Module:
    model = load_nanotrack(version, MODELS / f"v{version}" / f"nanotrackv{version}.pth")
    return prepare_fast_inference(model)


def _crop(side: int, batch: int = 1, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed + side + batch)
    x = torch.rand(batch, 3, side, side, generator=generator) * 255
    return x.contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("version, shapes", [
    (1, ((255, 1),)), (2, ((255, 1),)),
    (3, ((255, 1), (319, 1), (255, 3), (383, 2), (255, 1)))])   # tracking, small-target, re-detection
def test_graphs_match_the_eager_fast_model(version, shapes):
    eager = _fast(version)
    frozen = FrozenGraphNanoTrack(_fast(version))
    with torch.inference_mode():
        template = eager.template(_crop(127))
        for side, batch in shapes:
            x = _crop(side, batch)
            want, got = eager.track(x, template), frozen.track(x, template)
            for key in ("cls", "loc"):
                assert got[key].shape == want[key].shape
                torch.testing.assert_close(got[key], want[key], rtol=1e-4, atol=1e-4)
            assert frozen.score_size(side) == eager.score_size(side) == want["cls"].shape[-1]
        # a new target's kernels are graph inputs: no new graph for the same shapes
        other = eager.template(_crop(127, seed=1))
        held = frozen.graphs
        torch.testing.assert_close(frozen.track(_crop(255), other)["cls"],
                                   eager.track(_crop(255), other)["cls"], rtol=1e-4, atol=1e-4)
    assert frozen.graphs == held == 2 * len(set(shapes))      # (backbone, head) per shape
    assert not frozen.eager


def test_graph_cache_is_bounded_and_autograd_stays_eager():
    assert MAX_GRAPHS_PER_PART >= 4          # the tracking, small-target and re-detection sizes
    frozen = FrozenGraphNanoTrack(_fast(2), max_graphs_per_part=2)
    with torch.inference_mode():
        for side in (255, 287, 319):
            frozen.search_features(_crop(side))
    assert frozen.graphs == 2
    before = frozen.graphs
    with torch.no_grad():
        template = frozen.template(_crop(127))
    x = _crop(255).requires_grad_(True)
    frozen.track(x, template)["cls"].sum().backward()       # eager: gradients flow
    assert x.grad is not None and frozen.graphs == before


def test_a_model_that_cannot_be_traced_runs_eagerly_with_one_warning():
    model = NanoTrackModel(2).eval()
    model.backbone.forward = lambda x: ("not a tensor", x)    # jit.trace refuses a str output
    frozen = FrozenGraphNanoTrack(model)
    with torch.inference_mode():
        with pytest.warns(RuntimeWarning, match="tracing failed"):
            frozen.search_features(_crop(255))
        assert frozen.eager and frozen.graphs == 0


@pytest.mark.parametrize("version", [1, 2, 3])
def test_exact_mode_graphs_are_bit_identical_to_the_eager_model(version):
    model = load_nanotrack(version, MODELS / f"v{version}" / f"nanotrackv{version}.pth")
    frozen = FrozenGraphNanoTrack(model, optimize_numerics=False)
    with torch.inference_mode():
        template = model.template(_crop(127))
        x = _crop(255)
        want = model.track(x, template)
        for _ in range(4):              # past TorchScript's profiling runs
            got = frozen.track(x, template)
            assert all(torch.equal(got[key], want[key]) for key in ("cls", "loc"))


def test_builder_runs_frozen_graphs_in_both_modes_and_exact_boxes_stay_bit_identical():
    sequence = generate_sequence(SyntheticSpec(seed=11, num_frames=8, frame_size_wh=(320, 240)))
    exact = build_tracker("nanotrack_v3", options=RuntimeOptions(device="cpu"),
                          overrides={"verifier.enabled": False})
    fast = build_tracker("nanotrack_v3", options=RuntimeOptions(device="cpu", exact=False),
                         overrides={"verifier.enabled": False})
    assert isinstance(exact.model, FrozenGraphNanoTrack) and not exact.model.optimize_numerics
    assert isinstance(fast.model, FrozenGraphNanoTrack) and fast.model.optimize_numerics
    assert exact.model.graphs == 4          # warmed up: tracking and small-target inputs
    eager = NanoTracker(exact.model.model, exact.cfg, RuntimeOptions(device="cpu"))
    for tracker in (exact, eager):
        tracker.initialize(sequence.frames[0], sequence.boxes_xywh[0])
    for frame in sequence.frames[1:]:
        a, b = exact.track(frame), eager.track(frame)
        assert a.bbox_xywh == b.bbox_xywh and a.score == b.score
    assert exact.model.graphs == 4
