"""Training reads annotated datasets through the evaluation readers (``data.datasets``)."""
import cv2
import numpy as np
import pytest

from siam_tracker_ros.core.errors import SiamTrackerError
from siam_tracker_ros.training.dataset import _read_dataset


def test_folder_dataset_is_read_through_the_evaluation_readers(tmp_path):
    seq = tmp_path / "walk"
    seq.mkdir()
    for i in range(3):
        cv2.imwrite(str(seq / f"{i:04d}.jpg"), np.full((24, 32, 3), 40 * i, np.uint8))
    (seq / "groundtruth.txt").write_text("1,2,5,6\n2,2,5,6\n3,2,5,6\n")
    sequences = _read_dataset("folder", str(tmp_path))
    assert [s.name for s in sequences] == ["walk"]
    np.testing.assert_allclose(sequences[0].boxes_xywh[2], [3, 2, 5, 6])


def test_unknown_dataset_format_is_one_clear_error(tmp_path):
    with pytest.raises(SiamTrackerError, match="unknown dataset"):
        _read_dataset("no-such-format", str(tmp_path))
