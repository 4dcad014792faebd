"""Read and write ROS 2 bags with rosbags (no rclpy, no rosbag2 needed).

Reading (:class:`BagReader`): a bag folder (``metadata.yaml`` + storage files) or a single
``.mcap`` / ``.db3`` file, written by ROS 2 Humble (no type hashes, definitions not embedded,
metadata version 5) or Jazzy and later (hashes and ``.msg`` definitions embedded), sqlite3 or
mcap. A message type decodes with

1. the built-in typestore (ROS 2 base types of the bag's distro + vision_msgs 4.1.1 +
   siam_tracker) when the bag's type hash, if any, agrees with it;
2. else the definition embedded in the bag;
3. else its topics are skipped, with one warning line per type.

Writing (:class:`BagWriter`): rosbag2 version 8 (what Jazzy writes and reads), with message
definitions and RIHS01 hashes embedded; written to a temporary sibling folder and moved into
place on success, so a failed run leaves no half bag behind.

Timestamps are integer nanoseconds: ``log_ns`` is the bag's receive time of a message (what
``ros2 bag play`` paces by), distinct from a message's ``header.stamp``.
"""
from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from rosbags.interfaces import Connection, MessageDefinitionFormat
from rosbags.rosbag2 import Reader, ReaderError, StoragePlugin, Writer, WriterError
from rosbags.typesys import Stores, get_types_from_idl, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

from ...core.errors import InvalidInputError
from .types import DEFAULT_DISTRO, DISTRO_STORES, serialize, typestore_for

STORAGES: Dict[str, StoragePlugin] = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}
BAG_VERSION = 8
_IDL_SEPARATOR = "=" * 80 + "\n"


def print_warning(text: str) -> None:
    """Default warning sink: one line on stderr."""
    print(f"warning: {text}", file=sys.stderr)


@dataclass(frozen=True)
class BagTopic:
    """One topic of a bag: its type, message count, and whether this reader can decode it."""

    name: str
    typename: str
    count: int
    decodable: bool


@dataclass(frozen=True)
class BagMessage:
    """One message: topic, type, receive time (``log_ns``), and the decoded rosbags message
    (``msg``) or the CDR bytes (``data``) — whichever was asked for."""

    topic: str
    typename: str
    log_ns: int
    msg: Any = None
    data: Optional[bytes] = None


def _distro_of(reader: Reader) -> str:
    """The bag's ROS 2 distro: its metadata's ``ros_distro`` when known here, else Humble when
    no connection carries a type hash (Humble wrote none), else Jazzy."""
    distro = (getattr(reader, "ros_distro", None) or "").lower()
    if distro in DISTRO_STORES:
        return distro
    if reader.connections and not any(c.digest for c in reader.connections):
        return "humble"
    return DEFAULT_DISTRO


def _embedded_types(connection: Connection) -> Dict[str, Any]:
    """Type definitions a bag embeds for a connection (the type and everything it uses)."""
    definition = connection.msgdef
    if definition.format == MessageDefinitionFormat.MSG:
        return get_types_from_msg(definition.data, connection.msgtype)
    types: Dict[str, Any] = {}
    if definition.data.startswith(_IDL_SEPARATOR + "IDL: "):
        for part in definition.data.split(_IDL_SEPARATOR)[1:]:
            types.update(get_types_from_idl(part.split("\n", 1)[1]))
    else:
        types.update(get_types_from_idl(definition.data))
    return types


