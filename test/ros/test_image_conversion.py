"""sensor_msgs Image/CompressedImage <-> NumPy conversions, on message objects alone.

Expected frames are built independently of the code under test (NumPy channel arithmetic, the
documented mono16 rule, uniform-colour mosaics); when cv_bridge is importable every encoding is
also cross-checked against ``CvBridge().imgmsg_to_cv2(msg, "bgr8")``.
"""
import array

import cv2
import numpy as np
import pytest

pytest.importorskip("rclpy", reason="ROS 2 (rclpy) not importable: source ROS 2 or run scripts/setup_env.sh")
pytest.importorskip("sensor_msgs.msg", reason="sensor_msgs not importable")
pytest.importorskip("siam_tracker.msg", reason="siam_tracker interfaces not built: run scripts/setup_ros.sh")

from sensor_msgs.msg import CompressedImage, Image  # noqa: E402
from std_msgs.msg import Header  # noqa: E402

from siam_tracker_ros.core.errors import InvalidInputError  # noqa: E402
from siam_tracker_ros.ros.image_conversion import (SUPPORTED_ENCODINGS, bgr_to_image,  # noqa: E402
                                                   compressed_to_bgr, image_to_bgr, mask_to_image,
                                                   mono_to_image, validate_image)

pytestmark = pytest.mark.ros
H, W = 7, 10


def _frame(seed=0, h=H, w=W):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _msg(pixels, encoding, pad=0, bigendian=False, seed=1):
    """Image message from an (H, W[, C]) array with ``pad`` garbage bytes after every row."""
    pixels = np.ascontiguousarray(pixels)
    if pixels.dtype == np.uint16:
        pixels = pixels.astype(">u2" if bigendian else "<u2")
    h, w = pixels.shape[:2]
    rows = pixels.view(np.uint8).reshape(h, -1)
    garbage = np.random.default_rng(seed).integers(0, 256, (h, pad), dtype=np.uint8)
    data = np.concatenate([rows, garbage], axis=1)
    return Image(height=h, width=w, encoding=encoding, is_bigendian=int(bigendian),
                 step=data.shape[1], data=array.array("B", data.tobytes()))


def _mono16_expected(gray16):
    """cv_bridge's mono16 -> 8 bit rule: round(v * 255 / 65535) (never a tie)."""
    return np.rint(gray16.astype(np.float64) * (255.0 / 65535.0)).astype(np.uint8)


def _cases(pad):
    """(encoding, message, expected BGR) for every encoding with an exact expectation."""
    bgr = _frame(0)
    alpha = np.random.default_rng(2).integers(0, 256, (H, W, 1), dtype=np.uint8)
    gray = bgr[:, :, 1]
    gray16 = np.random.default_rng(3).integers(0, 65536, (H, W), dtype=np.uint16)
    gray3 = np.repeat(gray[:, :, None], 3, axis=2)
    mono16_3 = np.repeat(_mono16_expected(gray16)[:, :, None], 3, axis=2)
    return [
        ("bgr8", _msg(bgr, "bgr8", pad), bgr),
        ("8UC3", _msg(bgr, "8UC3", pad), bgr),
        ("rgb8", _msg(bgr[:, :, ::-1], "rgb8", pad), bgr),
        ("rgba8", _msg(np.concatenate([bgr[:, :, ::-1], alpha], axis=2), "rgba8", pad), bgr),
        ("bgra8", _msg(np.concatenate([bgr, alpha], axis=2), "bgra8", pad), bgr),
        ("mono8", _msg(gray, "mono8", pad), gray3),
        ("mono16", _msg(gray16, "mono16", pad), mono16_3),
        ("mono16-be", _msg(gray16, "mono16", pad, bigendian=True), mono16_3),
    ]


@pytest.mark.parametrize("pad", [0, 3, 16])
def test_every_plain_encoding_decodes_exactly_with_row_padding(pad):
    for name, msg, expected in _cases(pad):
        frame = image_to_bgr(msg)
        assert frame.shape == (H, W, 3) and frame.dtype == np.uint8, name
        assert frame.flags.c_contiguous and frame.flags.writeable, name
        np.testing.assert_array_equal(frame, expected, err_msg=f"{name} pad={pad}")


def test_mono16_scaling_values():
    values = np.array([[0, 128, 129, 257 * 100 + 128, 257 * 100 + 129, 65535]], dtype=np.uint16)
    frame = image_to_bgr(_msg(values, "mono16"))
    assert frame[0, :, 0].tolist() == [0, 0, 1, 100, 101, 255]
    assert (frame[..., 0] == frame[..., 1]).all() and (frame[..., 1] == frame[..., 2]).all()


