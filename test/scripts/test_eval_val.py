"""scripts/eval_val.py: candidates parsed, one table (markdown/JSON/plots), per-candidate cache
reused only for an unchanged spec, one-line errors. Runs OpenCV baselines on two tiny seeded
folder-layout sequences (a few seconds)."""
import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from siam_tracker_ros.core.errors import InvalidInputError
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "eval_val.py"


@pytest.fixture(scope="module")
def eval_val():
    spec = importlib.util.spec_from_file_location("eval_val_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Two synthetic sequences written in the plain folder layout (frames + groundtruth.txt)."""
    root = tmp_path_factory.mktemp("val")
    for seed in (3, 4):
        seq = generate_sequence(SyntheticSpec(seed=seed, num_frames=10, name=f"seq{seed}"))
        folder = root / seq.name
        folder.mkdir()
        for i in range(len(seq)):
            cv2.imwrite(str(folder / f"{i + 1:05d}.jpg"), seq.frames[i])
        boxes = seq.boxes_xywh
        (folder / "groundtruth.txt").write_text("".join(",".join(f"{v:.2f}" for v in b) + "\n" for b in boxes))
    return root


def test_candidate_specs(eval_val, tmp_path):
    spec, body = eval_val.parse_candidate("v3-lt=siamrpn_slim+lt,long_term.loss_threshold=0.3,verifier.enabled=false",
                                          2, None)
    assert (spec.name, spec.long_term, spec.num_threads, body.startswith("siamrpn_slim+lt")) == ("v3-lt", True, 2, True)
    assert dict(spec.overrides) == {"long_term.loss_threshold": 0.3, "verifier.enabled": False}
    pair = (str(tmp_path / "b.onnx"), str(tmp_path / "h.onnx"))
    for path in pair:
        Path(path).write_bytes(b"")          # existence is checked up front; loading comes later
    spec, _ = eval_val.parse_candidate("tn=nano", 2, pair)
    assert spec.baseline == "nano" and spec.nano_models == pair
    for bad in ("no-equals", "=csrt", "a/b=csrt", "x=csrt,k=1", "x=siamrpn_slim,novalue", "x=nope_cfg"):
        with pytest.raises(InvalidInputError):
            eval_val.parse_candidate(bad, 2, None)
    assert {"baselines", "issue11"} <= set(eval_val.SETS)
    assert len(eval_val.SETS["issue11"]) == 8 + len(eval_val.SETS["baselines"])


def test_one_table_and_cache(eval_val, dataset, tmp_path, capsys):
    out, results = tmp_path / "out", tmp_path / "res"
    argv = ["--root", str(dataset), "--out", str(out), "--results", str(results), "--threads", "1",
            "--candidate", "c=csrt", "--candidate", "k=kcf", "--no-progress"]
    assert eval_val.main(argv) == 0
    text = (out / "val.md").read_text()
    assert "| candidate | spec | AUC | P@20 | LT-F | FPS |" in text and "2 sequences, 20 frames" in text
    doc = json.loads((out / "val.json").read_text())
    assert [c["name"] for c in doc["candidates"]] == ["c", "k"]
    for row in doc["candidates"]:
        assert 0.0 <= row["auc"] <= 1.0 and row["tracked_frames"] == 18 and row["fps"] > 0
        assert set(row["per_sequence_auc"]) == {"seq3", "seq4"}
    assert (out / "val_success.png").is_file() and (out / "val_precision.png").is_file()
    capsys.readouterr()

    assert eval_val.main(argv) == 0                      # unchanged specs: both cached
    assert "c: 0 sequence(s) run, 2 cached" in capsys.readouterr().out
    argv[argv.index("k=kcf")] = "k=mil"                  # a changed spec reruns that candidate only
    assert eval_val.main(argv) == 0
    printed = capsys.readouterr().out
    assert "c: 0 sequence(s) run, 2 cached" in printed and "k: 2 sequence(s) run, 0 cached" in printed
    assert np.isfinite(json.loads((out / "val.json").read_text())["candidates"][1]["auc"])


def test_errors_are_one_line(eval_val, dataset, tmp_path, capsys):
    assert eval_val.main(["--root", str(tmp_path / "missing"), "--candidate", "c=csrt"]) == 2
    assert eval_val.main(["--root", str(dataset), "--candidate", "c=csrt", "--candidate", "c=kcf"]) == 2
    assert eval_val.main(["--root", str(dataset), "--candidate", "t=nano",
                          "--nano-onnx", str(tmp_path / "b.onnx"), str(tmp_path / "h.onnx"),
                          "--results", str(tmp_path / "r"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and "does not exist" in err[0] and "repeat" in err[1] and "not found" in err[2]
