"""validate_init_box refuses boxes no tracker can use: under 1 px, or more than twice the frame
(a fuzzed 1e308-wide box made the crop overflow / allocate exabytes)."""
import math

import pytest

from siam_tracker_ros.core.errors import InvalidInputError
from siam_tracker_ros.core.types import validate_init_box

FRAME = (120, 160, 3)


@pytest.mark.parametrize("box", [
    (-1e300, 10, 1e308, 20), (10, 10, 321, 20), (10, 10, 20, 241), (10, 10, 5e-324, 20),
    (10, 10, 0.5, 20), (10, 10, math.inf, 20), (math.nan, 10, 20, 20),
])
def test_unusable_boxes_are_refused_with_one_line(box):
    with pytest.raises(InvalidInputError) as err:
        validate_init_box(box, FRAME)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("box", [(10, 10, 1, 1), (-100, -100, 320, 240), (150, 110, 40, 40)])
def test_usable_boxes_pass(box):
    assert validate_init_box(box, FRAME) == tuple(float(v) for v in box)