def test_result_never_aliases_the_message_buffer():
    bgr = _frame(4)
    msg = _msg(bgr, "bgr8")
    frame = image_to_bgr(msg)
    msg.data[0] = (msg.data[0] + 1) % 256
    np.testing.assert_array_equal(frame, bgr)


def test_longer_data_than_step_times_height_is_accepted():
    bgr = _frame(5)
    msg = _msg(bgr, "bgr8")
    msg.data.extend(array.array("B", [7] * 11))
    np.testing.assert_array_equal(image_to_bgr(msg), bgr)


_BAYER = {  # pattern -> colour channel (0 B, 1 G, 2 R) at (row % 2, col % 2)
    "bayer_rggb8": ((2, 1), (1, 0)),
    "bayer_bggr8": ((0, 1), (1, 2)),
    "bayer_gbrg8": ((1, 0), (2, 1)),
    "bayer_grbg8": ((1, 2), (0, 1)),
}


@pytest.mark.parametrize("encoding", sorted(_BAYER))
def test_bayer_pattern_of_a_uniform_colour_gives_that_colour(encoding):
    colour = np.array([10, 100, 200], dtype=np.uint8)  # B, G, R
    h, w = 8, 12
    mosaic = np.empty((h, w), np.uint8)
    for r in range(2):
        for c in range(2):
            mosaic[r::2, c::2] = colour[_BAYER[encoding][r][c]]
    frame = image_to_bgr(_msg(mosaic, encoding, pad=4))
    assert frame.shape == (h, w, 3)
    np.testing.assert_array_equal(frame[2:-2, 2:-2], np.broadcast_to(colour, (h - 4, w - 4, 3)))


def test_yuv422_layouts_agree_and_keep_colour():
    rng = np.random.default_rng(6)
    y = rng.integers(16, 236, (4, 8), dtype=np.uint8)
    u = np.full((4, 4), 90, np.uint8)    # blue-difference below neutral
    v = np.full((4, 4), 200, np.uint8)   # red-difference above neutral: reddish
    uyvy = np.stack([u, y[:, 0::2], v, y[:, 1::2]], axis=2).reshape(4, 8, 2)
    yuyv = np.stack([y[:, 0::2], u, y[:, 1::2], v], axis=2).reshape(4, 8, 2)
    a = image_to_bgr(_msg(uyvy, "yuv422", pad=2))
    b = image_to_bgr(_msg(yuyv, "yuv422_yuy2"))
    np.testing.assert_array_equal(a, b)
    assert (a[..., 2].astype(int) > a[..., 0].astype(int)).all()


@pytest.mark.parametrize("mutate, fragment", [
    (dict(encoding="32FC1"), "encoding"),
    (dict(height=0), "empty"),
    (dict(width=0), "empty"),
    (dict(step=W * 3 - 1), "smaller than one row"),
    (dict(data=array.array("B", bytes(W * 3 * H - 1))), "expected step*height"),
])
def test_bad_messages_raise_one_line_errors(mutate, fragment):
    msg = _msg(_frame(7), "bgr8")
    for key, value in mutate.items():
        setattr(msg, key, value)
    if "encoding" in mutate:
        try:
            import cv_bridge  # noqa: F401
            pytest.skip("cv_bridge is installed: 32FC1 is delegated to it")
        except ImportError:
            pass
    with pytest.raises(InvalidInputError) as info:
        image_to_bgr(msg)
    assert fragment in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(InvalidInputError) as cheap:
        validate_image(msg)
    assert str(cheap.value) == str(info.value)


def test_validate_image_accepts_every_good_message():
    for name, msg, _ in _cases(pad=3):
        assert validate_image(msg) is None, name


def test_odd_width_yuv422_is_refused():
    msg = _msg(np.zeros((2, 3, 2), np.uint8), "yuv422")
    with pytest.raises(InvalidInputError, match="even"):
        image_to_bgr(msg)


def _compressed(data, fmt):
    return CompressedImage(format=fmt, data=array.array("B", bytes(data)))


def test_compressed_png_is_lossless_and_jpeg_matches_opencv():
    bgr = _frame(8, 32, 48)
    ok, png = cv2.imencode(".png", bgr)
    np.testing.assert_array_equal(compressed_to_bgr(_compressed(png, "png")), bgr)
    ok, jpg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])
    frame = compressed_to_bgr(_compressed(jpg, "bgr8; jpeg compressed bgr8"))
    np.testing.assert_array_equal(frame, cv2.imdecode(jpg, cv2.IMREAD_COLOR))
    assert frame.shape == bgr.shape