class BagReader:
    """A bag opened for reading (use as a context manager).

    ``topics`` maps topic name -> :class:`BagTopic`; :meth:`messages` yields messages in
    receive-time order. Unknown types are reported through ``warn`` (one line per type) when
    the bag is opened and their topics are never yielded.
    """

    def __init__(self, path: os.PathLike, warn: Callable[[str], None] = print_warning) -> None:
        self.path = Path(path)
        self._warn = warn
        self._reader: Optional[Reader] = None
        self._decoders: Dict[int, Typestore] = {}      # connection id -> typestore that decodes it
        self.topics: Dict[str, BagTopic] = {}
        self.distro = DEFAULT_DISTRO
        self.skipped_types: Dict[str, List[str]] = {}   # type -> topics skipped

    def __enter__(self) -> "BagReader":
        self.open()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def open(self) -> None:
        if not self.path.exists():
            raise InvalidInputError(f"bag {self.path} does not exist")
        if self.path.is_file() and self.path.suffix not in (".mcap", ".db3"):
            raise InvalidInputError(f"{self.path} is not a bag (a folder with metadata.yaml, "
                                    "or a .mcap / .db3 file)")
        try:
            reader = Reader(self.path)
            reader.open()
        except (ReaderError, FileNotFoundError, KeyError, ValueError) as exc:
            raise InvalidInputError(f"cannot read bag {self.path}: {exc}") from None
        self._reader = reader
        self.distro = _distro_of(reader)
        base = typestore_for(self.distro)
        reasons: Dict[str, str] = {}
        embedded: Dict[str, Typestore] = {}
        counts: Dict[str, int] = {}
        for connection in reader.connections:
            typestore, reason = self._decoder_for(connection, base, embedded)
            if typestore is not None:
                self._decoders[connection.id] = typestore
            else:
                reasons.setdefault(connection.msgtype, reason)
                topics = self.skipped_types.setdefault(connection.msgtype, [])
                if connection.topic not in topics:
                    topics.append(connection.topic)
            counts[connection.topic] = counts.get(connection.topic, 0) + connection.msgcount
        for connection in reader.connections:
            self.topics[connection.topic] = BagTopic(
                connection.topic, connection.msgtype, counts[connection.topic],
                connection.id in self._decoders)
        for typename, topics in self.skipped_types.items():
            self._warn(f"bag {self.path.name}: skipping {', '.join(topics)}: type {typename} "
                       f"{reasons[typename]}")

    def _decoder_for(self, connection: Connection, base: Typestore,
                     embedded: Dict[str, Typestore]) -> Tuple[Optional[Typestore], str]:
        """(typestore that decodes ``connection``, or None with the reason)."""
        typename = connection.msgtype
        has_definition = connection.msgdef.format != MessageDefinitionFormat.NONE and \
            bool(connection.msgdef.data.strip())
        if typename in base.fielddefs:
            if not connection.digest or connection.digest == base.hash_rihs01(typename):
                return base, ""
            if not has_definition:
                return None, (f"has hash {connection.digest}, not the built-in definition's "
                              "and the bag embeds no definition")
        elif not has_definition:
            return None, "is unknown here and the bag embeds no definition"
        if typename not in embedded:
            try:
                typestore = get_typestore(Stores.EMPTY)
                typestore.register(_embedded_types(connection))
                typestore.fielddefs[typename]   # noqa: B018 - the type itself must be there
            except Exception as exc:  # rosbags raises several parser error types
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                return None, f"has an embedded definition that cannot be parsed ({first})"
            embedded[typename] = typestore
        return embedded[typename], ""

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    @property
    def start_ns(self) -> int:
        return int(self._require().start_time)

    @property
    def end_ns(self) -> int:
        return int(self._require().end_time)

    def _require(self) -> Reader:
        if self._reader is None:
            raise InvalidInputError(f"bag {self.path} is not open")
        return self._reader

    def typestore_of(self, topic: str) -> Typestore:
        """The typestore that decodes ``topic`` (InvalidInputError when it cannot be decoded)."""
        reader = self._require()
        for connection in reader.connections:
            if connection.topic == topic and connection.id in self._decoders:
                return self._decoders[connection.id]
        raise InvalidInputError(f"bag {self.path}: topic {topic} cannot be decoded here")

    def topics_of_type(self, typename: str) -> List[str]:
        """Decodable topics carrying ``typename`` (``pkg/msg/Name``), sorted by name."""
        return sorted(t.name for t in self.topics.values() if t.typename == typename and t.decodable)

    def messages(self, topics: Optional[Iterable[str]] = None, raw: bool = False) -> Iterator[BagMessage]:
        """Messages of ``topics`` (all decodable ones when None) in receive-time order; decoded
        rosbags messages, or CDR bytes when ``raw``. Topics that cannot be decoded are never
        yielded (even raw: their type is unknown to any consumer here)."""
        reader = self._require()
        wanted = None if topics is None else set(topics)
        connections = [c for c in reader.connections if c.id in self._decoders
                       and (wanted is None or c.topic in wanted)]
        if not connections:
            return
        try:
            for connection, log_ns, data in reader.messages(connections=connections):
                if raw:
                    yield BagMessage(connection.topic, connection.msgtype, int(log_ns), data=bytes(data))
                else:
                    msg = self._decoders[connection.id].deserialize_cdr(data, connection.msgtype)
                    yield BagMessage(connection.topic, connection.msgtype, int(log_ns), msg=msg)
        except ReaderError as exc:
            raise InvalidInputError(f"cannot read bag {self.path}: {exc}") from None


