"""Synthetic sequences: determinism, pinned presets, ground-truth/visibility consistency."""
import hashlib

import numpy as np
import pytest

from siam_tracker_ros.core.errors import ConfigError
from siam_tracker_ros.data.synthetic import (
    ATTRIBUTES, MIN_VISIBLE_FRACTION, PRESETS, SyntheticSpec, _object_pixels, generate_sequence,
    load_preset)

# sha256 over every lt-small frame and its ground truth. Presets never change: if this fails,
# the generator changed and results on lt-small are no longer comparable with older ones.
LT_SMALL_SHA256 = "bdbc934407b12a8c88eac5b264bdab661d550935e176c22538275b783ce1b0fd"


def _digest(sequences):
    h = hashlib.sha256()
    for seq in sequences:
        h.update(seq.name.encode())
        for frame in seq.frames:
            h.update(frame.tobytes())
        h.update(np.nan_to_num(seq.boxes_xywh, nan=-1.0).round(6).tobytes())
        h.update(seq.visible.tobytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def lt_small():
    return load_preset("lt-small")


@pytest.mark.slow
def test_lt_small_checksum_is_pinned(lt_small):
    assert _digest(lt_small) == LT_SMALL_SHA256


def test_same_spec_gives_identical_frames_in_any_order():
    spec = SyntheticSpec(seed=7, num_frames=30, distractors=1, occlusions=((5, 6, 0.5),),
                         motion_blur=True, fast_motion_frames=((10, 3),), illumination_change=0.3)
    a, b = generate_sequence(spec), generate_sequence(spec)
    forward = [a.frames[t] for t in range(30)]
    backward = [b.frames[t] for t in reversed(range(30))][::-1]
    for fa, fb in zip(forward, backward):
        assert fa.dtype == np.uint8 and fa.shape == (240, 320, 3)
        np.testing.assert_array_equal(fa, fb)
    np.testing.assert_array_equal(a.boxes_xywh, b.boxes_xywh)
    other = generate_sequence(SyntheticSpec(seed=8, num_frames=30))
    assert not np.array_equal(other.frames[0], forward[0])


def test_every_attribute_is_in_lt_small_and_st_small_stays_in_view(lt_small):
    covered = set().union(*(seq.attributes for seq in lt_small))
    assert covered == set(ATTRIBUTES)
    assert len(lt_small) == 6 and all(100 <= len(s) <= 150 for s in lt_small)
    for spec in PRESETS["st-small"]:
        assert not spec.out_of_view
    assert len(PRESETS["lt-full"]) == 20


def test_ground_truth_is_consistent_with_visibility(lt_small):
    for seq in lt_small:
        n = len(seq)
        assert seq.boxes_xywh.shape == (n, 4) and seq.visible.shape == (n,) and len(seq.frames) == n
        finite = np.isfinite(seq.boxes_xywh).all(axis=1)
        assert np.array_equal(finite, ~np.isnan(seq.boxes_xywh).any(axis=1))  # whole rows only
        assert not np.any(seq.visible & ~finite)
        assert np.all(seq.visibility_ratio[~finite] == 0)
        assert np.all((seq.visibility_ratio >= 0) & (seq.visibility_ratio <= 1))
        np.testing.assert_array_equal(seq.visible, finite & (seq.visibility_ratio >= MIN_VISIBLE_FRACTION))
        boxes = seq.boxes_xywh[finite]
        assert np.all(boxes[:, 2:] > 0)
        assert np.all(boxes[:, 0] >= 0) and np.all(boxes[:, 1] >= 0)
        assert np.all(boxes[:, 0] + boxes[:, 2] <= 320 + 1e-9) and np.all(boxes[:, 1] + boxes[:, 3] <= 240 + 1e-9)
        assert seq.visible[0] and seq.init_box_xywh == tuple(seq.boxes_xywh[0])
        np.testing.assert_array_equal(seq.frame_flags["out_of_view"] & finite, np.zeros(n, bool))


def test_box_is_tight_around_rendered_target(lt_small):
    seq = lt_small[0]  # scale change + rotation
    target = seq.frames.target
    for t in range(0, len(seq), 7):
        x0, y0, mask, _ = _object_pixels(target, t, (320, 240))
        rows, cols = np.nonzero(mask)
        x, y, w, h = seq.boxes_xywh[t]
        # pixel centres of the rendered target lie inside the box and reach within 1.5 px of each side
        assert cols.min() + x0 + 0.5 >= x and cols.max() + x0 + 0.5 <= x + w
        assert rows.min() + y0 + 0.5 >= y and rows.max() + y0 + 0.5 <= y + h
        assert cols.min() + x0 + 0.5 - x < 1.5 and x + w - (cols.max() + x0 + 0.5) < 1.5
        assert rows.min() + y0 + 0.5 - y < 1.5 and y + h - (rows.max() + y0 + 0.5) < 1.5


def test_target_pixels_show_in_the_frame():
    spec = SyntheticSpec(seed=3, num_frames=3)
    seq = generate_sequence(spec)
    x0, y0, mask, colours = _object_pixels(seq.frames.target, 1, (320, 240))
    frame = seq.frames[1].astype(int)
    region = frame[y0:y0 + mask.shape[0], x0:x0 + mask.shape[1]]
    # no illumination change: only the +-3 sensor noise separates frame and texture
    assert np.abs(region[mask] - colours[mask].astype(int)).max() <= 3


def test_out_of_view_leaves_and_reenters_through_different_borders():
    for spec in PRESETS["lt-small"] + PRESETS["lt-full"]:
        if not spec.out_of_view:
            continue
        seq = generate_sequence(spec)
        finite = np.isfinite(seq.boxes_xywh[:, 0])
        for start, length in spec.out_of_view:
            assert not finite[start:start + length].any()
            before_t = int(np.nonzero(finite[:start])[0][-1])
            assert start - before_t <= 3
            before = seq.boxes_xywh[before_t]
            after_t = start + length + int(np.argmax(finite[start + length:]))
            after = seq.boxes_xywh[after_t]
            assert after_t - (start + length) <= 3

            def borders(box):
                x, y, w, h = box
                return {i for i, touch in enumerate((x <= 0.5, x + w >= 319.5, y <= 0.5, y + h >= 239.5)) if touch}

            assert borders(before) and borders(after) and not borders(before) & borders(after), spec.name


def test_full_occlusion_keeps_box_but_hides_target(lt_small):
    seq = lt_small[2]  # (70, 20, 1.0)
    assert np.isfinite(seq.boxes_xywh[76:86]).all()
    assert not seq.visible[76:86].any() and np.all(seq.visibility_ratio[76:86] == 0)
    assert np.allclose(seq.visibility_ratio[29:37], 0.5, atol=0.06)  # (25, 15, 0.5) held part
    assert seq.frame_flags["occluded"][25:40].all() and not seq.frame_flags["occluded"][:25].any()


def test_frames_slice_and_iterate():
    seq = generate_sequence(SyntheticSpec(seed=11, num_frames=5))
    assert len(seq.frames[1:3]) == 2
    np.testing.assert_array_equal(seq.frames[-1], seq.frames[4])
    assert sum(1 for _ in seq.frames) == 5
    with pytest.raises(IndexError):
        seq.frames[5]


@pytest.mark.parametrize("kwargs", [
    dict(num_frames=1),
    dict(num_frames=50, occlusions=((10, 5, 1.5),)),
    dict(num_frames=50, out_of_view=((40, 10),)),
    dict(num_frames=80, out_of_view=((20, 5),), occlusions=((30, 5, 1.0),)),
    dict(num_frames=50, scale_range=(1.0, 4.0)),
    dict(num_frames=50, illumination_change=1.5),
])
def test_invalid_specs_raise_config_error(kwargs):
    with pytest.raises(ConfigError):
        SyntheticSpec(seed=1, **kwargs)


def test_unknown_preset_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown synthetic preset"):
        load_preset("nope")
