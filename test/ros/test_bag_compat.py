"""Bags from other writers: a ROS 2 Humble-style sqlite3 bag (metadata version 5, schema 3, no type
hashes, no definitions, written with the Humble typestore) evaluates like the Jazzy bag it was
copied from; unknown types are skipped with one warning line per type; a type the bag defines
itself is decoded; a bare .mcap / .db3 file is read."""
import pytest

pytest.importorskip("rosbags", reason="rosbags not installed: pip install -e .[bags]")

import sqlite3  # noqa: E402

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from siam_tracker_ros.core.errors import InvalidInputError  # noqa: E402
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence  # noqa: E402
from siam_tracker_ros.models.opencv_baselines import OpenCVTracker  # noqa: E402
from siam_tracker_ros.ros.bag import types as B  # noqa: E402
from siam_tracker_ros.ros.bag.eval import evaluate_bag  # noqa: E402
from siam_tracker_ros.ros.bag.io import BagReader, BagWriter  # noqa: E402
from siam_tracker_ros.ros.bag.make import MakeOptions, write_sequence_bag  # noqa: E402
from siam_tracker_ros.ros.bag.scoring import public_scores  # noqa: E402
from rosbags.typesys import get_types_from_msg  # noqa: E402

SPEC = SyntheticSpec(seed=5, num_frames=24, frame_size_wh=(128, 96), target_size_wh=(20, 16), name="compat")
HUMBLE_QOS = ("- history: 3\n  depth: 0\n  reliability: 1\n  durability: 2\n  deadline:\n    sec: 2147483647\n"
              "    nsec: 4294967295\n  lifespan:\n    sec: 2147483647\n    nsec: 4294967295\n  liveliness: 1\n"
              "  liveliness_lease_duration:\n    sec: 2147483647\n    nsec: 4294967295\n"
              "  avoid_ros_namespace_conventions: false")
UNKNOWN_TYPE = "acme_msgs/msg/Blob"


@pytest.fixture(scope="module")
def jazzy_bag(tmp_path_factory):
    out = tmp_path_factory.mktemp("compat") / "jazzy"
    write_sequence_bag(generate_sequence(SPEC), out, MakeOptions(storage="sqlite3"))
    return out


def write_humble_bag(path, messages):
    """A bag laid out as ROS 2 Humble's rosbag2 writes it: ``messages`` = (topic, type, log_ns,
    cdr bytes) in order."""
    path.mkdir()
    db_name = f"{path.name}_0.db3"
    db = sqlite3.connect(path / db_name)
    db.executescript("""
        CREATE TABLE schema(schema_version INTEGER PRIMARY KEY,ros_distro TEXT NOT NULL);
        CREATE TABLE metadata(id INTEGER PRIMARY KEY,metadata_version INTEGER NOT NULL,metadata TEXT NOT NULL);
        CREATE TABLE topics(id INTEGER PRIMARY KEY,name TEXT NOT NULL,type TEXT NOT NULL,
                            serialization_format TEXT NOT NULL,offered_qos_profiles TEXT NOT NULL);
        CREATE TABLE messages(id INTEGER PRIMARY KEY,topic_id INTEGER NOT NULL,timestamp INTEGER NOT NULL,
                              data BLOB NOT NULL);
        CREATE INDEX timestamp_idx ON messages (timestamp ASC);
        INSERT INTO schema(schema_version, ros_distro) VALUES (3, 'humble');
    """)
    topics = {}
    for topic, typename, _, _ in messages:
        if topic not in topics:
            topics[topic] = (len(topics) + 1, typename)
            db.execute("INSERT INTO topics VALUES (?, ?, ?, 'cdr', ?)", (topics[topic][0], topic, typename, HUMBLE_QOS))
    counts = {}
    for topic, _, log_ns, data in messages:
        db.execute("INSERT INTO messages(topic_id, timestamp, data) VALUES (?, ?, ?)", (topics[topic][0], log_ns, data))
        counts[topic] = counts.get(topic, 0) + 1
    db.commit()
    db.close()
    start = min(m[2] for m in messages)
    duration = max(m[2] for m in messages) - start
    info = {"rosbag2_bagfile_information": {
        "version": 5, "storage_identifier": "sqlite3",
        "duration": {"nanoseconds": duration}, "starting_time": {"nanoseconds_since_epoch": start},
        "message_count": len(messages),
        "topics_with_message_count": [
            {"topic_metadata": {"name": t, "type": ty, "serialization_format": "cdr",
                                "offered_qos_profiles": HUMBLE_QOS}, "message_count": counts[t]}
            for t, (_, ty) in topics.items()],
        "compression_format": "", "compression_mode": "", "relative_file_paths": [db_name],
        "files": [{"path": db_name, "starting_time": {"nanoseconds_since_epoch": start},
                   "duration": {"nanoseconds": duration}, "message_count": len(messages)}]}}
    (path / "metadata.yaml").write_text(yaml.safe_dump(info, sort_keys=False))


