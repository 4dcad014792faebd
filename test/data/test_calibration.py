"""int8 calibration crops: seeded (identical on every call), the tracker's input layout."""
import numpy as np

from siam_tracker_ros.data.calibration import calibration_crops


def test_calibration_crops_are_seeded_and_shaped():
    template, searches = calibration_crops(127, 255, count=4)
    again_template, again = calibration_crops(127, 255, count=4)
    assert template.shape == (1, 3, 127, 127) and template.dtype == np.float32
    assert [s.shape for s in searches] == [(1, 3, 255, 255)] * 4
    assert np.array_equal(template, again_template)
    assert all(np.array_equal(a, b) for a, b in zip(searches, again))
    assert 0.0 <= min(s.min() for s in searches) and max(s.max() for s in searches) <= 255.0
    assert template.std() > 5.0  # textured, not a flat pad
