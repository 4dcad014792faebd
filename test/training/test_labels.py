"""training.labels: the label set-up shared by anchor, SiamFC and point targets."""
import numpy as np

from siam_tracker_ros.training.labels import cell_grid, crop_centre, label_map, pick
from siam_tracker_ros.training.point_targets import point_grid


def test_cell_grid_centres_the_middle_cell_on_the_state_centre():
    grid = cell_grid(17, 8, 255)
    assert grid[8] == crop_centre(255) == 127.0 and np.all(np.diff(grid) == 8)
    assert np.array_equal(point_grid(15, 16, 255), cell_grid(15, 16, 255).astype(np.float32))


def test_pick_keeps_all_or_a_seeded_subset():
    rng = np.random.default_rng(0)
    few = np.arange(3)
    assert pick(rng, few, 5) is few
    chosen = pick(np.random.default_rng(1), np.arange(100), 10)
    assert chosen.size == 10 and np.unique(chosen).size == 10
    assert np.array_equal(chosen, np.random.default_rng(1).choice(np.arange(100), size=10, replace=False))


def test_label_map_background_after_target():
    cls = label_map((1, 3, 3), np.array([0, 4]), np.array([4, 8]))
    assert cls.dtype == np.int64 and cls.shape == (1, 3, 3)
    assert cls.reshape(-1).tolist() == [1, -1, -1, -1, 0, -1, -1, -1, 0]
    assert (label_map((2, 2)) == -1).all()
