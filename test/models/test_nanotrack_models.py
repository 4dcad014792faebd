"""NanoTrack models: the shipped upstream checkpoints load strict, key for key (numpy-scalar
``epoch`` included, weights_only); checkpoints that do not fit are one-line CheckpointErrors;
shapes per version; the v2 ONNX pair through OpenCV DNN equals the torch model."""
from pathlib import Path

import numpy as np
import pytest
import torch

from siam_tracker_ros.core.errors import CheckpointError
from siam_tracker_ros.models.nanotrack import build_nanotrack_model, load_nanotrack

pytestmark = pytest.mark.usefixtures("one_torch_thread")     # test/conftest.py

MODELS = Path(__file__).resolve().parents[2] / "models" / "nanotrack"
KEY_COUNTS = {1: 231, 2: 298, 3: 438}   # upstream state_dict sizes (num_batches_tracked included)


def _checkpoint(version: int) -> Path:
    return MODELS / f"v{version}" / f"nanotrackv{version}.pth"


@pytest.mark.parametrize("version", [1, 2, 3])
def test_upstream_checkpoint_loads_strict_key_for_key(version):
    with pytest.raises(Exception):   # plain weights_only load refuses the numpy scalar `epoch`
        torch.load(_checkpoint(version), map_location="cpu", weights_only=True)
    model = load_nanotrack(version, _checkpoint(version))
    state = model.state_dict()
    assert len(state) == KEY_COUNTS[version]
    assert any(k.startswith("neck.downsample.") for k in state)     # loaded, never called
    z, x = torch.zeros(1, 3, 127, 127), torch.zeros(1, 3, 255, 255)
    with torch.inference_mode():
        template = model.template(z)
        out = model.track(x, template)
    side = 15 if version == 3 else 16
    assert template.zf.shape == (1, 96 if version == 3 else 48, 8, 8)
    assert out["cls"].shape == (1, 2, side, side) and out["loc"].shape == (1, 4, side, side)
    assert model.score_size(255) == side
    assert bool((out["loc"] > 0).all())       # exp-ed distances


def test_score_size_follows_the_search_input():
    model = build_nanotrack_model(3)
    with torch.inference_mode():
        out = model.track(torch.zeros(1, 3, 319, 319), model.template(torch.zeros(1, 3, 127, 127)))
    assert out["cls"].shape[-1] == model.score_size(319) == 19


def test_a_checkpoint_of_another_version_is_a_one_line_error():
    with pytest.raises(CheckpointError) as err:
        load_nanotrack(3, _checkpoint(2))
    message = str(err.value)
    assert "\n" not in message and "nanotrack_v3" in message and "missing" in message


def test_missing_or_foreign_files_are_one_line_errors(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_nanotrack(2, tmp_path / "nope.pth")
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError) as err:
        load_nanotrack(2, bad)
    assert "\n" not in str(err.value)


def test_onnx_pair_equals_the_torch_model_v2():
    from siam_tracker_ros.models.nanotrack_onnx import OnnxNanoTrackModel

    torch_model = load_nanotrack(2, _checkpoint(2))
    onnx_model = OnnxNanoTrackModel(MODELS / "v2" / "nanotrack_backbone_sim.onnx",
                                    MODELS / "v2" / "nanotrack_head_sim.onnx", 2)
    gen = torch.Generator().manual_seed(0)
    z = torch.randint(0, 256, (1, 3, 127, 127), generator=gen).float()
    x = torch.randint(0, 256, (1, 3, 255, 255), generator=gen).float()
    with torch.inference_mode():
        template = torch_model.template(z)
        xf = torch_model.search_features(x)
        ref = torch_model.head_outputs(xf, template)
    got_z = onnx_model.template(z).zf
    got_x = onnx_model.search_features(x)
    got = onnx_model.head_outputs(xf, template)       # head fed the torch features
    # float32 rounding level (features up to ~20, loc up to ~60)
    np.testing.assert_allclose(got_z.numpy(), template.zf.numpy(), atol=1e-4, rtol=0)
    np.testing.assert_allclose(got_x.numpy(), xf.numpy(), atol=1e-4, rtol=0)
    np.testing.assert_allclose(got["cls"].numpy(), ref["cls"].numpy(), atol=1e-4, rtol=0)
    np.testing.assert_allclose(got["loc"].numpy(), ref["loc"].numpy(), atol=1e-6, rtol=1e-5)
    with pytest.raises(Exception, match="255"):
        onnx_model.score_size(319)
