"""Report on tiny results folders: figures, markdown, JSON schema, plots, and the CLI."""
import json

import cv2
import numpy as np
import pytest

from siam_tracker_ros.cli import main
from siam_tracker_ros.core.errors import InvalidInputError
from siam_tracker_ros.evaluation.report import build_report, render_markdown, write_json, write_plots
from siam_tracker_ros.evaluation.datasets import load_dataset

GT = [[4, 4, 10, 8], [5, 4, 10, 8], [6, 5, 10, 8], [7, 5, 10, 8], [8, 6, 10, 8]]


@pytest.fixture()
def dataset(tmp_path):
    rng = np.random.default_rng(0)
    for name in ("alpha", "beta"):
        folder = tmp_path / "data" / name
        folder.mkdir(parents=True)
        for i in range(5):
            cv2.imwrite(str(folder / f"{i:03d}.png"), rng.integers(0, 256, (24, 32, 3), dtype=np.uint8))
        (folder / "groundtruth.txt").write_text("".join(",".join(map(str, b)) + "\n" for b in GT))
    return tmp_path / "data"


def _write_results(folder, name, boxes, conf=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text("".join(",".join(f"{v:g}" for v in b) + "\n" for b in boxes))
    if conf is not None:
        (folder / f"{name}_confidence.value").write_text("".join(f"{c}\n" for c in conf))


def test_report_figures_markdown_json_plots(tmp_path, dataset):
    results = tmp_path / "results"
    gt = np.array(GT, float)
    for name in ("alpha", "beta"):
        _write_results(results / "perfect", name, gt, conf=[1, 0.9, 0.9, 0.9, 0.9])
    shifted = gt.copy()
    shifted[1:, 0] += 5                                   # IoU 5/15 = 1/3 on frames 1..4
    _write_results(results / "shifted", "alpha", shifted)  # no beta, no confidence
    sequences = load_dataset("folder", dataset)
    report = build_report("folder", sequences, results, root=str(dataset))
    perfect = report["trackers"]["perfect"]["overall"]
    assert perfect["success_auc"] == pytest.approx(20 / 21)           # IoU 1 beats 20 of 21 thresholds
    assert perfect["precision_20px"] == 1.0 and perfect["ao"] == pytest.approx(1.0)
    assert perfect["lt_f"] == pytest.approx(1.0) and perfect["num_sequences"] == 2
    shifted_scores = report["trackers"]["shifted"]["overall"]
    # frame 0 IoU 1 (20 thresholds), frames 1..4 IoU 1/3 (7 thresholds: 0..0.30)
    assert shifted_scores["success_auc"] == pytest.approx((20 + 4 * 7) / (5 * 21))
    assert shifted_scores["ao"] == pytest.approx(1 / 3) and shifted_scores["sr50"] == 0.0
    assert report["trackers"]["shifted"]["missing_sequences"] == ["beta"]
    assert report["trackers"]["shifted"]["has_confidence"] is False

    text = render_markdown(report)
    assert "| perfect | 2 | 0.952 |" in text and "shifted: 1 sequence(s) without results (beta)" in text
    doc = json.loads(write_json(report, tmp_path / "r.json").read_text())
    assert doc["schema"] == "siam_tracker.report/1"
    entry = doc["trackers"]["perfect"]
    assert set(entry) >= {"path", "missing_sequences", "has_confidence", "overall", "per_attribute",
                          "per_sequence", "curves", "vot"}
    assert len(entry["curves"]["success"]) == 21 and len(entry["curves"]["precision"]) == 51
    assert entry["overall"]["reacq_mean_delay"] is None and set(entry["per_sequence"]) == {"alpha", "beta"}
    paths = write_plots(report, tmp_path / "plots")
    assert [p.name for p in paths] == ["folder_success.png", "folder_precision.png", "folder_norm_precision.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
    # a single tracker folder works as --results too
    single = build_report("folder", sequences, results / "perfect")
    assert list(single["trackers"]) == ["perfect"]


def test_report_without_results_is_an_error(tmp_path, dataset):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInputError, match="no result files"):
        build_report("folder", load_dataset("folder", dataset), tmp_path / "empty")


def test_result_length_mismatch_is_an_error(tmp_path, dataset):
    _write_results(tmp_path / "r" / "t", "alpha", np.array(GT[:3], float))
    with pytest.raises(InvalidInputError, match="3 result lines, ground truth has 5"):
        build_report("folder", load_dataset("folder", dataset), tmp_path / "r")


def test_cli_eval_then_report(tmp_path, dataset, capsys):
    results = tmp_path / "out"
    assert main(["eval", "--dataset", "folder", "--root", str(dataset), "--baseline", "kcf",
                 "--results", str(results), "--no-progress"]) == 0
    assert (results / "folder" / "opencv-kcf" / "alpha.txt").is_file()
    assert main(["report", "--results", str(results), "--dataset", "folder", "--root", str(dataset),
                 "--json", str(tmp_path / "rep.json"), "--plots", str(tmp_path / "plots")]) == 0
    out = capsys.readouterr().out
    assert "| opencv-kcf | 2 |" in out and "plot: " in out and (tmp_path / "rep.json").is_file()
    assert main(["eval", "--dataset", "folder", "--baseline", "kcf"]) == 1
    assert "needs --root" in capsys.readouterr().err
    assert main(["eval", "--dataset", "lt-small"]) == 1
    assert "--baseline" in capsys.readouterr().err


def test_synthetic_report_has_reacquisition(tmp_path):
    from siam_tracker_ros.data.synthetic import PRESETS, generate_sequence

    seq = generate_sequence(PRESETS["lt-small"][3])        # out of view 40..54
    boxes = np.where(np.isfinite(seq.boxes_xywh), seq.boxes_xywh, 0.0)
    boxes[55:60] = (0, 0, 5, 5)                            # re-acquired 5 frames after re-entry
    _write_results(tmp_path / "t", seq.name, boxes)
    report = build_report("lt-small", [seq], tmp_path)
    overall = report["trackers"]["t"]["overall"]
    assert overall["reacq_events"] == 1 and overall["reacq_recovered"] == 1
    first_visible = int(np.argmax(seq.visible[40:])) + 40
    assert overall["reacq_mean_delay"] == 60 - first_visible
    assert "Re-acq delay" in render_markdown(report)


def test_vot_protocol_results_are_reported(tmp_path, dataset):
    from siam_tracker_ros.evaluation.runner import make_tracker_spec, run_evaluation

    sequences = load_dataset("folder", dataset)
    run_evaluation("folder", sequences, make_tracker_spec(baseline="kcf"), tmp_path, protocol="vot", progress=False)
    report = build_report("folder", sequences, tmp_path)
    vot = report["trackers"]["opencv-kcf"]["vot"]
    # 5-frame sequences lie entirely inside the 10-frame burn-in: no frame counts for accuracy
    assert vot["num_frames"] == 10 and vot["failures"] >= 0 and np.isnan(vot["accuracy"])
    text = render_markdown(report)
    assert "VOT reset protocol" in text and "without results" not in text
