"""``siam-track video``: tracks a folder / video end to end; every bad input is a non-zero exit
with one readable line."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import yaml

from siam_tracker_ros.cli import main
from siam_tracker_ros.cli.video_cmd import parse_box
from siam_tracker_ros.core.errors import InvalidInputError
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence

REPO = Path(__file__).resolve().parents[2]
PYSOT_ALEX = REPO / "test" / "fixtures" / "parity" / "models" / "siamrpn_alex_dwxcorr" / "config.yaml"
NUM_FRAMES = 12


pytestmark = pytest.mark.usefixtures("one_torch_thread")     # test/conftest.py


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A folder of PNG frames and the same frames as an .avi, plus the init box."""
    root = tmp_path_factory.mktemp("clip")
    seq = generate_sequence(SyntheticSpec(seed=11, num_frames=NUM_FRAMES, speed_px=3.0))
    folder = root / "frames"
    folder.mkdir()
    writer = cv2.VideoWriter(str(root / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (320, 240))
    for t, frame in enumerate(seq.frames):
        cv2.imwrite(str(folder / f"{t}.png"), frame)
        writer.write(frame)
    writer.release()
    box = ",".join(f"{v:.2f}" for v in seq.init_box_xywh)
    return {"folder": folder, "video": root / "clip.avi", "init": box, "seq": seq, "root": root}


def run_cli(argv, capsys):
    code = main(["video"] + [str(a) for a in argv] + ["--no-progress"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_folder_to_json_and_video(clip, capsys, tmp_path):
    out = tmp_path / "results.json"
    movie = tmp_path / "tracked.avi"
    code, _, err = run_cli([clip["folder"], "--init", clip["init"], "--out", out,
                            "--save-video", movie, "--long-term"], capsys)
    assert code == 0, err
    doc = json.loads(out.read_text())
    frames = doc["frames"]
    assert len(frames) == NUM_FRAMES and doc["complete"] is True
    assert frames[0]["score"] == 1.0 and frames[0]["state"] == "TRACKING"
    assert frames[0]["bbox"] == pytest.approx([float(v) for v in clip["init"].split(",")], abs=1e-3)
    for entry in frames:
        assert set(entry) == {"bbox", "score", "state", "polygon"}
        assert entry["state"] in ("TRACKING", "UNCERTAIN", "LOST", "SEARCHING")
        assert entry["polygon"] is None and 0.0 <= entry["score"] <= 1.0
    last = np.array(frames[-1]["bbox"])
    gt = clip["seq"].boxes_xywh[-1]
    assert np.hypot(*(last[:2] + last[2:] / 2 - gt[:2] - gt[2:] / 2)) < 6.0
    capture = cv2.VideoCapture(str(movie))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == NUM_FRAMES
    capture.release()


def test_video_file_to_stdout_with_max_frames(clip, capsys):
    code, out, err = run_cli([clip["video"], "--init", clip["init"], "--max-frames", 4,
                              "--device", "cpu"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert len(doc["frames"]) == 4 and doc["long_term"] is False


def bad_config(clip) -> Path:
    path = clip["root"] / "bad.yaml"
    path.write_text(yaml.safe_dump({"tracker": {"scale_nmu": 3}}))
    return path


def bad_checkpoint(clip) -> Path:
    path = clip["root"] / "bad.pth"
    torch.save({"not.a.layer": torch.zeros(2)}, path)
    return path


def empty_folder(clip) -> Path:
    path = clip["root"] / "empty"
    path.mkdir(exist_ok=True)
    return path


def unreadable_video(clip) -> Path:
    path = clip["root"] / "garbage.mp4"
    path.write_bytes(b"\x00\x01 not a video " * 50)
    return path


BAD_INPUTS = {
    "box outside the frame": (lambda c: [c["folder"], "--init", "400,10,30,30"], "outside the 320x240 frame"),
    "zero size": (lambda c: [c["folder"], "--init", "10,10,0,30"], "width and height must be > 0"),
    "negative size": (lambda c: [c["folder"], "--init", "10,10,30,-5"], "width and height must be > 0"),
    "NaN": (lambda c: [c["folder"], "--init", "nan,10,30,30"], "NaN"),
    "malformed --init": (lambda c: [c["folder"], "--init", "10;10;30"], "x,y,w,h"),
    "non-numeric --init": (lambda c: [c["folder"], "--init", "a,b,c,d"], "x,y,w,h"),
    "no --init": (lambda c: [c["folder"]], "--init"),
    "missing video": (lambda c: [c["root"] / "nope.mp4", "--init", c["init"]], "does not exist"),
    "unreadable video": (lambda c: [unreadable_video(c), "--init", c["init"]], "cannot read video"),
    "empty folder": (lambda c: [empty_folder(c), "--init", c["init"]], "has no frames"),
    "unknown config key": (lambda c: [c["folder"], "--init", c["init"], "--config", bad_config(c)],
                           "unknown config key(s) scale_nmu"),
    "unknown config file": (lambda c: [c["folder"], "--init", c["init"], "--config", "nope.yaml"],
                            "not found"),
    "weights for the parameter-free model": (
        lambda c: [c["folder"], "--init", c["init"], "--config", "siamfc_parameter_free",
                   "--weights", bad_checkpoint(c)], "takes no weights"),
    "weights that do not fit the default model": (
        lambda c: [c["folder"], "--init", c["init"], "--weights", bad_checkpoint(c)],
        "does not fit model nanotrack_v3"),
    "weights that do not fit siamrpn_slim": (
        lambda c: [c["folder"], "--init", c["init"], "--config", "siamrpn_slim", "--weights", bad_checkpoint(c)],
        "does not fit model siamrpn_slim"),
    "checkpoint that does not fit": (
        lambda c: [c["folder"], "--init", c["init"], "--config", PYSOT_ALEX, "--weights", bad_checkpoint(c)],
        "siamrpn_alex_dwxcorr"),
    "PySOT config without weights": (
        lambda c: [c["folder"], "--init", c["init"], "--config", PYSOT_ALEX], "needs a checkpoint"),
    "bad device": (lambda c: [c["folder"], "--init", c["init"], "--device", "gpu0"], "device"),
    "bad --max-frames": (lambda c: [c["folder"], "--init", c["init"], "--max-frames", 0], "--max-frames"),
    "--out is a folder": (lambda c: [c["folder"], "--init", c["init"], "--out", c["root"]], "is a folder"),
    "--save-video folder missing": (
        lambda c: [c["folder"], "--init", c["init"], "--save-video", c["root"] / "no" / "x.mp4"],
        "does not exist"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_non_zero_with_one_line(case, clip, capsys):
    make_argv, fragment = BAD_INPUTS[case]
    code, out, err = run_cli(make_argv(clip), capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("siam-track video: error: ")
    assert fragment in lines[0]
    assert out == ""


def test_select_without_display_is_a_clear_error(clip, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    code, _, err = run_cli([clip["folder"], "--select"], capsys)
    assert code == 1 and "--select needs a display" in err and err.count("\n") == 1


def test_corrupt_frame_mid_way_keeps_the_frames_done(clip, capsys, tmp_path):
    folder = tmp_path / "frames"
    shutil.copytree(clip["folder"], folder)
    (folder / "5.png").write_bytes(b"broken")
    out = tmp_path / "partial.json"
    code, _, err = run_cli([folder, "--init", clip["init"], "--out", out], capsys)
    assert code == 1 and "cannot read frame image" in err
    doc = json.loads(out.read_text())
    assert doc["complete"] is False and len(doc["frames"]) == 5 and "5.png" in doc["error"]


def test_parse_box():
    assert parse_box("1, 2, 3.5, 4") == (1.0, 2.0, 3.5, 4.0)
    assert parse_box("1 2 3 4") == (1.0, 2.0, 3.0, 4.0)
    with pytest.raises(InvalidInputError):
        parse_box("1,2,3,inf")


def siam_track_command():
    script = Path(sys.executable).with_name("siam-track")
    if script.exists():
        return [str(script)]
    found = shutil.which("siam-track")
    return [found] if found else [sys.executable, "-m", "siam_tracker_ros"]


@pytest.mark.slow
def test_real_subprocess_exit_code_and_single_line(clip):
    """The installed console script, in a fresh process (startup imports torch: a few s)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(siam_track_command() + ["video", str(clip["folder"]), "--init", "5,5,0,9"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "siam-track video: error: --init width and height must be > 0, got '5,5,0,9'"]
    garbage = clip["root"] / "garbage_sub.mp4"
    garbage.write_bytes(b"\x00\x01 not a video " * 50)
    bad = subprocess.run(siam_track_command() + ["video", str(garbage), "--init", "5,5,9,9"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert bad.returncode == 1
    # one line only: FFmpeg's own complaint ("moov atom not found") is silenced
    assert len(bad.stderr.strip().splitlines()) == 1 and "cannot read video" in bad.stderr
