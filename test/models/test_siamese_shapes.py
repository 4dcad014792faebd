"""Shapes and batching of small random models of every supported part, the stateless
template/track API, and builder errors."""
import pytest
import torch

from siam_tracker_ros.core.errors import ConfigError
from siam_tracker_ros.models.pysot_config import pysot_config_from_mapping
from siam_tracker_ros.models.builder import build_model


def _model(backbone, rpn, adjust=None, mask=None, seed=0):
    cfg = {"BACKBONE": backbone, "RPN": rpn, "ADJUST": adjust or {"ADJUST": False}}
    if mask:
        cfg.update(mask)
    torch.manual_seed(seed)
    return build_model(pysot_config_from_mapping(cfg, name="tiny").model)


def _alex(rpn):
    return _model({"TYPE": "alexnetlegacy", "KWARGS": {"width_mult": 0.25}}, rpn)


def _mobilenet(weighted):
    return _model({"TYPE": "mobilenetv2", "KWARGS": {"used_layers": [3, 5, 7], "width_mult": 0.25}},
                  {"TYPE": "MultiRPN", "KWARGS": {"anchor_num": 5, "in_channels": [8, 8, 16], "weighted": weighted}},
                  {"ADJUST": True, "TYPE": "AdjustAllLayer",
                   "KWARGS": {"in_channels": [8, 24, 80], "out_channels": [8, 8, 16]}})


def _images(n, size, seed=1):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed)) * 255


@torch.inference_mode()
def test_alexnet_depthwise_shapes_and_batch():
    model = _alex({"TYPE": "DepthwiseRPN", "KWARGS": {"anchor_num": 5, "in_channels": 64, "out_channels": 16}})
    tf = model.template(_images(2, 127))
    assert [tuple(z.shape) for z in tf.zf] == [(2, 64, 6, 6)] and tf.batch_size == 2 and not tf.cached
    out = model.track(_images(2, 287), tf)
    assert out["cls"].shape == (2, 10, 21, 21) and out["loc"].shape == (2, 20, 21, 21)
    assert "mask_context" not in out and not model.has_mask


@torch.inference_mode()
def test_up_channel_rpn_shapes_and_cached_kernels():
    model = _alex({"TYPE": "UPChannelRPN", "KWARGS": {"anchor_num": 5, "feature_in": 64}})
    z, x = _images(1, 127), _images(1, 287)
    out = model.track(x, model.template(z))
    assert out["cls"].shape == (1, 10, 21, 21) and out["loc"].shape == (1, 20, 21, 21)
    cached = model.track(x, model.template(z, cache_kernels=True))
    assert torch.equal(cached["cls"], out["cls"]) and torch.equal(cached["loc"], out["loc"])


