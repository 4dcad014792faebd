"""`siam-track bag make|info|eval|score` from the command line, in this environment and in a
fresh interpreter where every ROS 2 Python package is unimportable (rosbags alone): the bags are
byte-identical and the figures equal."""
import pytest

pytest.importorskip("rosbags", reason="rosbags not installed: pip install -e .[bags]")

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402


from siam_tracker_ros.cli import main  # noqa: E402
from siam_tracker_ros.ros.bag.io import BagReader  # noqa: E402

SOURCE = "synthetic:lt-small/0"
FRAMES = "16"

_NO_ROS = r"""
import sys
BLOCKED = {"rclpy", "rcl_interfaces", "rosidl_runtime_py", "rosidl_parser", "rpyutils", "builtin_interfaces",
           "ament_index_python", "cv_bridge", "rosbag2_py", "siam_tracker", "unique_identifier_msgs"}
SUFFIXES = ("_msgs", "_srvs", "_interfaces")


class RosBlocker:
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in BLOCKED or top.endswith(SUFFIXES):
            raise ImportError(f"{name} is ROS: blocked for this test")
        return None


sys.meta_path.insert(0, RosBlocker())
from siam_tracker_ros.cli import main
code = main(sys.argv[1:])
leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED or m.split(".")[0].endswith(SUFFIXES))
assert not leaked, leaked
sys.exit(code)
"""


def run_without_ros(*argv, cwd):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    done = subprocess.run([sys.executable, "-c", _NO_ROS, *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def raw_messages(path):
    with BagReader(path) as reader:
        return [(m.topic, m.log_ns, m.data) for m in reader.messages(raw=True)]


def test_make_info_eval_score_cli(tmp_path, capsys):
    bag, out, figures = tmp_path / "in", tmp_path / "out", tmp_path / "eval.json"
    assert main(["bag", "make", SOURCE, "--out", str(bag), "--max-frames", FRAMES, "--compressed",
                 "--storage", "sqlite3", "--rate", "10", "--no-progress"]) == 0
    assert main(["bag", "info", str(bag)]) == 0
    text = capsys.readouterr().out
    assert "/camera/image_raw/compressed  sensor_msgs/msg/CompressedImage  16" in text
    assert main(["bag", "eval", str(bag), "--baseline", "kcf", "--out", str(out), "--json", str(figures),
                 "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "success AUC" in text and "latency ms" in text
    summary = json.loads(figures.read_text())
    assert summary["frames"] == 16 and summary["frames_scored"] == 16 and summary["tracker"] == "opencv-kcf"
    assert summary["image_topic"] == "/camera/image_raw/compressed"
    assert 0 <= summary["scores"]["success_auc"] <= 1 and summary["timing"]["latency_ms"]["p50"] > 0
    assert main(["bag", "score", str(out), "--ground-truth", str(bag), "--json", str(tmp_path / "s.json")]) == 0
    scored = json.loads((tmp_path / "s.json").read_text())
    assert scored["scores"] == summary["scores"]


def test_cli_errors_are_one_line(tmp_path, capsys):
    bag = tmp_path / "in"
    assert main(["bag", "make", SOURCE, "--out", str(bag), "--max-frames", "3", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["bag", "make", SOURCE, "--out", str(bag), "--max-frames", "3", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists (use --force" in err
    assert main(["bag", "eval", str(tmp_path / "missing"), "--baseline", "kcf"]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["bag", "make", "synthetic:nope/0", "--out", str(tmp_path / "x")]) == 1
    assert "unknown synthetic preset" in capsys.readouterr().err
    # a bag without ground truth or init box: eval asks for --init-box, then reports rates only
    frames = tmp_path / "frames"
    frames.mkdir()
    import cv2
    import numpy as np
    rng = np.random.default_rng(0)
    for i in range(4):
        cv2.imwrite(str(frames / f"{i:04d}.png"), rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    assert main(["bag", "make", str(frames), "--out", str(tmp_path / "bare"), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["bag", "eval", str(tmp_path / "bare"), "--baseline", "kcf"]) == 1
    assert "--init-box" in capsys.readouterr().err
    assert main(["bag", "eval", str(tmp_path / "bare"), "--baseline", "kcf", "--init-box", "10,10,20,16",
                 "--json", str(tmp_path / "bare.json"), "--no-progress"]) == 0
    summary = json.loads((tmp_path / "bare.json").read_text())
    assert summary["scores"] is None and summary["frames"] == 4


def test_make_and_eval_need_only_rosbags(tmp_path):
    """Same commands with ROS 2 Python blocked: identical bags and figures."""
    for where, runner in (("ros", None), ("noros", run_without_ros)):
        argv_make = ["bag", "make", SOURCE, "--out", str(tmp_path / f"{where}_in"), "--max-frames", FRAMES,
                     "--no-progress"]
        argv_eval = ["bag", "eval", str(tmp_path / f"{where}_in"), "--baseline", "kcf", "--out",
                     str(tmp_path / f"{where}_out"), "--json", str(tmp_path / f"{where}.json"), "--no-progress"]
        for argv in (argv_make, argv_eval):
            if runner is None:
                assert main(argv) == 0
            else:
                runner(*argv, cwd=tmp_path)
    assert raw_messages(tmp_path / "ros_in") == raw_messages(tmp_path / "noros_in")
    with_ros, without = (json.loads((tmp_path / f"{w}.json").read_text()) for w in ("ros", "noros"))
    assert with_ros["scores"] == without["scores"] and with_ros["frames"] == without["frames"] == 16
    # outputs identical except the measured latency in the status messages
    ros_out = [m for m in raw_messages(tmp_path / "ros_out") if m[0] != "/siam_tracker/status"]
    noros_out = [m for m in raw_messages(tmp_path / "noros_out") if m[0] != "/siam_tracker/status"]
    assert ros_out == noros_out and len(ros_out) > 16