def test_compressed_gray_alpha_and_16_bit_png_become_bgr8():
    bgr = _frame(9, 16, 16)
    ok, gray_png = cv2.imencode(".png", bgr[:, :, 0])
    np.testing.assert_array_equal(compressed_to_bgr(_compressed(gray_png, "png")),
                                  np.repeat(bgr[:, :, :1], 3, axis=2))
    ok, bgra_png = cv2.imencode(".png", np.concatenate([bgr, bgr[:, :, :1]], axis=2))
    np.testing.assert_array_equal(compressed_to_bgr(_compressed(bgra_png, "png")), bgr)
    gray16 = np.random.default_rng(10).integers(0, 65536, (16, 16), dtype=np.uint16)
    ok, png16 = cv2.imencode(".png", gray16)
    np.testing.assert_array_equal(compressed_to_bgr(_compressed(png16, "png")),
                                  np.repeat(_mono16_expected(gray16)[:, :, None], 3, axis=2))


@pytest.mark.parametrize("data, fragment", [(b"", "empty"), (b"not an image", "cannot decode")])
def test_bad_compressed_images_raise(data, fragment):
    with pytest.raises(InvalidInputError, match=fragment):
        compressed_to_bgr(_compressed(data, "jpeg"))


def test_bgr_and_mono_to_image_round_trip_with_header():
    header = Header(frame_id="camera")
    header.stamp.sec, header.stamp.nanosec = 12, 345
    bgr = _frame(11)
    msg = bgr_to_image(bgr, header)
    assert (msg.encoding, msg.height, msg.width, msg.step, msg.is_bigendian) == ("bgr8", H, W, W * 3, 0)
    assert msg.header.frame_id == "camera" and msg.header.stamp.nanosec == 345
    np.testing.assert_array_equal(image_to_bgr(msg), bgr)
    gray_msg = mono_to_image(bgr[:, :, 2], header)
    assert (gray_msg.encoding, gray_msg.step) == ("mono8", W)
    np.testing.assert_array_equal(image_to_bgr(gray_msg)[:, :, 0], bgr[:, :, 2])
    # a non-contiguous view is serialised in logical order
    view = bgr[:, ::-1]
    np.testing.assert_array_equal(image_to_bgr(bgr_to_image(view)), view)


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 3), np.float32),
                                 np.zeros((4, 4, 4), np.uint8), [[1, 2, 3]]])
def test_bgr_to_image_refuses_other_arrays(bad):
    with pytest.raises(InvalidInputError):
        bgr_to_image(bad)


def test_mask_to_image_gives_mono8_0_255_from_any_mask_form():
    base = np.zeros((5, 6), np.uint8)
    base[1:3, 2:5] = 1
    for mask in (base, base * 255, base.astype(bool)):
        msg = mask_to_image(mask, Header(frame_id="cam"))
        assert (msg.encoding, msg.height, msg.width, msg.step) == ("mono8", 5, 6, 6)
        values = np.frombuffer(msg.data, np.uint8).reshape(5, 6)
        np.testing.assert_array_equal(values, base * 255)
        assert msg.header.frame_id == "cam"
    with pytest.raises(InvalidInputError):
        mask_to_image(np.zeros((2, 2, 3), np.uint8))


def test_supported_encodings_are_documented():
    for encoding in ("rgb8", "bgr8", "rgba8", "bgra8", "mono8", "mono16"):
        assert encoding in SUPPORTED_ENCODINGS


@pytest.mark.parametrize("pad", [0, 5])
def test_matches_cv_bridge_for_every_encoding(pad):
    cv_bridge = pytest.importorskip("cv_bridge", reason="cv_bridge not installed: cross-check skipped")
    bridge = cv_bridge.CvBridge()
    for name, msg, _ in _cases(pad):
        np.testing.assert_array_equal(image_to_bgr(msg), bridge.imgmsg_to_cv2(msg, "bgr8"), err_msg=name)
    rng = np.random.default_rng(12)
    for encoding in sorted(_BAYER) + ["yuv422", "yuv422_yuy2"]:
        shape = (6, 8, 2) if encoding.startswith("yuv") else (6, 8)
        msg = _msg(rng.integers(0, 256, shape, dtype=np.uint8), encoding, pad)
        np.testing.assert_array_equal(image_to_bgr(msg), bridge.imgmsg_to_cv2(msg, "bgr8"), err_msg=encoding)
