"""sensor_msgs Image / CompressedImage <-> NumPy frames, as pure functions.

Frames are (H, W, 3) uint8 BGR arrays (what ``cv2.imread`` returns); masks (H, W) uint8.

Decoding follows cv_bridge's ``imgmsg_to_cv2(msg, "bgr8")`` exactly (test/ros checks it against
cv_bridge where installed):

============================  ==================================================================
encoding                      conversion to bgr8
============================  ==================================================================
bgr8, 8UC3                    copied (8UC3 is taken as BGR, like cv_bridge)
rgb8 / rgba8 / bgra8          channels reordered, alpha dropped
mono8                         grey value replicated into B, G and R
mono16                        scaled to 8 bit as cv_bridge does: ``round(v * 255 / 65535)``
                              (= ``(v + 128) // 257``), then replicated. A 12-bit camera
                              therefore looks dark: the full 16-bit range maps to 0..255.
bayer_{rggb,bggr,gbrg,grbg}8  demosaiced with OpenCV (bilinear), cv_bridge's codes
yuv422 (UYVY), yuv422_yuy2    converted with OpenCV's YUV 4:2:2 codes
============================  ==================================================================

``step`` (bytes per row, may include padding) and ``is_bigendian`` (mono16) are honoured. Any
other encoding goes through cv_bridge when it is importable, else raises
:class:`InvalidInputError`. Bad messages (zero size, ``step`` smaller than a row, ``data``
shorter than ``step * height``) raise :class:`InvalidInputError` with one line; the result never
aliases the message's buffer.
"""
from __future__ import annotations

import array
import contextlib
import functools
from typing import Any, Dict, Optional, Tuple

import cv2
import numpy as np
try:
    from sensor_msgs.msg import CompressedImage, Image
    from std_msgs.msg import Header
except ImportError:  # no ROS 2 Python (bag tools with rosbags only): same fields and constructors
    from .bag.types import CompressedImage, Header, Image

from ..core.errors import InvalidInputError

# encoding -> (channels, bytes per channel)
_LAYOUTS: Dict[str, Tuple[int, int]] = {
    "bgr8": (3, 1), "8UC3": (3, 1), "rgb8": (3, 1), "rgba8": (4, 1), "bgra8": (4, 1),
    "mono8": (1, 1), "mono16": (1, 2),
    "bayer_rggb8": (1, 1), "bayer_bggr8": (1, 1), "bayer_gbrg8": (1, 1), "bayer_grbg8": (1, 1),
    "yuv422": (2, 1), "yuv422_yuy2": (2, 1),
}

# OpenCV names a Bayer pattern by its second row's first two pixels; cv_bridge's mapping.
_CV_CODES: Dict[str, int] = {
    "bayer_rggb8": cv2.COLOR_BayerBG2BGR,
    "bayer_bggr8": cv2.COLOR_BayerRG2BGR,
    "bayer_gbrg8": cv2.COLOR_BayerGR2BGR,
    "bayer_grbg8": cv2.COLOR_BayerGB2BGR,
    "yuv422": cv2.COLOR_YUV2BGR_UYVY,
    "yuv422_yuy2": cv2.COLOR_YUV2BGR_YUYV,
}

SUPPORTED_ENCODINGS = tuple(_LAYOUTS)