@pytest.fixture(scope="module")
def humble_bag(jazzy_bag, tmp_path_factory):
    """The Jazzy bag re-serialised with the Humble typestore, plus two topics of a type nobody
    here knows (no definition in a Humble bag)."""
    humble = B.typestore_for("humble")
    messages = []
    with BagReader(jazzy_bag) as reader:
        for m in reader.messages():
            messages.append((m.topic, m.typename, m.log_ns, bytes(humble.serialize_cdr(m.msg, m.typename))))
    first = messages[0][2]
    messages.insert(1, ("/acme/blob", UNKNOWN_TYPE, first, b"\x00\x01\x00\x00\x07\x00\x00\x00"))
    messages.insert(2, ("/acme/blob2", UNKNOWN_TYPE, first, b"\x00\x01\x00\x00\x07\x00\x00\x00"))
    out = tmp_path_factory.mktemp("compat") / "humble"
    write_humble_bag(out, messages)
    return out


def test_humble_bag_is_read_and_evaluates_like_the_jazzy_bag(jazzy_bag, humble_bag):
    warnings = []
    with BagReader(humble_bag, warn=warnings.append) as reader:
        assert reader.distro == "humble"
        assert reader.topics["/camera/image_raw"].decodable and reader.topics["/camera/image_raw"].count == 24
        assert not reader.topics["/acme/blob"].decodable
    # one line for the unknown type, naming both of its topics
    assert len(warnings) == 1 and UNKNOWN_TYPE in warnings[0]
    assert "/acme/blob" in warnings[0] and "/acme/blob2" in warnings[0]

    jazzy = evaluate_bag(jazzy_bag, OpenCVTracker("kcf"), warn=lambda text: None)
    seen = []
    humble = evaluate_bag(humble_bag, OpenCVTracker("kcf"), warn=seen.append)
    assert len(seen) == 1 and UNKNOWN_TYPE in seen[0]
    np.testing.assert_array_equal(humble.boxes_xywh, jazzy.boxes_xywh)
    assert humble.scores is not None and public_scores(humble.scores) == public_scores(jazzy.scores)


def test_type_defined_only_in_the_bag_is_decoded(tmp_path, capsys):
    custom = B.make_typestore()
    custom.register(get_types_from_msg("uint32 count\nstring note\n", UNKNOWN_TYPE))
    with BagWriter(tmp_path / "custom", "mcap", typestore=custom) as writer:
        writer.add_topic("/acme/blob", UNKNOWN_TYPE)
        cls = custom.types[UNKNOWN_TYPE]
        writer.write("/acme/blob", 5, cls(count=3, note="hello"))
    with BagReader(tmp_path / "custom") as reader:     # the built-in typestore lacks the type
        assert UNKNOWN_TYPE not in B.typestore_for().fielddefs
        (message,) = list(reader.messages())
    assert (message.msg.count, message.msg.note, message.log_ns) == (3, "hello", 5)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("storage,suffix", [("mcap", ".mcap"), ("sqlite3", ".db3")])
def test_a_bare_storage_file_is_read(tmp_path, storage, suffix):
    with BagWriter(tmp_path / "bag", storage) as writer:
        writer.add_topic("/status", B.TRACKER_STATUS)
        for i in range(3):
            writer.write("/status", 100 + i, B.TrackerStatus(state=i))
    (storage_file,) = (tmp_path / "bag").glob(f"*{suffix}")
    with BagReader(storage_file) as reader:
        assert [m.msg.state for m in reader.messages()] == [0, 1, 2]


def test_bad_paths_give_one_line_errors(tmp_path):
    with pytest.raises(InvalidInputError, match="does not exist"):
        BagReader(tmp_path / "nope").open()
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(InvalidInputError, match="not a bag"):
        BagReader(tmp_path / "notes.txt").open()
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInputError, match="cannot read bag"):
        BagReader(tmp_path / "empty").open()
    with BagWriter(tmp_path / "ok", "mcap") as writer:
        writer.add_topic("/s", B.TRACKER_STATUS)
    with pytest.raises(InvalidInputError, match="exists"):
        BagWriter(tmp_path / "ok", "mcap")


def test_failed_write_leaves_nothing_and_keeps_the_old_bag(tmp_path):
    with BagWriter(tmp_path / "bag", "mcap") as writer:
        writer.add_topic("/s", B.TRACKER_STATUS)
        writer.write("/s", 1, B.TrackerStatus(state=1))
    with pytest.raises(RuntimeError):
        with BagWriter(tmp_path / "bag", "mcap", force=True) as writer:
            writer.add_topic("/s", B.TRACKER_STATUS)
            raise RuntimeError("boom")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bag"]
    with BagReader(tmp_path / "bag") as reader:
        assert [m.msg.state for m in reader.messages()] == [1]
