"""End to end, NanoTrack: `siam-track train` trains the NanoTrack network from scratch on
generated data (the loss falls) and fine-tunes the bundled v3 weights; the written model.pth
keeps the upstream key layout (strict load) and the output folder is a tracker config that
tracks."""
import math

import numpy as np
import pytest
import yaml

from siam_tracker_ros.cli import main as cli_main
from siam_tracker_ros.core.boxes import box_iou
from siam_tracker_ros.build.factory import build_tracker, find_bundled_file
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence
from siam_tracker_ros.models.checkpoint import load_checkpoint
from siam_tracker_ros.models.nanotrack import build_nanotrack_model, load_nanotrack
from siam_tracker_ros.training.plots import read_log


def _write(tmp_path, name, model, optim, steps, batch):
    config = {
        "model": model,
        "data": {"synthetic": {"sequences": 3, "frames": 24, "seed": 510000, "max_gap": 8},
                 "negative_share": 0.2, "val_pairs": 0},
        "loss": {"box_loss": "iou", "loc_weight": 1.0},
        "optim": optim,
        "run": {"steps": steps, "batch_size": batch, "num_workers": 0, "num_threads": 1,
                "checkpoint_every": steps, "log_every": 2, "output_dir": name, "seed": 3},
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.mark.slow
def test_nanotrack_from_scratch_loss_falls(tmp_path):
    config = _write(tmp_path, "scratch", {"arch": "nanotrack", "config": "nanotrack_v1"},
                    {"optimizer": "adamw", "lr": 0.003, "warmup_steps": 2, "weight_decay": 0.0},
                    steps=10, batch=4)
    assert cli_main(["train", "--config", config, "--no-progress"]) == 0
    losses = read_log(str(tmp_path / "scratch" / "log.csv"))["loss"]
    assert len(losses) == 5 and all(math.isfinite(v) for v in losses)
    assert np.mean(losses[-2:]) < 0.85 * np.mean(losses[:2]), losses
    load_checkpoint(build_nanotrack_model(1), str(tmp_path / "scratch" / "model.pth"), "v1")


@pytest.mark.slow
def test_nanotrack_finetune_reloads_strict_and_tracks(tmp_path):
    upstream = find_bundled_file("models/nanotrack/v3/nanotrackv3.pth")
    assert upstream is not None
    config = _write(tmp_path, "ft", {"arch": "nanotrack", "config": "nanotrack_v3",
                                     "init_weights": str(upstream)},
                    {"optimizer": "adamw", "lr": 0.0001, "warmup_steps": 0,
                     "backbone_unfreeze_step": 1000, "freeze_batchnorm": True},
                    steps=2, batch=4)
    assert cli_main(["train", "--config", config, "--no-progress"]) == 0
    out = tmp_path / "ft"
    model = load_nanotrack(3, str(out / "model.pth"))                 # strict, upstream layout
    assert set(model.state_dict()) == set(load_nanotrack(3, str(upstream)).state_dict())
    load_checkpoint(build_nanotrack_model(3), str(out / "checkpoint_last.pth"), "v3")

    tracker = build_tracker(str(out / "config.yaml"))                  # model.weights: model.pth
    seq = generate_sequence(SyntheticSpec(seed=77, num_frames=12, speed_px=1.5))
    tracker.initialize(seq.frames[0], seq.init_box_xywh)
    ious = [box_iou(tracker.track(seq.frames[t]).bbox_xywh, seq.boxes_xywh[t]) for t in range(1, len(seq))]
    assert np.mean(ious) > 0.5, ious


def test_point_head_rejects_rpn_box_loss(tmp_path):
    config = _write(tmp_path, "bad", {"arch": "nanotrack", "config": "nanotrack_v1"},
                    {"optimizer": "adamw"}, steps=1, batch=2)
    data = yaml.safe_load(open(config))
    data["loss"]["box_loss"] = "smooth_l1"
    open(config, "w").write(yaml.safe_dump(data))
    assert cli_main(["train", "--config", config, "--no-progress"]) == 1


def test_nanotrack_arch_needs_a_nanotrack_config(tmp_path):
    config = _write(tmp_path, "bad", {"arch": "nanotrack", "config": "siamrpn_slim"},
                    {"optimizer": "adamw"}, steps=1, batch=2)
    assert cli_main(["train", "--config", config, "--no-progress"]) == 1
