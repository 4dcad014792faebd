"""SiamMask geometry on PySOT's frame-1 refinement logits: warp back into the frame, binary
mask, polygon; plus polygon fallback, corner order and rotation."""
import hashlib
import math

import cv2
import numpy as np
import torch

from siam_tracker_ros.core.mask_projection import (box_corners, canonical_corners,
                                                   exemplar_window_xywh, mask_geometry,
                                                   warp_mask_to_frame)

from pysot_parity_data import debug_arrays, expected


def test_frame1_mask_matches_pysot():
    rec = expected("siammask_r50_l3")["results"][0]
    dbg = debug_arrays("siammask_r50_l3")
    mask = torch.from_numpy(dbg["frame1_refine_logits"]).sigmoid().view(127, 127).numpy()
    row, col = rec["refine_pos"]
    crop = rec["crop"]
    window = exemplar_window_xywh(crop["center"], crop["side"], 255, 127, 8, 8, (row, col))
    prob = warp_mask_to_frame(mask, window, (240, 320))
    assert prob.shape == (240, 320) and prob.dtype == np.float32
    # OpenCV versions differ in the last bit of the bilinear warp
    np.testing.assert_allclose(prob, dbg["frame1_mask_in_img"], rtol=0, atol=1e-6)
    geom = mask_geometry(prob, 0.15, (0, 0, 10, 10))
    assert geom.from_mask and geom.mask.dtype == np.uint8
    assert int(geom.mask.sum()) == rec["mask_sum"]
    digest = hashlib.sha256(b"uint8" + b"(240, 320)" + geom.mask.tobytes()).hexdigest()
    assert digest == rec["mask_sha256"]
    assert geom.polygon.reshape(-1).tolist() == rec["polygon"]
    assert geom.theta == 0.0


def test_small_mask_falls_back_to_state_box():
    prob = np.zeros((50, 60), np.float32)
    prob[10:19, 10:19] = 0.9                      # contour area 64 px <= 100
    geom = mask_geometry(prob, 0.5, (1.5, 2.5, 20.0, 10.0))
    assert not geom.from_mask and geom.theta == 0.0
    assert geom.polygon.tolist() == [[1.5, 2.5], [21.5, 2.5], [21.5, 12.5], [1.5, 12.5]]
    assert int(geom.mask.sum()) == 81
    assert np.array_equal(box_corners((1.5, 2.5, 20.0, 10.0)), geom.polygon)


def test_rotated_mask_gives_rotated_polygon_and_theta():
    prob = np.zeros((200, 200), np.float32)
    rect = ((100.0, 100.0), (80.0, 30.0), 20.0)
    cv2.fillPoly(prob, [np.round(cv2.boxPoints(rect)).astype(np.int32)], 1.0)
    geom = mask_geometry(prob, 0.5, (0, 0, 1, 1))
    assert geom.from_mask
    # long side rotated 20 degrees clockwise on screen (y down) -> theta = -20 degrees
    assert abs(math.degrees(geom.theta) + 20.0) < 1.5
    poly = geom.polygon
    assert poly.shape == (4, 2) and poly.dtype == np.float32
    sums = poly.sum(axis=1)
    assert sums[0] == sums.min()


def test_canonical_corner_order():
    tl_first = [[0, 0], [4, 0], [4, 2], [0, 2]]
    for shift in range(4):
        pts = np.roll(np.array(tl_first, np.float32), shift, axis=0)
        assert canonical_corners(pts).tolist() == tl_first
        assert canonical_corners(pts[::-1]).tolist() == tl_first
