"""``siam-track export`` writes the two graphs of a bundled config and checks them against torch."""
import pytest

from siam_tracker_ros.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_export_siamrpn_slim(tmp_path, capsys):
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    assert main(["export", "--config", "siamrpn_slim", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "siamrpn_slim" in text and "cls rel diff" in text and "FAILED" not in text
    assert (tmp_path / "siamrpn_slim.template.onnx").is_file()
    assert (tmp_path / "siamrpn_slim.search.onnx").is_file()


def test_export_bad_config_is_one_line(capsys):
    assert main(["export", "--config", "no_such_model"]) == 1
    err = capsys.readouterr().err.strip()
    assert "no_such_model" in err and "\n" not in err
