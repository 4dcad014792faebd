"""ROS 2 message types for bag files, with rosbags only (no rclpy needed).

- :func:`typestore_for` — a rosbags ``Typestore`` (ROS 2 Jazzy or Humble base types) with
  vision_msgs 4.1.1 and ``siam_tracker/msg/TrackerStatus`` registered (cached, read-only: call
  :func:`make_typestore` for one to add types to);
- :func:`message_class` — a default-constructible subclass of a rosbags message class: like the
  rclpy classes, ``Detection2D()`` gives every field its zero value and keyword arguments set
  fields, so code written against rclpy messages (``siam_tracker_ros.ros.detection_conversion``,
  ``image_conversion``) builds rosbags messages unchanged when ROS 2 Python is not installed;
- :func:`to_bag_message` / :func:`serialize` — any object with the fields of a type (an rclpy
  message, a rosbags one, a mix) → a rosbags message / its CDR bytes.

The names ``Image``, ``CompressedImage``, ``CameraInfo``, ``Header``, ``Time``, ``Float32``,
``BoundingBox2D``, ``Detection2D``, ``Detection2DArray``, ``ObjectHypothesisWithPose``,
``TrackerStatus`` are such classes (Jazzy definitions; these types are identical in Humble).
"""
from __future__ import annotations

import functools
from typing import Any, Dict, Tuple

import numpy as np
from rosbags.interfaces import Nodetype
from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

from ..stamps import set_stamp_ns, stamp_to_ns
from .msg_definitions import SIAM_TRACKER_MSGS, VISION_MSGS

IMAGE = "sensor_msgs/msg/Image"
COMPRESSED_IMAGE = "sensor_msgs/msg/CompressedImage"
CAMERA_INFO = "sensor_msgs/msg/CameraInfo"
HEADER = "std_msgs/msg/Header"
TIME = "builtin_interfaces/msg/Time"
FLOAT32 = "std_msgs/msg/Float32"
BOUNDING_BOX_2D = "vision_msgs/msg/BoundingBox2D"
DETECTION_2D = "vision_msgs/msg/Detection2D"
DETECTION_2D_ARRAY = "vision_msgs/msg/Detection2DArray"
OBJECT_HYPOTHESIS_WITH_POSE = "vision_msgs/msg/ObjectHypothesisWithPose"
TRACKER_STATUS = "siam_tracker/msg/TrackerStatus"

DISTRO_STORES: Dict[str, Stores] = {"humble": Stores.ROS2_HUMBLE, "jazzy": Stores.ROS2_JAZZY}
DEFAULT_DISTRO = "jazzy"

# rosbags base type name -> numpy dtype of its arrays (ROS 2 char/byte are uint8).
_DTYPES: Dict[str, Any] = {
    "bool": np.bool_, "byte": np.uint8, "octet": np.uint8, "char": np.uint8,
    "int8": np.int8, "uint8": np.uint8, "int16": np.int16, "uint16": np.uint16,
    "int32": np.int32, "uint32": np.uint32, "int64": np.int64, "uint64": np.uint64,
    "float32": np.float32, "float64": np.float64,
}
_STRINGS = ("string", "wstring")
# Non-zero field defaults of the stock definitions (rosbags' parser drops default values; the
# rclpy classes have them): (type, field) -> value.
FIELD_DEFAULTS: Dict[Tuple[str, str], Any] = {
    ("geometry_msgs/msg/Quaternion", "w"): 1.0,
    ("sensor_msgs/msg/NavSatStatus", "status"): -2,
}


def make_typestore(distro: str = DEFAULT_DISTRO) -> Typestore:
    """A new Typestore: ROS 2 ``distro`` (humble | jazzy) base types plus vision_msgs 4.1.1 and
    siam_tracker's messages."""
    try:
        store = DISTRO_STORES[distro]
    except KeyError:
        raise ValueError(f"unknown ROS 2 distro {distro!r} (known: {', '.join(DISTRO_STORES)})") from None
    typestore = get_typestore(store)
    types = {}
    for name, text in {**VISION_MSGS, **SIAM_TRACKER_MSGS}.items():
        types.update(get_types_from_msg(text, name))
    typestore.register(types)
    return typestore


@functools.lru_cache(maxsize=None)
def typestore_for(distro: str = DEFAULT_DISTRO) -> Typestore:
    """The shared (cached) typestore of :func:`make_typestore`; do not register types in it."""
    return make_typestore(distro)


def _zero(desc: Tuple[Nodetype, Any], typestore: Typestore) -> Any:
    """Zero value of a rosbags field description (what an rclpy message starts with)."""
    kind, detail = desc
    if kind == Nodetype.BASE:
        name = detail[0]
        if name in _STRINGS:
            return ""
        if name == "bool":
            return False
        return 0.0 if name.startswith("float") else 0
    if kind == Nodetype.NAME:
        return message_class(detail, typestore)()
    (item_kind, item_detail), length = detail
    if kind == Nodetype.ARRAY:
        if item_kind == Nodetype.BASE and item_detail[0] not in _STRINGS:
            return np.zeros(length, dtype=_DTYPES[item_detail[0]])
        return [_zero((item_kind, item_detail), typestore) for _ in range(length)]
    if item_kind == Nodetype.BASE and item_detail[0] not in _STRINGS:
        return np.zeros(0, dtype=_DTYPES[item_detail[0]])
    return []


