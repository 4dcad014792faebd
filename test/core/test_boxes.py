"""core.boxes: the one IoU and the one template context side (bit-identical arithmetic)."""
import math

import numpy as np
import pytest

from siam_tracker_ros.core.boxes import box_iou, context_side, context_sides, iou_xywh, valid_boxes


def _pysot_side(w, h, ctx):
    """PySOT's own order: w_z = w + ctx (w + h), h_z = h + ctx (w + h), sqrt(w_z h_z)."""
    w_z = w + ctx * (w + h)
    h_z = h + ctx * (w + h)
    return float(np.sqrt(w_z * h_z))


def test_context_side_is_bit_identical_to_pysots_expression():
    rng = np.random.default_rng(0)
    for w, h in rng.uniform(0.5, 900.0, (500, 2)):
        size = np.array([w, h], dtype=np.float64)
        for ctx in (0.5, 0.3, 0.25):
            assert context_side(size, ctx) == _pysot_side(size[0], size[1], ctx)


def test_context_sides_keeps_float32():
    w = np.array([10.5, 33.25, 1.0], np.float32)
    h = np.array([20.0, 7.75, 1.0], np.float32)
    got = context_sides(w, h, np.float32(0.5))
    pad = (w + h) * np.float32(0.5)
    assert got.dtype == np.float32 and np.array_equal(got, np.sqrt((w + pad) * (h + pad)))
    assert context_side((10.0, 20.0)) == math.sqrt((10 + 15) * (20 + 15))


@pytest.mark.parametrize("a,b", [((0, 0, 10, 10), (5, 5, 10, 10)), ((1.5, 2, 3, 4), (1.5, 2, 3, 4)),
                                 ((0, 0, 4, 4), (10, 10, 2, 2)), ((3, 1, 7.25, 2.5), (2, 0.5, 4, 9))])
def test_scalar_and_vector_iou_agree(a, b):
    assert box_iou(a, b) == pytest.approx(float(iou_xywh(a, b)[0]), abs=1e-15)


def test_iou_edge_cases():
    assert box_iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0
    assert iou_xywh([[0, 0, np.nan, 1], [0, 0, 2, 2]], [0, 0, 2, 2]).tolist() == [0.0, 1.0]
    assert valid_boxes([[0, 0, 1, 1], [0, 0, 0, 1], [np.inf, 0, 1, 1]]).tolist() == [True, False, False]
    assert iou_xywh([-5, -5, 10, 10], [0, 0, 5, 5], bound_wh=(100, 100))[0] == 1.0
