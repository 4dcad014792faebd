"""Pair sampling: crop geometry (matches the tracker's crop), jitter spread, negatives share,
determinism, sources and their errors."""
import cv2
import numpy as np
import pytest

from siam_tracker_ros.core.crop import crop_patch
from siam_tracker_ros.core.errors import ConfigError
from siam_tracker_ros.core.boxes import context_side
from siam_tracker_ros.data.augment import (CropJitter, jittered_crop, mean_color,
                                           motion_blur_kernel, photometric)
from siam_tracker_ros.data.pairs import (PairSampler, PairSamplerConfig, SequencePairSource,
                                         StillImagePairSource, TargetView, flip_view, random_region_xywh)
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence

NO_JITTER = CropJitter()


def _image(seed=0, h=240, w=320):
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8)
    return np.repeat(np.repeat(small, 8, axis=0), 8, axis=1)


@pytest.fixture(scope="module")
def sequences():
    return [generate_sequence(SyntheticSpec(seed=900 + i, num_frames=30, speed_px=2.0, distractors=i % 2))
            for i in range(3)]


@pytest.mark.parametrize("box, out_size, context", [
    ((101.0, 83.0, 40.0, 30.0), 127, 1.0), ((100.3, 80.7, 41.2, 33.9), 255, 255 / 127),
    ((61.6, 40.2, 33.0, 52.0), 255, 255 / 127)])
def test_zero_jitter_crop_is_the_trackers_crop(box, out_size, context):
    frame = cv2.GaussianBlur(_image(1), (0, 0), 2.0)
    side = round(context_side(box[2:]) * context)
    ours, ours_box = jittered_crop(frame, box, out_size, side, NO_JITTER, np.random.default_rng(0))
    centre = (box[0] + (box[2] - 1) / 2, box[1] + (box[3] - 1) / 2)      # the tracker's init centre
    theirs, _ = crop_patch(frame, centre, side, out_size, mean_color(frame))
    diff = np.abs(ours.astype(int) - theirs.astype(int))
    assert diff.mean() < 0.5 and diff.max() <= 12                       # interpolation rounding only
    k = out_size / side
    mid = (out_size - 1) / 2
    np.testing.assert_allclose(ours_box, [mid - box[2] / 2 * k, mid - box[3] / 2 * k,
                                          mid + box[2] / 2 * k, mid + box[3] / 2 * k], atol=1e-4)


def test_search_jitter_moves_and_scales_target():
    frame = _image(2)
    box = (140.0, 100.0, 40.0, 40.0)
    side = context_side(box[2:]) * 255 / 127
    jitter = CropJitter(shift_px=64, scale=0.18)
    rng = np.random.default_rng(3)
    boxes = np.array([jittered_crop(frame, box, 255, side, jitter, rng)[1] for _ in range(200)])
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    assert np.all(np.abs(centres - 127) <= 64 + 1e-3)
    assert centres.std(axis=0).min() > 25          # uniform on +-64 px: std ~37 px (no centre bias)
    assert abs(centres.mean() - 127) < 8
    base = 40 * 255 / side
    assert widths.min() >= base * 0.82 - 1e-3 and widths.max() <= base * 1.18 + 1e-3
    assert np.std(widths / heights) > 0.05         # aspect changes too


def test_jittered_crop_content_follows_box():
    frame = np.full((200, 200, 3), 50, np.uint8)
    frame[80:120, 60:100] = 250                     # a bright 40x40 square
    rng = np.random.default_rng(5)
    crop, box = jittered_crop(frame, (60, 80, 40, 40), 255, 2 * 80 * 255 / 127,
                              CropJitter(shift_px=50, scale=0.1), rng)
    x0, y0, x1, y1 = box
    inner = crop[int(y0) + 3:int(y1) - 3, int(x0) + 3:int(x1) - 3]
    assert inner.size and inner.min() > 200
    assert crop[max(0, int(y0) - 6), int((x0 + x1) / 2)].max() < 120


def test_photometric_and_flip():
    patch = _image(4, 64, 64)
    rng = np.random.default_rng(0)
    out = photometric(patch, CropJitter(color=1.0, brightness=0.2, contrast=0.2, blur=1.0, motion_blur=1.0,
                                        gray=1.0), rng)
    assert out.dtype == np.uint8 and out.shape == patch.shape
    assert np.array_equal(out[..., 0], out[..., 1])            # grey
    assert np.array_equal(photometric(patch, NO_JITTER, rng), patch)
    k = motion_blur_kernel(9, 30.0)
    assert k.shape == (9, 9) and k.sum() == pytest.approx(1.0, abs=1e-5)
    frame = _image(5)
    view = flip_view(TargetView(frame, (10.0, 20.0, 30.0, 40.0), ("x", 0)))
    assert view.box_xywh == (280.0, 20.0, 30.0, 40.0)
    assert np.array_equal(view.frame[:, 319], frame[:, 0])


