"""End to end: train a tiny RPN tracker for a few dozen steps on generated data, check the loss
falls, the checkpoint reloads strictly and tracks; resuming reproduces an uninterrupted run."""
import math
import os

import numpy as np
import pytest
import torch

from siam_tracker_ros.cli import main as cli_main
from siam_tracker_ros.core.boxes import box_iou
from siam_tracker_ros.core.errors import CheckpointError
from siam_tracker_ros.models.pysot_config import load_pysot_config
from siam_tracker_ros.build.pysot_factory import build_pysot_tracker
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence
from siam_tracker_ros.models.builder import build_model
from siam_tracker_ros.models.checkpoint import load_checkpoint
from siam_tracker_ros.training.config import load_train_config
from siam_tracker_ros.training.plots import read_log
from siam_tracker_ros.training.trainer import Trainer

TINY_NET = """\
META_ARC: tiny_slim
BACKBONE: {TYPE: slimnet, KWARGS: {channels: [8, 8, 16, 16]}}
ADJUST: {ADJUST: true, TYPE: AdjustAllLayer, KWARGS: {in_channels: [16], out_channels: [16]}}
RPN: {TYPE: DepthwiseRPN, KWARGS: {anchor_num: 5, in_channels: 16, out_channels: 16}}
MASK: {MASK: false}
TRACK: {TYPE: SiamRPNTracker, PENALTY_K: 0.04, WINDOW_INFLUENCE: 0.4, LR: 0.4, INSTANCE_SIZE: 255, BASE_SIZE: 8}
"""

TRAIN = """\
model: {{config: net/config.yaml}}
data:
  synthetic: {{sequences: 4, frames: 30, seed: 500000, max_gap: 10}}
  negative_share: 0.2
  val_pairs: 8
optim: {{optimizer: adamw, lr: 0.01, warmup_steps: 5, schedule: cosine, weight_decay: 0.0}}
run: {{steps: {steps}, batch_size: 8, num_workers: 0, num_threads: 1, checkpoint_every: {every},
       log_every: 5, output_dir: out, seed: 3}}
"""


def _setup(tmp_path, steps, every):
    (tmp_path / "net").mkdir(exist_ok=True)
    (tmp_path / "net" / "config.yaml").write_text(TINY_NET)
    path = tmp_path / "train.yaml"
    path.write_text(TRAIN.format(steps=steps, every=every))
    return str(path)


@pytest.mark.slow
def test_train_loss_falls_checkpoint_reloads_and_tracks(tmp_path):
    config = _setup(tmp_path, steps=40, every=20)
    assert cli_main(["train", "--config", config, "--no-progress"]) == 0
    out = tmp_path / "out"
    for name in ("model.pth", "config.yaml", "checkpoint_last.pth", "log.csv", "loss_curves.png"):
        assert (out / name).is_file(), name
    log = read_log(str(out / "log.csv"))
    losses = log["loss"]
    assert len(losses) == 8 and all(math.isfinite(v) for v in losses)
    assert np.mean(losses[-2:]) < 0.8 * np.mean(losses[:2]), losses
    assert math.isfinite(log["val_loss"][-1])

    exp = load_pysot_config(out / "config.yaml")
    model = build_model(exp.model)
    load_checkpoint(model, str(out / "model.pth"), exp.name)          # strict, PySOT key layout
    load_checkpoint(build_model(exp.model), str(out / "checkpoint_last.pth"), exp.name)

    tracker = build_pysot_tracker(exp, str(out / "model.pth"))
    seq = generate_sequence(SyntheticSpec(seed=77, num_frames=12, speed_px=1.5))
    tracker.initialize(seq.frames[0], seq.init_box_xywh)
    ious = []
    for t in range(1, len(seq)):
        box = tracker.track(seq.frames[t]).bbox_xywh
        assert all(math.isfinite(v) for v in box)
        ious.append(box_iou(box, seq.boxes_xywh[t]))
    assert np.mean(ious) > 0.3, ious                                      # random boxes: ~0.02


