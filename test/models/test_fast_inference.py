"""The opt-in fast model (BN folded, channels-last) computes the same function up to float
rounding and leaves the original model untouched."""
import torch
from torch import nn

from siam_tracker_ros.models.checkpoint import state_dict_content_hash
from siam_tracker_ros.models.fast_inference import prepare_fast_inference

from parity_models import INIT_CENTER, INIT_SIDE, crop_tensor, expected, reference_model

NAME = "siamrpn_alex_dwxcorr"


@torch.inference_mode()
def test_fast_alex_matches_exact_model():
    model = reference_model(NAME)
    before = state_dict_content_hash(model.state_dict())
    fast = prepare_fast_inference(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fast.modules())
    assert fast.backbone.features[0].weight.is_contiguous(memory_format=torch.channels_last)
    rec = expected(NAME)["results"][0]
    z = crop_tensor(INIT_CENTER, INIT_SIDE, 127, 0)
    x = crop_tensor(tuple(rec["crop"]["center"]), rec["crop"]["side"], rec["crop"]["out"], 1)
    exact = model.track(x, model.template(z))
    quick = fast.track(x, fast.template(z, cache_kernels=True))
    for key in ("cls", "loc"):
        scale = float(exact[key].abs().max())
        assert float((quick[key] - exact[key]).abs().max()) < 1e-4 * scale
    assert state_dict_content_hash(model.state_dict()) == before


@torch.inference_mode()
def test_fold_only_keeps_nchw():
    model = reference_model(NAME)
    fast = prepare_fast_inference(model, channels_last=False)
    assert fast.backbone.features[0].weight.is_contiguous()
    z = crop_tensor(INIT_CENTER, INIT_SIDE, 127, 0)
    torch.testing.assert_close(fast.template(z).zf[0], model.template(z).zf[0], atol=2e-3, rtol=1e-4)