@functools.lru_cache(maxsize=None)
def _message_class(typename: str, typestore: Typestore) -> type:
    base = typestore.types[typename]
    fields = typestore.fielddefs[typename][1]
    names = [name for name, _ in fields]

    def __init__(self, **values: Any) -> None:
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise TypeError(f"{typename} has no field(s) {', '.join(unknown)} "
                            f"(fields: {', '.join(names)})")
        base.__init__(self, **{name: values[name] if name in values
                               else FIELD_DEFAULTS.get((typename, name), _zero(desc, typestore))
                               for name, desc in fields})

    short = typename.rsplit("/", 1)[-1]
    return type(short, (base,), {"__init__": __init__, "__module__": __name__,
                                 "__qualname__": short, "__doc__": f"{typename} (rosbags, "
                                 "default-constructible like the rclpy class)."})


def message_class(typename: str, typestore: Typestore = None) -> type:
    """Default-constructible rosbags class of ``typename`` (``pkg/msg/Name``) in ``typestore``
    (default: the Jazzy store of :func:`typestore_for`). ``cls()`` gives every field its default
    (zero, or the definition's default as in :data:`FIELD_DEFAULTS`), ``cls(field=value)`` sets
    some; constants are class attributes."""
    return _message_class(typename, typestore if typestore is not None else typestore_for())


def to_bag_message(msg: Any, typename: str, typestore: Typestore = None) -> Any:
    """``msg`` (any object with the fields of ``typename``: an rclpy or rosbags message) as a
    rosbags message of ``typestore`` that its CDR serialiser accepts (numbers as Python
    numbers, primitive arrays as NumPy arrays of the field's dtype, nested messages converted).
    Array data is shared with ``msg`` when its buffer allows."""
    typestore = typestore if typestore is not None else typestore_for()
    values = {}
    for name, desc in typestore.fielddefs[typename][1]:
        values[name] = _to_bag_value(getattr(msg, name), desc, typestore)
    return typestore.types[typename](**values)


def _to_bag_value(value: Any, desc: Tuple[Nodetype, Any], typestore: Typestore) -> Any:
    kind, detail = desc
    if kind == Nodetype.BASE:
        name = detail[0]
        if name in _STRINGS:
            return str(value)
        if name == "bool":
            return bool(value)
        return float(value) if name.startswith("float") else int(value)
    if kind == Nodetype.NAME:
        return to_bag_message(value, detail, typestore)
    (item_kind, item_detail), _ = detail
    if item_kind == Nodetype.BASE and item_detail[0] not in _STRINGS:
        dtype = _DTYPES[item_detail[0]]
        if isinstance(value, (bytes, bytearray, memoryview)) and dtype == np.uint8:
            return np.frombuffer(value, dtype=np.uint8)
        return np.asarray(value, dtype=dtype)
    return [_to_bag_value(item, (item_kind, item_detail), typestore) for item in value]


def _shift_time(stamp: Any, offset_ns: int) -> None:
    total = stamp_to_ns(stamp)
    if total:
        set_stamp_ns(stamp, total + int(offset_ns))


def shift_stamps(msg: Any, typename: str, offset_ns: int, typestore: Typestore = None) -> None:
    """Add ``offset_ns`` to every non-zero builtin_interfaces/Time in a rosbags message (in
    place: headers, nested detections' headers ...). Zero stamps stay zero (they mean "none")."""
    typestore = typestore if typestore is not None else typestore_for()
    for name, (kind, detail) in typestore.fielddefs[typename][1]:
        if kind == Nodetype.NAME:
            items, item_type = [getattr(msg, name)], detail
        elif kind in (Nodetype.ARRAY, Nodetype.SEQUENCE) and detail[0][0] == Nodetype.NAME:
            items, item_type = getattr(msg, name), detail[0][1]
        else:
            continue
        for item in items:
            if item_type == TIME:
                _shift_time(item, offset_ns)
            else:
                shift_stamps(item, item_type, offset_ns, typestore)


def serialize(msg: Any, typename: str, typestore: Typestore = None) -> bytes:
    """CDR bytes of ``msg`` (see :func:`to_bag_message`) — what a ROS 2 publisher sends and
    rosbag2 stores."""
    typestore = typestore if typestore is not None else typestore_for()
    return bytes(typestore.serialize_cdr(to_bag_message(msg, typename, typestore), typename))


def deserialize(data: bytes, typename: str, typestore: Typestore = None) -> Any:
    """A rosbags message of ``typename`` from CDR bytes."""
    typestore = typestore if typestore is not None else typestore_for()
    return typestore.deserialize_cdr(data, typename)


Image = message_class(IMAGE)
CompressedImage = message_class(COMPRESSED_IMAGE)
CameraInfo = message_class(CAMERA_INFO)
Header = message_class(HEADER)
Time = message_class(TIME)
Float32 = message_class(FLOAT32)
BoundingBox2D = message_class(BOUNDING_BOX_2D)
Detection2D = message_class(DETECTION_2D)
Detection2DArray = message_class(DETECTION_2D_ARRAY)
ObjectHypothesisWithPose = message_class(OBJECT_HYPOTHESIS_WITH_POSE)
TrackerStatus = message_class(TRACKER_STATUS)