class BagWriter:
    """A new bag (use as a context manager; on an exception nothing is left at ``path``).

    ``storage``: mcap | sqlite3. ``force``: replace an existing bag at ``path``.
    Messages are written with :meth:`write` (rclpy or rosbags messages, serialised with the
    built-in typestore) or :meth:`write_raw` (CDR bytes).
    """

    def __init__(self, path: os.PathLike, storage: str = "mcap", force: bool = False,
                 typestore: Optional[Typestore] = None) -> None:
        if storage not in STORAGES:
            raise InvalidInputError(f"unknown bag storage {storage!r} (known: {', '.join(STORAGES)})")
        self.path = Path(path)
        if self.path.exists() and not force:
            raise InvalidInputError(f"{self.path} exists (use --force to replace it)")
        if self.path.exists() and not (self.path / "metadata.yaml").is_file():
            raise InvalidInputError(f"{self.path} exists and is not a bag folder; not replacing it")
        self.storage = storage
        self.typestore = typestore if typestore is not None else typestore_for()
        # Written inside a temporary folder under the final name (rosbags names the storage file
        # after its folder), then moved into place.
        self._tmp_root = self.path.with_name(f".{self.path.name}.partial")
        self._tmp = self._tmp_root / self.path.name
        self._writer: Optional[Writer] = None
        self._connections: Dict[str, Tuple[Connection, str, Typestore]] = {}

    def __enter__(self) -> "BagWriter":
        self.open()
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._tmp_root.exists():
            shutil.rmtree(self._tmp_root)
        self._tmp_root.mkdir()
        self._writer = Writer(self._tmp, version=BAG_VERSION, storage_plugin=STORAGES[self.storage])
        try:
            self._writer.open()
        except (WriterError, OSError) as exc:
            self._writer = None
            shutil.rmtree(self._tmp_root, ignore_errors=True)
            raise InvalidInputError(f"cannot write bag {self.path}: {exc}") from None

    def add_topic(self, topic: str, typename: str, typestore: Optional[Typestore] = None) -> None:
        """Declare ``topic`` of ``typename``; its definition and hash come from ``typestore``
        (default: the writer's), which also serialises what :meth:`write` gets for it."""
        if self._writer is None:
            raise InvalidInputError(f"bag {self.path} is not open for writing")
        if topic in self._connections:
            raise InvalidInputError(f"topic {topic} declared twice")
        typestore = typestore if typestore is not None else self.typestore
        connection = self._writer.add_connection(topic, typename, typestore=typestore)
        self._connections[topic] = (connection, typename, typestore)

    def write(self, topic: str, log_ns: int, msg: Any) -> None:
        """Serialise ``msg`` (rclpy or rosbags message of the topic's type) and store it."""
        connection, typename, typestore = self._connections[topic]
        self._writer.write(connection, int(log_ns), serialize(msg, typename, typestore))

    def write_raw(self, topic: str, log_ns: int, data: bytes) -> None:
        """Store CDR bytes as received from the wire."""
        connection = self._connections[topic][0]
        self._writer.write(connection, int(log_ns), data)

    def close(self) -> None:
        """Finish the bag and move it to ``path`` (replacing an old bag there)."""
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        writer.close()
        if self.path.exists():
            shutil.rmtree(self.path)
        os.replace(self._tmp, self.path)
        shutil.rmtree(self._tmp_root, ignore_errors=True)

    def abort(self) -> None:
        """Drop the partial bag."""
        writer, self._writer = self._writer, None
        if writer is not None:
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - the partial bag is deleted anyway
                pass
        shutil.rmtree(self._tmp_root, ignore_errors=True)
