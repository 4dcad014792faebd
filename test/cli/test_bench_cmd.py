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
