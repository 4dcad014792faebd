"""Golden test of THE crop against PySOT's get_subwindow on every parity frame: window
position, padding and the exact pixel sum of every template and search crop."""
import numpy as np
import pytest

from siam_tracker_ros.core.crop import crop_patch, crop_window

from pysot_parity_data import CASES, expected, frames


@pytest.mark.parametrize("case", sorted(CASES))
def test_crops_match_pysot_on_every_frame(case):
    exp = expected(case)
    video = frames()
    init = exp["init"]
    pad = np.asarray(init["channel_average"])
    assert np.array_equal(np.mean(video[0], axis=(0, 1)), pad)
    crop = init["crop"]
    patch, win = crop_patch(video[0], crop["center"], crop["side"], crop["out"], pad)
    assert [win.xmin, win.ymin] == crop["window_xy"] and list(win.pad_ltrb) == crop["pad_ltrb"]
    assert patch.shape == (127, 127, 3) and patch.dtype == np.uint8
    assert int(patch.sum(dtype=np.int64)) == init["zcrop_sum"]
    for rec in exp["results"]:
        crop = rec["crop"]
        frame = video[rec["frame"]]
        patch, win = crop_patch(frame, crop["center"], crop["side"], crop["out"], pad)
        where = f"frame {rec['frame']}"
        assert [win.xmin, win.ymin] == crop["window_xy"], where
        assert list(win.pad_ltrb) == crop["pad_ltrb"], where
        assert patch.shape == (crop["out"], crop["out"], 3), where
        assert int(patch.sum(dtype=np.int64)) == rec["xcrop_sum"], where
        assert crop_window(crop["center"], crop["side"], crop["out"], frame.shape[:2]) == win


def test_crop_pads_with_truncated_mean_colour():
    frame = np.zeros((20, 30, 3), np.uint8)
    patch, win = crop_patch(frame, (-50.0, -50.0), 11, 11, (142.9, 0.5, 255.0))
    assert win.pad_ltrb == (56, 56, 0, 0)  # entirely outside the frame
    assert np.all(patch == np.array([142, 0, 255], np.uint8))


def test_device_crop_is_close_to_the_exact_crop():
    """crop_patch_tensor (the exact=False departure): same geometry, pixels within one grey
    level of OpenCV's resize (checked on CPU tensors, including up/downsampling and padding)."""
    import torch

    from siam_tracker_ros.core.crop import crop_patch_tensor

    exp = expected("siamrpn_r50_l234_dwxcorr_lt_lowconf")
    pad = exp["init"]["channel_average"]
    video = frames()
    for rec in exp["results"][3:8]:                # includes a 721 px window -> 831 (lost)
        crop = rec["crop"]
        frame = video[rec["frame"]]
        want, win = crop_patch(frame, crop["center"], crop["side"], crop["out"], pad)
        got, win_t = crop_patch_tensor(torch.from_numpy(frame.copy()), crop["center"],
                                       crop["side"], crop["out"], pad)
        assert win_t == win
        assert got.shape == (1, 3, crop["out"], crop["out"]) and got.dtype == torch.float32
        diff = np.abs(got[0].numpy() - want.transpose(2, 0, 1).astype(np.float32))
        assert diff.max() <= 1.0 and diff.mean() < 0.2, rec["frame"]
    same, _ = crop_patch_tensor(torch.from_numpy(video[1].copy()), (150.0, 100.0), 255, 255, pad)
    exact, _ = crop_patch(video[1], (150.0, 100.0), 255, 255, pad)
    assert np.array_equal(same[0].numpy(), exact.transpose(2, 0, 1).astype(np.float32))


@pytest.mark.parametrize("shape", [(480, 640, 3), (577, 769, 3), (31, 17, 1), (9, 11, 4), (1080, 1920, 3)])
def test_channel_mean_is_bit_identical_to_numpy(shape):
    from siam_tracker_ros.core.crop import channel_mean
    rng = np.random.default_rng(sum(shape))
    for frame in (rng.integers(0, 256, shape, dtype=np.uint8),
                  np.full(shape, 255, np.uint8),                      # largest sums
                  rng.integers(0, 256, (shape[0] + 6, shape[1] + 8, shape[2]),
                               dtype=np.uint8)[3:-3, 4:-4]):          # a non-contiguous view
        expected = np.mean(frame, axis=(0, 1))
        got = channel_mean(frame)
        assert got.dtype == np.float64 and got.shape == (shape[2],)
        assert got.tobytes() == expected.tobytes()


def test_channel_mean_of_other_frames_goes_through_numpy():
    from siam_tracker_ros.core.crop import channel_mean
    frame = np.random.default_rng(0).random((5, 6, 3)).astype(np.float32)
    assert np.array_equal(channel_mean(frame), np.mean(frame, axis=(0, 1), dtype=np.float64))
