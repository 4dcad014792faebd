"""Frame sources: folders of images (natural order) and video files; one-line errors."""
import cv2
import numpy as np
import pytest

from siam_tracker_ros.core.errors import InvalidInputError
from siam_tracker_ros.data.frame_source import list_image_files, natural_key, open_frame_source


def _image(value: int, hw=(24, 32)) -> np.ndarray:
    return np.full(hw + (3,), value, np.uint8)


def test_folder_frames_in_natural_order_and_only_images(tmp_path):
    for index, ext in ((10, ".png"), (2, ".PNG"), (1, ".bmp"), (3, ".jpg")):
        assert cv2.imwrite(str(tmp_path / f"frame{index}{ext}"), _image(index * 10))
    (tmp_path / "notes.txt").write_text("not a frame")
    (tmp_path / "sub").mkdir()
    assert [p.name for p in list_image_files(tmp_path)] == ["frame1.bmp", "frame2.PNG",
                                                            "frame3.jpg", "frame10.png"]
    stream = open_frame_source(tmp_path)
    assert stream.frame_count == 4 and stream.fps is None and stream.name == tmp_path.name
    means = [int(round(float(f.mean()))) for f in stream]
    assert means[:2] == [10, 20] and means[3] == 100 and abs(means[2] - 30) <= 2   # jpg is lossy
    assert sorted(["a10", "a9", "b1", "A2"], key=natural_key) == ["A2", "a9", "a10", "b1"]


def test_grey_images_become_bgr(tmp_path):
    cv2.imwrite(str(tmp_path / "0.png"), np.full((10, 12), 77, np.uint8))
    frame = next(iter(open_frame_source(tmp_path)))
    assert frame.shape == (10, 12, 3) and frame.dtype == np.uint8


def test_video_file_round_trip(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 12.0, (32, 24))
    for k in range(5):
        writer.write(_image(40 * k))
    writer.release()
    with open_frame_source(path) as stream:
        frames = list(stream)
        assert stream.fps == pytest.approx(12.0)
    assert len(frames) == 5
    assert all(f.shape == (24, 32, 3) and f.dtype == np.uint8 for f in frames)
    assert abs(float(frames[3].mean()) - 120) < 6


def test_bad_sources_are_one_line_errors(tmp_path):
    cases = []
    cases.append((tmp_path / "missing.mp4", "does not exist"))
    empty = tmp_path / "empty"
    empty.mkdir()
    cases.append((empty, "has no frames"))
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00not a video" * 10)
    cases.append((garbage, "cannot read video"))
    single = tmp_path / "one.png"
    cv2.imwrite(str(single), _image(5))
    cases.append((single, "single image"))
    cases.append(("", "does not exist"))
    for source, words in cases:
        with pytest.raises(InvalidInputError) as info:
            open_frame_source(source)
        assert words in str(info.value) and "\n" not in str(info.value)


def test_unreadable_frame_fails_when_reached(tmp_path):
    cv2.imwrite(str(tmp_path / "1.png"), _image(1))
    (tmp_path / "2.png").write_bytes(b"broken png")
    stream = open_frame_source(tmp_path)
    frames = iter(stream)
    next(frames)
    with pytest.raises(InvalidInputError, match="cannot read frame image"):
        next(frames)
    (tmp_path / "1.png").write_bytes(b"broken")
    with pytest.raises(InvalidInputError, match="cannot read frame image"):
        open_frame_source(tmp_path)