@pytest.mark.parametrize("weighted", [True, False])
@torch.inference_mode()
def test_mobilenet_multirpn_batch_equals_single_samples(weighted):
    model = _mobilenet(weighted)
    assert model.backbone.out_channels == (8, 24, 80)
    assert ("rpn_head.cls_weight" in model.state_dict()) == weighted
    z, x = _images(2, 127), _images(2, 255, seed=2)
    tf = model.template(z, return_intermediates=True)
    assert [tuple(t.shape) for t in tf.backbone] == [(2, 8, 15, 15), (2, 24, 15, 15), (2, 80, 15, 15)]
    assert [tuple(t.shape) for t in tf.zf] == [(2, 8, 7, 7), (2, 8, 7, 7), (2, 16, 7, 7)]
    out = model.track(x, tf, return_intermediates=True)
    assert out["cls"].shape == (2, 10, 25, 25)
    assert [tuple(t.shape) for t in out["neck"]] == [(2, 8, 31, 31), (2, 8, 31, 31), (2, 16, 31, 31)]
    for n in range(2):
        single = model.track(x[n:n + 1], model.template(z[n:n + 1]))
        torch.testing.assert_close(single["cls"], out["cls"][n:n + 1], atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(single["loc"], out["loc"][n:n + 1], atol=1e-4, rtol=1e-4)


@torch.inference_mode()
def test_one_template_broadcasts_over_search_tiles():
    model = _alex({"TYPE": "DepthwiseRPN", "KWARGS": {"anchor_num": 5, "in_channels": 64, "out_channels": 16}})
    z, x = _images(1, 127), _images(3, 287, seed=3)
    for cache in (False, True):
        tf = model.template(z, cache_kernels=cache)
        out = model.track(x, tf)
        assert out["cls"].shape == (3, 10, 21, 21)
        torch.testing.assert_close(model.track(x[2:3], tf)["loc"], out["loc"][2:3], atol=1e-4, rtol=1e-4)


@torch.inference_mode()
def test_resnet18_neck_crop_and_larger_search():
    model = _model({"TYPE": "resnet18", "KWARGS": {"used_layers": [2, 3, 4]}},
                   {"TYPE": "MultiRPN", "KWARGS": {"anchor_num": 3, "in_channels": [8, 8, 8]}},
                   {"ADJUST": True, "TYPE": "AdjustAllLayer",
                    "KWARGS": {"in_channels": [128, 256, 512], "out_channels": [8, 8, 8]}})
    tf = model.template(_images(1, 127))
    assert [tuple(t.shape) for t in tf.zf] == [(1, 8, 7, 7)] * 3
    out = model.track(_images(1, 319), tf, return_intermediates=True)
    assert [tuple(t.shape) for t in out["backbone"]] == [(1, 128, 39, 39), (1, 256, 39, 39), (1, 512, 39, 39)]
    assert out["cls"].shape == (1, 6, 33, 33)


@pytest.mark.slow
@torch.inference_mode()
def test_siammask_shapes_refine_and_statelessness():
    model = _model({"TYPE": "resnet50", "KWARGS": {"used_layers": [0, 1, 2, 3]}},
                   {"TYPE": "DepthwiseRPN", "KWARGS": {"anchor_num": 5, "in_channels": 16, "out_channels": 16}},
                   {"ADJUST": True, "TYPE": "AdjustAllLayer", "KWARGS": {"in_channels": [1024], "out_channels": [16]}},
                   {"MASK": {"MASK": True, "TYPE": "MaskCorr",
                             "KWARGS": {"in_channels": 16, "hidden": 256, "out_channels": 3969}},
                    "REFINE": {"REFINE": True, "TYPE": "Refine"}})
    assert model.has_mask
    attrs_before = set(vars(model))
    tf = model.template(_images(2, 127), return_intermediates=True)
    assert [tuple(t.shape) for t in tf.backbone] == [(2, 64, 61, 61), (2, 256, 31, 31), (2, 512, 15, 15),
                                                     (2, 1024, 15, 15)]
    assert [tuple(t.shape) for t in tf.zf] == [(2, 16, 7, 7)]
    out = model.track(_images(2, 255), tf, return_intermediates=True)
    ctx = out["mask_context"]
    assert [tuple(t.shape) for t in ctx.features] == [(2, 64, 125, 125), (2, 256, 63, 63), (2, 512, 31, 31)]
    assert ctx.corr_feature.shape == (2, 256, 25, 25) and out["mask_head"][0].shape == (2, 3969, 25, 25)
    assert "mask_head" not in model.track(_images(2, 255), tf)
    logits = model.mask_refine(ctx, (0, 24))
    assert logits.shape == (2, 127 * 127) and torch.isfinite(logits).all()
    with pytest.raises(ValueError, match="outside"):
        model.mask_refine(ctx, (25, 0))
    assert set(vars(model)) == attrs_before


def test_mask_refine_on_a_model_without_mask():
    model = _alex({"TYPE": "DepthwiseRPN", "KWARGS": {"anchor_num": 5, "in_channels": 64, "out_channels": 16}})
    with pytest.raises(RuntimeError, match="SiamMask"):
        model.mask_refine(None, (0, 0))


@pytest.mark.parametrize("backbone, fragment", [
    ({"TYPE": "vgg16"}, "BACKBONE.TYPE 'vgg16'"),
    ({"TYPE": "resnet50", "KWARGS": {"used_layer": [2]}}, "used_layer"),
    ({"TYPE": "resnet50", "KWARGS": {"used_layers": [5]}}, "used_layers"),
])
def test_builder_errors_name_the_problem(backbone, fragment):
    cfg = pysot_config_from_mapping({"BACKBONE": backbone, "ADJUST": {"ADJUST": False}}, name="bad",
                                    source="bad/config.yaml")
    with pytest.raises(ConfigError) as err:
        build_model(cfg.model)
    assert fragment in str(err.value) and "bad/config.yaml" in str(err.value)