@pytest.mark.slow
def test_resume_reproduces_uninterrupted_run(tmp_path):
    config = load_train_config(_setup(tmp_path, steps=6, every=3))
    full = Trainer(config, progress=False)
    full.run()
    reference = {k: v.clone() for k, v in full.model.state_dict().items()}

    import dataclasses
    first = dataclasses.replace(config, run=dataclasses.replace(config.run, steps=3,
                                                                output_dir=str(tmp_path / "part")))
    Trainer(first, progress=False).run()
    second = dataclasses.replace(config, run=dataclasses.replace(config.run, output_dir=str(tmp_path / "part")))
    resumed = Trainer(second, resume=str(tmp_path / "part" / "checkpoint_last.pth"), progress=False)
    assert resumed.start_step == 3
    resumed.run()
    for key, value in resumed.model.state_dict().items():
        torch.testing.assert_close(value, reference[key], rtol=1e-5, atol=1e-6, msg=key)


def test_resume_rejects_plain_weights(tmp_path):
    config = load_train_config(_setup(tmp_path, steps=2, every=1))
    weights = tmp_path / "plain.pth"
    exp = load_pysot_config(tmp_path / "net" / "config.yaml")
    torch.save(build_model(exp.model).state_dict(), weights)
    with pytest.raises(CheckpointError, match="init-weights"):
        Trainer(config, resume=str(weights), progress=False)
    assert cli_main(["train", "--config", os.fspath(tmp_path / "train.yaml"), "--resume", str(weights)]) == 1


def test_init_weights_must_fit_when_strict(tmp_path):
    config = _setup(tmp_path, steps=2, every=1)
    wrong = tmp_path / "wrong.pth"
    torch.save({"backbone.stem.conv.weight": torch.zeros(1)}, wrong)
    assert cli_main(["train", "--config", config, "--init-weights", str(wrong), "--no-progress"]) == 1


def _tiny_trainer(tmp_path, **optim):
    import dataclasses
    config = load_train_config(_setup(tmp_path, steps=3, every=3))
    config = dataclasses.replace(config, optim=dataclasses.replace(config.optim, **optim),
                                 data=dataclasses.replace(config.data, val_pairs=0))
    return Trainer(config, progress=False)


def test_frozen_backbone_stays_fixed_and_partial_unfreeze(tmp_path):
    trainer = _tiny_trainer(tmp_path, backbone_unfreeze_step=100)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.run()
    after = trainer.model.state_dict()
    for key, value in before.items():
        if key.startswith("backbone."):
            assert torch.equal(value, after[key]), key                 # weights and BN statistics
    assert not torch.equal(before["rpn_head.cls.head.3.weight"], after["rpn_head.cls.head.3.weight"])

    trainer = _tiny_trainer(tmp_path, backbone_train_layers=("stage3",))
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.run()
    after = trainer.model.state_dict()
    assert torch.equal(before["backbone.stem.conv.weight"], after["backbone.stem.conv.weight"])
    assert not torch.equal(before["backbone.stage3.1.conv.weight"], after["backbone.stage3.1.conv.weight"])


def test_unknown_backbone_layer_is_a_config_error(tmp_path):
    from siam_tracker_ros.core.errors import ConfigError
    trainer = _tiny_trainer(tmp_path, backbone_train_layers=("layer9",))
    with pytest.raises(ConfigError, match="layer9"):
        trainer.run()


@pytest.mark.cuda
def test_cuda_amp_channels_last_step(tmp_path):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device: the AMP / channels_last training path runs only on CUDA")
    import dataclasses
    config = load_train_config(_setup(tmp_path, steps=2, every=2))
    config = dataclasses.replace(config, run=dataclasses.replace(config.run, device="cuda", amp=True,
                                                                 channels_last=True))
    trainer = Trainer(config, progress=False)
    assert trainer.amp_dtype in (torch.bfloat16, torch.float16)
    last = trainer.run()
    assert math.isfinite(last["loss"])
