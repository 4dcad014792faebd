"""``siam-track bench`` runs end to end on a tiny setting and reports every column; bad
arguments are one-line errors. (Speed figures are printed by the command, never asserted.)"""
import json

import pytest

from siam_tracker_ros.cli import main
from siam_tracker_ros.cli.bench_cmd import STAGES, parse_sizes


def test_bench_alex_tiny_run(tmp_path, capsys):
    out_json = tmp_path / "bench.json"
    code = main(["bench", "--config", "siamrpn_alex_dwxcorr", "--sizes", "160x120", "--frames", "2",
                 "--warmup", "0", "--threads", "1", "--no-progress", "--json", str(out_json),
                 "--fast", "--fast-backend", "torch"])
    assert code == 0
    text = capsys.readouterr().out
    assert "siamrpn_alex_dwxcorr" in text and "160x120" in text and "x total" in text
    assert "load average" in text
    rows = json.loads(out_json.read_text())
    assert [r["variant"] for r in rows] == ["exact", "fast:torch"]
    row = rows[0]
    assert row["frames"] == 2 and row["threads"] == 1 and row["device"] == "cpu"
    assert set(row["stages_ms"]) == set(STAGES)
    assert row["total_ms"] > 0 and row["fps"] > 0 and row["peak_mem_mib"] > 50
    assert row["speedup"]["total"] == 1.0
    fast = rows[1]
    assert fast["speedup"]["total"] == pytest.approx(row["total_ms"] / fast["total_ms"])


@pytest.mark.parametrize("argv, fragment", [
    (["--sizes", "640by480"], "WIDTHxHEIGHT"),
    (["--config", "no_such_experiment"], "no_such_experiment"),
    (["--config", "siamrpn_alex_dwxcorr", "--config", "siammask_r50_l3", "--weights", "w.pth"], "exactly one"),
    (["--frames", "0"], "--frames"),
    (["--backend", "tflite"], "tflite"),
    (["--config", "siamrpn_alex_dwxcorr", "--override", "TRACK.NOPE=1"], "TRACK.NOPE"),
])
def test_bench_argument_errors(argv, fragment, capsys):
    assert main(["bench", "--no-progress"] + argv) == 1
    err = capsys.readouterr().err.strip()
    assert fragment in err and "\n" not in err


def test_parse_sizes():
    assert parse_sizes("640x480, 1280X720") == [(640, 480), (1280, 720)]


class _Recorder:
    """A tracker that records which frame it was given, in call order (shared log)."""

    def __init__(self, name, log):
        self.name, self.log = name, log

    def initialize(self, frame, box):
        self.log.append((self.name, "init", int(frame[0, 0, 0])))

    def track(self, frame):
        self.log.append((self.name, "track", int(frame[0, 0, 0])))


def _frames(count):
    import numpy as np
    return [np.full((4, 4, 3), i, np.uint8) for i in range(count)]


def test_blocks_schedule_times_each_variant_alone_on_the_same_frames():
    from siam_tracker_ros.cli.bench_cmd import Variant, time_variants

    log = []
    variants = [Variant("a", _Recorder("a", log)), Variant("b", _Recorder("b", log))]
    time_variants(variants, _frames(12), (0, 0, 1, 1), warmup=2, schedule="blocks", rounds=3)
    # warm-up 1-2, then 9 timed frames in 3 blocks of 3; each block starts with the frame
    # before it again (untimed); the order rotates per block
    runs = [(name, [f for n, kind, f in log if n == name and kind == "track"]) for name in "ab"]
    for _, frames in runs:
        assert frames == [0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 8, 9, 10, 11]
    order = [name for name, kind, _ in log if kind == "track"]
    assert order == ["a"] * 3 + ["b"] * 3 + ["b"] * 4 + ["a"] * 4 + ["a"] * 4 + ["b"] * 4 + \
        ["b"] * 4 + ["a"] * 4
    assert [len(v.totals) for v in variants] == [9, 9]      # warm-up and settle frames untimed


def test_interleaved_schedule_alternates_frame_by_frame():
    from siam_tracker_ros.cli.bench_cmd import Variant, time_variants

    log = []
    variants = [Variant("a", _Recorder("a", log)), Variant("b", _Recorder("b", log))]
    time_variants(variants, _frames(4), (0, 0, 1, 1), warmup=1, schedule="interleaved")
    assert [(n, f) for n, kind, f in log if kind == "track"] == [
        ("a", 1), ("b", 1), ("b", 2), ("a", 2), ("a", 3), ("b", 3)]
    assert [len(v.totals) for v in variants] == [2, 2]


def test_synthetic_frames_take_a_target_size():
    from siam_tracker_ros.cli.bench_cmd import synthetic_frames
    frames, box = synthetic_frames((320, 240), 3)
    assert len(frames) == 3 and frames[0].shape == (240, 320, 3) and box[2:] == (48.0, 40.0)
    frames, box = synthetic_frames((320, 240), 3, target_wh=(14, 12))
    assert box[2:] == (14.0, 12.0)
