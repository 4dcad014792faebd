"""Eval runner: PySOT result layout, resume, VOT protocol files, parallel workers."""
import numpy as np
import pytest

from siam_tracker_ros.core.errors import InvalidInputError
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence
from siam_tracker_ros.models.opencv_baselines import OpenCVTracker
from siam_tracker_ros.evaluation.runner import (
    make_tracker_spec, read_boxes, read_values, read_vot_result, run_evaluation, track_sequence, vot_result_path)


@pytest.fixture(scope="module")
def sequences():
    return [generate_sequence(SyntheticSpec(seed=s, num_frames=12, name=f"seq-{s}")) for s in (1, 2)]


def test_results_layout_and_resume(tmp_path, sequences):
    spec = make_tracker_spec(baseline="kcf")
    assert spec.name == "opencv-kcf"
    summary = run_evaluation("toy", sequences, spec, tmp_path, progress=False)
    out = tmp_path / "toy" / "opencv-kcf"
    assert summary.out_dir == out and sorted(summary.ran) == ["seq-1", "seq-2"]
    boxes = read_boxes(out / "seq-1.txt")
    assert boxes.shape == (12, 4)
    np.testing.assert_allclose(boxes[0], sequences[0].init_box_xywh, atol=1e-4)
    conf = read_values(out / "seq-1_confidence.value")
    assert conf.shape == (12,) and conf[0] == 1.0 and set(np.unique(conf)) <= {0.0, 1.0}
    assert read_values(out / "seq-1_time.value").shape == (12,)

    again = run_evaluation("toy", sequences, spec, tmp_path, progress=False)
    assert again.ran == [] and sorted(again.skipped) == ["seq-1", "seq-2"]

    lines = (out / "seq-2.txt").read_text().splitlines()
    (out / "seq-2.txt").write_text("\n".join(lines[:5]) + "\n")      # an interrupted, partial file
    (out / ".seq-1.txt.tmp").write_text("junk\n")                    # a stale temp file is ignored
    third = run_evaluation("toy", sequences, spec, tmp_path, progress=False)
    assert third.ran == ["seq-2"] and third.skipped == ["seq-1"]
    assert len(read_boxes(out / "seq-2.txt")) == 12


def test_vot_protocol_results(tmp_path, sequences):
    spec = make_tracker_spec(baseline="kcf", name="kcf-vot")
    run_evaluation("toy", sequences[:1], spec, tmp_path, protocol="vot", progress=False)
    codes, boxes = read_vot_result(vot_result_path(tmp_path / "toy" / "kcf-vot", "seq-1"))
    assert len(codes) == 12 and codes[0] == 1 and np.isfinite(boxes[1:]).all() == (codes[1:] == 0).all()


def test_track_sequence_with_baseline(sequences):
    output = track_sequence(OpenCVTracker("csrt"), sequences[0])
    assert output.boxes_xywh.shape == (12, 4) and np.isfinite(output.boxes_xywh).all()


def test_spec_errors(tmp_path, sequences):
    with pytest.raises(InvalidInputError, match="unknown baseline"):
        make_tracker_spec(baseline="boosting")
    with pytest.raises(InvalidInputError, match="does not exist"):
        make_tracker_spec(config=str(tmp_path / "missing.yaml"))
    with pytest.raises(InvalidInputError, match="jobs"):
        run_evaluation("toy", sequences, make_tracker_spec(baseline="kcf"), tmp_path, jobs=0)
    assert make_tracker_spec(config="default", long_term=True).name == "default-lt"
    assert make_tracker_spec(config="siamrpn_slim").name == "siamrpn_slim"   # a bundled config name
    with pytest.raises(InvalidInputError, match="TrackerNano: backbone ONNX file .* not found"):
        OpenCVTracker("nano", (str(tmp_path / "b.onnx"), str(tmp_path / "h.onnx")))


@pytest.mark.slow
def test_parallel_jobs_match_serial(tmp_path, sequences):
    spec = make_tracker_spec(baseline="kcf")
    run_evaluation("serial", sequences, spec, tmp_path, jobs=1, progress=False)
    summary = run_evaluation("parallel", sequences, spec, tmp_path, jobs=2, progress=False)
    assert sorted(summary.ran) == ["seq-1", "seq-2"]
    for seq in sequences:
        np.testing.assert_array_equal(read_boxes(tmp_path / "serial" / "opencv-kcf" / f"{seq.name}.txt"),
                                      read_boxes(tmp_path / "parallel" / "opencv-kcf" / f"{seq.name}.txt"))