def test_sampler_is_deterministic_per_index(sequences):
    sampler = PairSampler([SequencePairSource(sequences, 10)], [1.0], PairSamplerConfig(), seed=7)
    a, b, c = sampler.sample(3), sampler.sample(3), sampler.sample(4)
    assert np.array_equal(a.search, b.search) and np.array_equal(a.template, b.template)
    assert not np.array_equal(a.search, c.search)
    assert a.template.shape == (127, 127, 3) and a.search.shape == (255, 255, 3)


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_negative_share(sequences, share):
    source = SequencePairSource(sequences, 10)
    sampler = PairSampler([source], [1.0], PairSamplerConfig(negative_share=share), seed=1)
    n = 120
    negatives = sum(not sampler.sample(i).positive for i in range(n))
    if share in (0.0, 1.0):
        assert negatives == int(share * n)
    else:
        assert abs(negatives / n - share) < 0.15


def test_negatives_use_another_target_or_far_region(sequences):
    source = SequencePairSource(sequences, 10, name="syn")
    cfg = PairSamplerConfig(negative_share=1.0, same_frame_negative_share=0.0)
    sampler = PairSampler([source], [1.0], cfg, seed=2)
    rng = np.random.default_rng(0)
    template, _ = source.sample_pair(rng)
    for i in range(10):
        view = sampler._negative_view(sampler.rng(i), template, template)
        assert view.identity != template.identity
    cfg = PairSamplerConfig(negative_share=1.0, same_frame_negative_share=1.0)
    sampler = PairSampler([source], [1.0], cfg, seed=2)
    view = sampler._negative_view(np.random.default_rng(1), template, template)
    (x, y, w, h), (tx, ty, tw, th) = view.box_xywh, template.box_xywh
    assert max(abs(x - tx), abs(y - ty)) > 0.5 * 64 * context_side((tw, th)) / 127


def test_sequence_source_respects_gap_and_visibility(sequences):
    source = SequencePairSource(sequences, max_gap=3)
    rng = np.random.default_rng(0)
    for _ in range(30):
        t, s = source.sample_pair(rng)
        assert t.identity == s.identity
        seq = sequences[t.identity[1]]
        ti = int(np.flatnonzero((seq.boxes_xywh == np.array(t.box_xywh)).all(axis=1))[0])
        si = int(np.flatnonzero((seq.boxes_xywh == np.array(s.box_xywh)).all(axis=1))[0])
        assert abs(ti - si) <= 3 and seq.visible[si]


def test_still_source_and_random_region():
    image = _image(6)
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, y, w, h = random_region_xywh(image, rng)
        assert x >= 0 and y >= 0 and x + w <= 320 and y + h <= 240 and w > 4 and h > 4
    source = StillImagePairSource([image], boxes_xywh=[(10, 10, 50, 40)])
    t, s = source.sample_pair(rng)
    assert t.box_xywh == s.box_xywh == (10.0, 10.0, 50.0, 40.0)


def test_source_and_sampler_errors(sequences):
    with pytest.raises(ConfigError, match="no images"):
        StillImagePairSource([])
    with pytest.raises(ConfigError, match="boxes"):
        StillImagePairSource([_image()], boxes_xywh=[])
    with pytest.raises(ConfigError, match="uint8"):
        StillImagePairSource([np.zeros((64, 64), np.uint8)])
    with pytest.raises(ConfigError, match="max_gap"):
        SequencePairSource(sequences, -1)
    with pytest.raises(ConfigError, match="weight"):
        PairSampler([SequencePairSource(sequences, 1)], [0.0], PairSamplerConfig())
    with pytest.raises(ValueError):
        PairSamplerConfig(negative_share=1.5)
    with pytest.raises(ValueError):
        CropJitter(scale=1.5)


def test_semantic_negatives_from_other_objects(sequences):
    seq = sequences[0]
    n = len(seq)
    far = seq.boxes_xywh.copy()
    far[:, 0] = np.where(far[:, 0] > 160, 10.0, 260.0)        # another object across the frame
    near = seq.boxes_xywh.copy() + np.array([3.0, 0.0, 0.0, 0.0])   # overlapping the target
    cfg = PairSamplerConfig(negative_share=1.0, same_frame_negative_share=1.0)
    source = SequencePairSource([seq], 5, name="s", other_boxes=[far[:, None, :]])
    sampler = PairSampler([source], [1.0], cfg, seed=0)
    template, search = source.sample_pair(np.random.default_rng(0))
    view = sampler._negative_view(np.random.default_rng(1), template, search, source)
    assert view.identity == ("s", -2) and view.box_xywh == tuple(far[search.frame_index])
    # An object too close to the target would label the target's anchors negative: not used.
    source = SequencePairSource([seq], 5, name="s", other_boxes=[near[:, None, :]])
    view = sampler._negative_view(np.random.default_rng(1), template, search, source)
    assert view.identity == ("s", -1)                             # a background region instead
    with pytest.raises(ConfigError, match="other_boxes"):
        SequencePairSource([seq], 5, other_boxes=[np.zeros((n, 4))])
