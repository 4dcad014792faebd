"""Anchors and cosine window in PySOT's layout: (anchor, y, x) order, 8-px grid centred on
the crop centre, int()-truncated anchor sizes."""
import numpy as np
import pytest

from siam_tracker_ros.core.anchors import base_anchor_sizes, cosine_window, generate_anchors

RATIOS = (0.33, 0.5, 1, 2, 3)


def test_base_sizes_use_pysot_truncation():
    sizes = base_anchor_sizes(8, RATIOS, (8,))
    assert sizes.dtype == np.float32
    assert sizes.tolist() == [[104, 32], [88, 40], [64, 64], [40, 80], [32, 96]]


@pytest.mark.parametrize("score_size, first", [(25, -96), (21, -80), (97, -384)])
def test_grid_and_order(score_size, first):
    anchors = generate_anchors(score_size, 8, RATIOS, (8,))
    s = score_size
    assert anchors.shape == (5 * s * s, 4) and anchors.dtype == np.float32
    grid = anchors.reshape(5, s, s, 4)
    assert grid[0, 0, 0, 0] == first and grid[0, 0, 0, 1] == first
    assert grid[0, 0, -1, 0] == -first and grid[0, -1, 0, 1] == -first
    assert np.all(np.diff(grid[..., 0], axis=2) == 8) and np.all(np.diff(grid[..., 1], axis=1) == 8)
    assert np.all(grid[:, s // 2, s // 2, :2] == 0)
    for a, (w, h) in enumerate(base_anchor_sizes(8, RATIOS, (8,))):
        assert np.all(grid[a, :, :, 2] == w) and np.all(grid[a, :, :, 3] == h)
    # flat index = a * S * S + y * S + x
    a, y, x = 3, 4, 7
    assert anchors[a * s * s + y * s + x].tolist() == [first + 8 * x, first + 8 * y, 40, 80]


def test_cosine_window():
    win = cosine_window(25, 5)
    assert win.shape == (5 * 625,) and win.dtype == np.float64
    one = win[:625].reshape(25, 25)
    assert np.array_equal(one, np.outer(np.hanning(25), np.hanning(25)))
    assert one[12, 12] == 1.0 and one[0, 5] == 0.0
    assert np.array_equal(win[625:1250], win[:625])