def _mono16_to_mono8(gray16: np.ndarray) -> np.ndarray:
    """uint16 array -> uint8 as OpenCV's ``convertTo(CV_8U, 255/65535)``: round(v / 257).

    v / 257 is never within 1/514 of a .5 tie, so the integer form is exact.
    """
    return ((gray16.astype(np.uint32) + 128) // 257).astype(np.uint8)


def _to_bgr(pixels: np.ndarray, encoding: str) -> np.ndarray:
    """(H, W[, C]) array in ``encoding`` -> C-contiguous (H, W, 3) uint8 BGR (may be a view)."""
    if encoding in ("bgr8", "8UC3"):
        return np.ascontiguousarray(pixels)
    if encoding in ("rgb8", "rgba8"):
        return np.ascontiguousarray(pixels[:, :, 2::-1])
    if encoding == "bgra8":
        return np.ascontiguousarray(pixels[:, :, :3])
    if encoding in ("mono8", "mono16"):
        gray = _mono16_to_mono8(pixels) if encoding == "mono16" else pixels
        return cv2.cvtColor(np.ascontiguousarray(gray), cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(np.ascontiguousarray(pixels), _CV_CODES[encoding])


def _check_geometry(height: int, width: int, step: int, data_len: int, row_bytes: int,
                    encoding: str) -> None:
    if height == 0 or width == 0:
        raise InvalidInputError(f"image is empty: {width}x{height} ({encoding})")
    if step < row_bytes:
        raise InvalidInputError(
            f"image step {step} is smaller than one row of {width} {encoding} pixels ({row_bytes} bytes)")
    if data_len < step * height:
        raise InvalidInputError(
            f"image data has {data_len} bytes, expected step*height = {step}*{height} = {step * height}")


@functools.lru_cache(maxsize=1)
def _cv_bridge_available() -> bool:
    try:
        import cv_bridge  # noqa: F401  (optional dependency)
    except ImportError:
        return False
    return True


def _unsupported(encoding: str) -> InvalidInputError:
    return InvalidInputError(
        f"unsupported image encoding {encoding!r} (supported: {', '.join(SUPPORTED_ENCODINGS)}; "
        "install cv_bridge for others)")


def validate_image(msg: Image) -> None:
    """Check an Image's encoding and sizes without touching its pixels (cheap: O(1)).

    Raises the same one-line InvalidInputError as :func:`image_to_bgr` would for an unsupported
    encoding (unless cv_bridge is importable: it is then left to cv_bridge), an empty image, an
    odd-width YUV 4:2:2 image, ``step`` smaller than a row or ``data`` shorter than step*height.
    """
    layout = _LAYOUTS.get(msg.encoding)
    if layout is None:
        if not _cv_bridge_available():
            raise _unsupported(msg.encoding)
        return
    channels, depth_bytes = layout
    width = int(msg.width)
    if msg.encoding.startswith("yuv422") and width % 2:
        raise InvalidInputError(f"{msg.encoding} image width must be even, got {width}")
    _check_geometry(int(msg.height), width, int(msg.step), len(msg.data),
                    width * channels * depth_bytes, msg.encoding)


def precheck(msg: Any, compressed: bool) -> str:
    """Why a received Image / CompressedImage cannot be a frame, from its fields alone (no pixel
    is touched), or ""."""
    if compressed:
        return "" if len(msg.data) else f"compressed image is empty (format {msg.format!r})"
    try:
        validate_image(msg)
    except InvalidInputError as exc:
        return str(exc)
    return ""


def image_to_bgr(msg: Image) -> np.ndarray:
    """sensor_msgs/Image -> new (H, W, 3) uint8 BGR array (see the module doc for encodings).

    Raises InvalidInputError (one line) for an unsupported encoding or inconsistent sizes.
    """
    encoding = msg.encoding
    layout = _LAYOUTS.get(encoding)
    if layout is None:
        return _image_to_bgr_with_cv_bridge(msg)
    validate_image(msg)
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    channels, depth_bytes = layout
    row_bytes = width * channels * depth_bytes
    buffer = np.frombuffer(msg.data, dtype=np.uint8, count=step * height)
    rows = buffer.reshape(height, step)[:, :row_bytes]
    if depth_bytes == 2:
        dtype = np.dtype(">u2" if msg.is_bigendian else "<u2")
        pixels = np.ascontiguousarray(rows).view(dtype).reshape(height, width).astype(np.uint16)
    elif channels == 1:
        pixels = rows
    else:
        pixels = rows.reshape(height, width, channels)
    frame = _to_bgr(pixels, encoding)
    return frame.copy() if np.may_share_memory(frame, buffer) else frame


def _image_to_bgr_with_cv_bridge(msg: Image) -> np.ndarray:
    """Encodings outside the NumPy table: cv_bridge if installed, else a one-line error."""
    try:
        from cv_bridge import CvBridge  # optional dependency
    except ImportError:
        raise _unsupported(msg.encoding) from None
    try:
        frame = CvBridge().imgmsg_to_cv2(msg, desired_encoding="bgr8")
    except Exception as exc:  # cv_bridge raises CvBridgeError, cv2.error, TypeError ...
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(f"cannot convert {msg.encoding!r} image to bgr8: {message}") from None
    return np.ascontiguousarray(frame, dtype=np.uint8).copy()


@contextlib.contextmanager
def _opencv_quiet():
    """Silence OpenCV's own log lines (libpng / libtiff complaints about malformed data) while
    decoding: a bad image gets our one InvalidInputError line, not a burst of codec errors."""
    logging_ = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging_ is None:
        yield
        return
    previous = logging_.getLogLevel()
    logging_.setLogLevel(logging_.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        logging_.setLogLevel(previous)


def compressed_to_bgr(msg: CompressedImage) -> np.ndarray:
    """sensor_msgs/CompressedImage (jpeg/png, as image_transport's compressed plugin sends) ->
    new (H, W, 3) uint8 BGR array. 16-bit PNGs are scaled to 8 bit like mono16."""
    data = np.frombuffer(msg.data, dtype=np.uint8)
    if data.size == 0:
        raise InvalidInputError(f"compressed image is empty (format {msg.format!r})")
    try:
        with _opencv_quiet():
            decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    except cv2.error as exc:  # OpenCV raises on some malformed or oversized streams
        raise InvalidInputError(f"cannot decode compressed image (format {msg.format!r}, "
                                f"{data.size} bytes): {str(exc).strip().splitlines()[-1]}") from None
    if decoded is None:
        raise InvalidInputError(f"cannot decode compressed image (format {msg.format!r}, {data.size} bytes)")
    if decoded.dtype == np.uint16:
        decoded = _mono16_to_mono8(decoded)
    if decoded.dtype != np.uint8:
        raise InvalidInputError(f"compressed image decodes to unsupported type {decoded.dtype}")
    if decoded.ndim == 2:
        return cv2.cvtColor(decoded, cv2.COLOR_GRAY2BGR)
    if decoded.shape[2] == 4:
        return cv2.cvtColor(decoded, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(decoded)


def _make_image(pixels: np.ndarray, header: Optional[Header], encoding: str) -> Image:
    msg = Image()
    if header is not None:
        msg.header = header
    msg.height, msg.width = int(pixels.shape[0]), int(pixels.shape[1])
    msg.encoding = encoding
    msg.is_bigendian = 0
    msg.step = int(pixels.shape[1] * (pixels.shape[2] if pixels.ndim == 3 else 1))
    # array.array is stored as is by the generated setter (fast); a bytes/list would be checked
    # element by element.
    msg.data = array.array("B", np.ascontiguousarray(pixels).tobytes())
    return msg


def bgr_to_image(frame: np.ndarray, header: Optional[Header] = None) -> Image:
    """(H, W, 3) uint8 BGR array -> sensor_msgs/Image bgr8 (no row padding), header copied."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 \
            or frame.shape[2] != 3:
        raise InvalidInputError(
            f"bgr8 image needs an (H, W, 3) uint8 array, got {getattr(frame, 'shape', type(frame))} "
            f"{getattr(frame, 'dtype', '')}".rstrip())
    return _make_image(frame, header, "bgr8")


def mono_to_image(gray: np.ndarray, header: Optional[Header] = None) -> Image:
    """(H, W) uint8 array -> sensor_msgs/Image mono8 (no row padding), header copied."""
    if not isinstance(gray, np.ndarray) or gray.dtype != np.uint8 or gray.ndim != 2:
        raise InvalidInputError(
            f"mono8 image needs an (H, W) uint8 array, got {getattr(gray, 'shape', type(gray))} "
            f"{getattr(gray, 'dtype', '')}".rstrip())
    return _make_image(gray, header, "mono8")


def mask_to_image(mask: np.ndarray, header: Optional[Header] = None) -> Image:
    """(H, W) mask (bool, or uint8 0/1 or 0/255: nonzero = target) -> mono8 Image with 0/255."""
    if not isinstance(mask, np.ndarray) or mask.ndim != 2:
        raise InvalidInputError(f"mask must be an (H, W) array, got {getattr(mask, 'shape', type(mask))}")
    return _make_image(np.where(mask != 0, np.uint8(255), np.uint8(0)), header, "mono8")

