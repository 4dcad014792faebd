"""data.images: one list of image/video extensions, one natural order, one folder listing."""
from siam_tracker_ros.data.images import (IMAGE_EXTENSIONS, is_image_file, is_video_file, list_image_files,
                                          list_images, natural_key)


def test_natural_key_orders_numbers_and_ignores_case():
    names = ["img10.png", "Img2.png", "img1.png", "b", "A", "a10b2", "a10b10", "a9"]
    assert sorted(names, key=natural_key) == ["A", "a9", "a10b2", "a10b10", "b", "img1.png", "Img2.png",
                                              "img10.png"]
    assert sorted(["2", "10", "1x"], key=natural_key) == ["1x", "2", "10"]


def test_listing_takes_every_image_extension_any_case(tmp_path):
    for index, ext in enumerate(IMAGE_EXTENSIONS):
        (tmp_path / f"f{index + 1}{ext.upper() if index % 2 else ext}").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("no")
    (tmp_path / "clip.mp4").write_bytes(b"x")
    (tmp_path / "sub.png").mkdir()
    files = list_image_files(tmp_path)
    assert [p.stem for p in files] == [f"f{i + 1}" for i in range(len(IMAGE_EXTENSIONS))]
    assert list_images(tmp_path) == [str(p) for p in files]
    assert list_image_files(tmp_path / "missing") == [] and list_images(tmp_path / "notes.txt") == []


def test_is_image_and_video_file():
    assert is_image_file("a.JPG") and is_image_file("x/y.tiff") and not is_image_file("a.mp4")
    assert is_video_file("clip.MP4") and is_video_file("c.m4v") and not is_video_file("a.png")
