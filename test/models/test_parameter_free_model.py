"""The parameter-free feature model: no parameters, no state, exact ZNCC head."""
import numpy as np
import pytest
import torch

from siam_tracker_ros.models.parameter_free import (ParameterFreeConfig, ParameterFreeSiamFC,
                                                    build_parameter_free_model)


def _brute_force_zncc(z, x, wy, wx, floor):
    """Reference weighted ZNCC by explicit loops (small sizes only)."""
    weight = (wy / wy.sum())[:, None] * (wx / wx.sum())[None, :]
    h, w = z.shape[-2:]
    out = torch.empty(x.shape[-2] - h + 1, x.shape[-1] - w + 1, dtype=torch.float64)
    zc = z - (z * weight).sum((1, 2), keepdim=True)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            p = x[:, i:i + h, j:j + w]
            pc = p - (p * weight).sum((1, 2), keepdim=True)
            num = (weight * zc * pc).sum()
            den = torch.sqrt((weight * zc * zc).sum() * ((weight * pc * pc).sum() + floor))
            out[i, j] = num / den
    return out


def test_model_has_no_parameters_and_empty_state_dict():
    model = build_parameter_free_model()
    assert isinstance(model, ParameterFreeSiamFC)
    assert list(model.parameters()) == []
    assert model.state_dict() == {}
    assert not model.training


def test_feature_shape_and_offset_invariance():
    model = build_parameter_free_model()
    rng = np.random.default_rng(0)
    image = torch.from_numpy(rng.integers(20, 200, size=(2, 3, 64, 72)).astype(np.float32))
    feat = model.features(image)
    assert feat.shape == (2, model.channels, 16, 18)
    assert feat.dtype == torch.float32 and torch.isfinite(feat).all()
    # A uniform brightness offset (no clipping) changes no feature: gradients, local contrast
    # and colour differences are all offset-free.
    shifted = model.features(image + 30.0)
    assert torch.allclose(feat, shifted, atol=1e-4)


def test_correlate_equals_brute_force_zncc_with_weights():
    model = build_parameter_free_model()
    torch.manual_seed(0)
    z = torch.randn(2, 9, 7, 5)
    x = torch.randn(2, 9, 18, 15)
    wy, wx = torch.rand(7) + 0.1, torch.rand(5) + 0.1
    out = model.correlate(z, x, (wy, wx))
    assert out.shape == (2, 1, 12, 11)
    for b in range(2):
        ref = _brute_force_zncc(z[b].double(), x[b].double(), wy.double(), wx.double(),
                                model.cfg.variance_floor)
        assert torch.allclose(out[b, 0].double(), ref, atol=1e-5)


def test_shared_template_equals_per_search_templates():
    model = build_parameter_free_model()
    torch.manual_seed(1)
    z = torch.randn(1, 9, 6, 6)
    x = torch.randn(3, 9, 20, 20)
    shared = model.correlate(z, x)
    per_item = model.correlate(z.expand(3, -1, -1, -1).contiguous(), x)
    assert torch.allclose(shared, per_item, atol=1e-6)
    with pytest.raises(ValueError):
        model.correlate(torch.randn(2, 9, 6, 6), x)


def test_template_cut_from_search_peaks_at_its_position():
    model = build_parameter_free_model()
    rng = np.random.default_rng(3)
    image = torch.from_numpy(rng.integers(0, 255, size=(1, 3, 160, 160)).astype(np.float32))
    x = model.features(image)
    z = x[:, :, 9:9 + 12, 14:14 + 12]
    response = model.correlate(z, x)[0, 0]
    peak = divmod(int(torch.argmax(response)), response.shape[1])
    assert peak == (9, 14)
    assert 0.95 < float(response.max()) <= 1.0
    assert float(response.min()) >= -1.0


@pytest.mark.parametrize("kwargs", [dict(cell_size=0), dict(orientation_bins=1),
                                    dict(colour_weight=-1.0), dict(type="alexnet")])
def test_config_validation(kwargs):
    with pytest.raises(ValueError):
        ParameterFreeConfig(**kwargs)
