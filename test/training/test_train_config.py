"""Training YAML: strict keys, path resolution, value checks, command-line overrides."""
import os

import pytest
import yaml

from siam_tracker_ros.core.errors import ConfigError
from siam_tracker_ros.training.config import load_train_config, train_config_from_mapping
from siam_tracker_ros.training.trainer import lr_factor, with_overrides

MINIMAL = {"model": {"config": "net.yaml"}, "data": {"synthetic": {"sequences": 2}}}


def _write(tmp_path, data):
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_minimal_config_and_relative_paths(tmp_path):
    data = dict(MINIMAL, data={"synthetic": {"sequences": 2}, "images": [{"dir": "imgs", "weight": 0.5}]},
                run={"output_dir": "out"})
    cfg = load_train_config(_write(tmp_path, data))
    assert cfg.model.config == os.path.join(str(tmp_path), "net.yaml")
    assert cfg.data.images[0].dir == os.path.join(str(tmp_path), "imgs")
    assert cfg.run.output_dir == os.path.join(str(tmp_path), "out")
    assert cfg.optim.optimizer == "sgd" and cfg.targets.thr_high == 0.6
    assert cfg.to_dict()["data"]["images"][0]["weight"] == 0.5


@pytest.mark.parametrize("data, message", [
    ({"model": {"config": "n.yaml"}, "data": {"synthetic": {"sequences": 1}}, "optimiser": {}}, "unknown config key"),
    ({"model": {"config": "n.yaml", "weights": "x"}, "data": {"synthetic": {"sequences": 1}}}, "unknown config key"),
    ({"model": {"config": "n.yaml"}, "data": {"synthetic": {"sequences": 1, "sequnces": 2}}}, "unknown config key"),
    ({"model": {"config": "n.yaml"}, "data": {"synthetic": {"sequences": 1}, "search_jitter": {"shift": 3}}}, "unknown"),
    ({"data": {"synthetic": {"sequences": 1}}}, "model.config"),
    ({"model": {"config": "n.yaml"}}, "no source"),
    ({"model": {"config": "n.yaml"}, "data": {"synthetic": {"sequences": 1}}, "loss": {"box_loss": "l2"}}, "box_loss"),
    ({"model": {"config": "n.yaml"}, "data": {"synthetic": {"sequences": 1}}, "optim": {"optimizer": "adam"}}, "optimizer"),
    ({"model": {"config": "n.yaml"}, "data": {"synthetic": {"sequences": 1}}, "run": {"steps": 0}}, "steps"),
    ({"model": {"config": "n.yaml"}, "data": {"synthetic": {"sequences": 1}, "negative_share": 2}}, "negative_share"),
    ({"model": {"config": "n.yaml"}, "data": {"synthetic": {"sequences": 1}}, "run": [1]}, "mapping"),
])
def test_config_errors_are_one_line(data, message):
    with pytest.raises(ConfigError, match=message) as info:
        train_config_from_mapping(data, "t.yaml")
    assert "\n" not in str(info.value)


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_train_config(str(tmp_path / "nope.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_train_config(str(bad))


def test_overrides_and_schedule():
    cfg = train_config_from_mapping(MINIMAL, "t.yaml")
    cfg2 = with_overrides(cfg, output_dir="/tmp/x", steps=7, init_weights="/w.pth", device="cpu")
    assert cfg2.run.steps == 7 and cfg2.run.output_dir == "/tmp/x" and cfg2.model.init_weights == "/w.pth"
    with pytest.raises(ConfigError):
        with_overrides(cfg, steps=0)
    optim = cfg.optim
    assert lr_factor(0, 1000, optim) == pytest.approx(optim.warmup_start_factor)
    assert lr_factor(optim.warmup_steps, 1000, optim) == pytest.approx(1.0)
    assert lr_factor(1000, 1000, optim) == pytest.approx(optim.final_lr_factor)
    values = [lr_factor(s, 1000, optim) for s in range(optim.warmup_steps, 1001, 50)]
    assert all(a >= b for a, b in zip(values, values[1:]))


def test_synthetic_distractor_boxes_skip_exact_copies():
    import numpy as np
    from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence
    from siam_tracker_ros.training.dataset import synthetic_distractor_boxes

    seq = generate_sequence(SyntheticSpec(seed=5, num_frames=8, distractors=3))   # copy, instance, copy
    boxes = synthetic_distractor_boxes(seq)
    assert boxes.shape == (8, 1, 4)
    finite = np.isfinite(boxes[:, 0, 0])
    assert finite.any()
    assert np.all(boxes[finite, 0, 2:] > 0)
    with pytest.raises(ConfigError, match="distractor_kinds"):
        train_config_from_mapping({"model": {"config": "n.yaml"},
                                   "data": {"synthetic": {"sequences": 1, "distractor_kinds": ["clone"]}}}, "t")
