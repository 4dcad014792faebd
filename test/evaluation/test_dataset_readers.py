"""Dataset readers on tiny fixture folders (a few seeded 32x24 frames) built per test."""
import json

import cv2
import numpy as np
import pytest

from siam_tracker_ros.core.errors import InvalidInputError
from siam_tracker_ros.evaluation.datasets import dataset_names, load_dataset
from siam_tracker_ros.evaluation.sequences import normalize_rows

NAN = float("nan")


def _frames(folder, n, pattern="{:04d}.jpg", start=1, seed=0):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        img = rng.integers(0, 256, size=(24, 32, 3), dtype=np.uint8)
        cv2.imwrite(str(folder / pattern.format(i + start)), img)


def _write(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def _assert_lazy_frames(seq):
    assert len(seq.frames) == len(seq)
    frame = seq.frames[len(seq) - 1]
    assert frame.shape == (24, 32, 3) and frame.dtype == np.uint8


def test_normalize_rows_boxes_polygons_and_absence():
    boxes, polys = normalize_rows([[1, 2, 3, 4], [NAN] * 4, [0, 0, 0, 5], []], "t")
    np.testing.assert_array_equal(boxes[0], [1, 2, 3, 4])
    assert np.isnan(boxes[1:]).all() and polys is None
    boxes, polys = normalize_rows([[0, 0, 4, 0, 4, 2, 0, 2], [1, 1, 2, 2]], "t")
    np.testing.assert_array_equal(boxes, [[0, 0, 4, 2], [1, 1, 2, 2]])
    assert polys.shape == (2, 4, 2)
    np.testing.assert_array_equal(polys[1], [[1, 1], [3, 1], [3, 3], [1, 3]])
    with pytest.raises(InvalidInputError, match="line 1 has 3 values"):
        normalize_rows([[1, 2, 3]], "t")


def test_otb_folder_layout(tmp_path):
    _frames(tmp_path / "Car" / "img", 3)
    _write(tmp_path / "Car" / "groundtruth_rect.txt", ["1,2,10,8", "2\t3\t10\t8", "3 4 10 8"])
    _frames(tmp_path / "Jogging" / "img", 2, seed=1)
    _write(tmp_path / "Jogging" / "groundtruth_rect.1.txt", ["1,1,5,5", "2,2,5,5"])
    _write(tmp_path / "Jogging" / "groundtruth_rect.2.txt", ["9,9,5,5", "8,8,5,5"])
    seqs = load_dataset("otb", tmp_path)
    assert [s.name for s in seqs] == ["Car", "Jogging-1", "Jogging-2"]
    np.testing.assert_array_equal(seqs[0].boxes_xywh, [[1, 2, 10, 8], [2, 3, 10, 8], [3, 4, 10, 8]])
    assert seqs[0].visible.all() and seqs[0].init_box_xywh == (1, 2, 10, 8)
    _assert_lazy_frames(seqs[0])
    only = load_dataset("otb", tmp_path, ["Jogging-2"])
    assert len(only) == 1 and only[0].boxes_xywh[0, 0] == 9
    with pytest.raises(InvalidInputError, match="no sequence"):
        load_dataset("otb", tmp_path, ["Nope"])


def test_pysot_json_index(tmp_path):
    _frames(tmp_path / "Basket" / "img", 3)
    index = {"Basket": {"video_dir": "Basket", "init_rect": [1, 1, 4, 4],
                        "img_names": [f"Basket/img/{i:04d}.jpg" for i in range(1, 4)],
                        "gt_rect": [[1, 1, 4, 4], [2, 2, 4, 4], [0, 0, 0, 0]], "attr": ["IV", "SV"],
                        "absent": [1, 1, 0]}}
    (tmp_path / "OTB100.json").write_text(json.dumps(index))
    for name, root in (("pysot-json", tmp_path / "OTB100.json"), ("otb", tmp_path)):
        seq, = load_dataset(name, root)
        assert seq.attributes == ("IV", "SV")
        assert seq.visible.tolist() == [True, True, False] and np.isnan(seq.boxes_xywh[2]).all()
        _assert_lazy_frames(seq)


def test_vot_short_term_polygons_and_tags(tmp_path):
    root = tmp_path / "vot"
    _frames(root / "ball" / "color", 3, "{:08d}.jpg")
    _write(root / "ball" / "groundtruth.txt",
           ["1,1,9,1,9,5,1,5", "2.5,1.5,10.5,1.5,10.5,5.5,2.5,5.5", "3,2,8,4"])
    _write(root / "ball" / "occlusion.tag", ["0", "1", "0"])
    _write(root / "ball" / "camera_motion.tag", ["0", "0", "0"])
    _write(root / "list.txt", ["ball"])
    seq, = load_dataset("vot", root)
    np.testing.assert_allclose(seq.boxes_xywh[:2], [[1, 1, 8, 4], [2.5, 1.5, 8, 4]])
    np.testing.assert_allclose(seq.polygons[0], [[1, 1], [9, 1], [9, 5], [1, 5]])
    np.testing.assert_allclose(seq.polygons[2], [[3, 2], [11, 2], [11, 6], [3, 6]])  # 4-value row as a rectangle
    assert seq.attributes == ("occlusion",) and seq.frame_flags["occlusion"].tolist() == [False, True, False]
    _assert_lazy_frames(seq)


def test_vot_long_term_absence_and_mask_format(tmp_path):
    _frames(tmp_path / "car1", 4, "{:08d}.jpg")
    _write(tmp_path / "car1" / "groundtruth.txt", ["1,1,5,5", "nan,nan,nan,nan", "", "2,2,5,5"])
    seq, = load_dataset("vot-lt", tmp_path)
    assert seq.visible.tolist() == [True, False, False, True]
    assert np.isnan(seq.boxes_xywh[1:3]).all()
    _frames(tmp_path / "m" / "masked", 1)
    _write(tmp_path / "m" / "masked" / "groundtruth.txt", ["m1,1,2,2,1,1"])
    with pytest.raises(InvalidInputError, match="mask annotations"):
        load_dataset("vot", tmp_path / "m")


def test_lasot_flags(tmp_path):
    seq_dir = tmp_path / "airplane" / "airplane-1"
    _frames(seq_dir / "img", 4, "{:08d}.jpg")
    _write(seq_dir / "groundtruth.txt", ["1,1,5,5", "2,2,5,5", "0,0,0,0", "3,3,5,5"])
    _write(seq_dir / "full_occlusion.txt", ["0,1,0,0"])
    _write(seq_dir / "out_of_view.txt", ["0,0,1,0"])
    _write(tmp_path / "testing_set.txt", ["airplane-1"])
    seq, = load_dataset("lasot", tmp_path)
    assert seq.name == "airplane-1"
    assert seq.visible.tolist() == [True, False, False, True]
    assert np.isfinite(seq.boxes_xywh[1]).all() and np.isnan(seq.boxes_xywh[2]).all()
    assert set(seq.attributes) == {"full_occlusion", "out_of_view"}
    _assert_lazy_frames(seq)


def test_got10k_absence_and_cover(tmp_path):
    split = tmp_path / "val"
    _frames(split / "GOT-10k_Val_000001", 4, "{:08d}.jpg")
    _write(split / "GOT-10k_Val_000001" / "groundtruth.txt", ["1,1,5,5"] * 4)
    _write(split / "GOT-10k_Val_000001" / "absence.label", ["0", "0", "1", "0"])
    _write(split / "GOT-10k_Val_000001" / "cover.label", ["8", "4", "0", "0"])
    _write(split / "list.txt", ["GOT-10k_Val_000001"])
    seq, = load_dataset("got10k", split)
    assert seq.visible.tolist() == [True, True, False, False]
    np.testing.assert_allclose(seq.visibility_ratio, [1.0, 0.5, 0.0, 0.0])
    with pytest.raises(InvalidInputError, match="point --root at"):
        load_dataset("got10k", tmp_path)
    # test split: only the first frame is annotated
    _frames(tmp_path / "test" / "GOT-10k_Test_000001", 3, "{:08d}.jpg")
    _write(tmp_path / "test" / "GOT-10k_Test_000001" / "groundtruth.txt", ["1,1,5,5"])
    seq, = load_dataset("got10k", tmp_path / "test")
    assert len(seq) == 3 and np.isnan(seq.boxes_xywh[1:]).all()


def test_uav123_nan_rows_and_subsequences(tmp_path, capsys):
    _frames(tmp_path / "data_seq" / "UAV123" / "car1", 3, "{:06d}.jpg")
    _write(tmp_path / "anno" / "UAV123" / "car1.txt", ["1,1,5,5", "NaN,NaN,NaN,NaN", "2,2,5,5"])
    _write(tmp_path / "anno" / "UAV123" / "bird1_1.txt", ["1,1,5,5"])
    seq, = load_dataset("uav123", tmp_path)
    assert seq.name == "car1" and seq.visible.tolist() == [True, False, True]
    assert "bird1_1" in capsys.readouterr().err


def test_trackingnet_chunks(tmp_path):
    chunk = tmp_path / "TRAIN_0"
    _frames(chunk / "frames" / "abc_1", 3, "{}.jpg", start=0)
    _write(chunk / "anno" / "abc_1.txt", ["1,1,5,5", "2,2,5,5", "3,3,5,5"])
    seq, = load_dataset("trackingnet", tmp_path)
    assert seq.name == "abc_1" and seq.boxes_xywh[2, 0] == 3
    assert seq.frames.paths[0].endswith("/0.jpg") and seq.frames.paths[2].endswith("/2.jpg")


def test_plain_folder_dataset_and_errors(tmp_path):
    _frames(tmp_path / "seq_b", 2)
    _write(tmp_path / "seq_b" / "groundtruth.txt", ["1 1 5 5", "2 2 5 5"])
    _frames(tmp_path / "seq_a" / "img", 2, "frame{}.png")
    _write(tmp_path / "seq_a" / "groundtruth.txt", ["1,1,5,5", "2,2,5,5"])
    seqs = load_dataset("folder", tmp_path)
    assert [s.name for s in seqs] == ["seq_a", "seq_b"]
    _assert_lazy_frames(seqs[0])
    assert len(load_dataset("folder", tmp_path / "seq_b")) == 1
    _write(tmp_path / "bad" / "x" / "groundtruth.txt", ["1,1,5,5", "2,2,5,5"])
    _frames(tmp_path / "bad" / "x", 1)
    with pytest.raises(InvalidInputError, match="2 ground-truth rows but only 1 frames"):
        load_dataset("folder", tmp_path / "bad")
    _write(tmp_path / "bad2" / "x" / "groundtruth.txt", ["1,1,a,5"])
    with pytest.raises(InvalidInputError, match="not a row of numbers"):
        load_dataset("folder", tmp_path / "bad2")
    with pytest.raises(InvalidInputError, match="needs --root"):
        load_dataset("folder", None)
    with pytest.raises(InvalidInputError, match="unknown dataset"):
        load_dataset("nope", tmp_path)
    assert {"otb", "vot", "lasot", "got10k", "uav123", "trackingnet", "folder", "video", "lt-small"} <= set(dataset_names())


def test_video_file_with_ground_truth(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    assert writer.isOpened()
    for i in range(5):
        writer.write(np.full((24, 32, 3), 40 * i, dtype=np.uint8))
    writer.release()
    _write(tmp_path / "clip.txt", ["1,1,5,5"] * 4)
    seq, = load_dataset("video", path)
    assert len(seq) == 4
    means = [float(seq.frames[i].mean()) for i in (0, 1, 3, 2)]   # backwards index re-opens the file
    assert means[0] < means[1] < means[3] < means[2]
    assert seq.frames[3].shape == (24, 32, 3)
