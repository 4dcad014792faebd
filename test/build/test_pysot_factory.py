"""build_pysot_tracker: tracker class from TRACK.TYPE, weights from a path or a state_dict."""
import dataclasses

import pytest
import torch

from siam_tracker_ros.core.config import RuntimeOptions
from siam_tracker_ros.core.errors import CheckpointError, ConfigError
from siam_tracker_ros.build.pysot_factory import build_pysot_tracker
from siam_tracker_ros.core.pysot_longterm import PySOTLongTermTracker
from siam_tracker_ros.core.siammask import SiamMaskTracker
from siam_tracker_ros.core.siamrpn import SiamRPNTracker

from pysot_parity_data import INIT_BOX, case_config, frames, reference_model

CPU = RuntimeOptions(device="cpu")


def test_class_follows_track_type():
    exp, model = reference_model("siamrpn_alex_dwxcorr")
    assert type(build_pysot_tracker(exp, None, CPU, model=model)) is SiamRPNTracker
    lt = dataclasses.replace(exp, track=dataclasses.replace(exp.track, type="SiamRPNLTTracker"))
    assert type(build_pysot_tracker(lt, None, CPU, model=model)) is PySOTLongTermTracker
    bad = dataclasses.replace(exp, track=dataclasses.replace(exp.track, type="KCFTracker"))
    with pytest.raises(ConfigError, match="KCFTracker"):
        build_pysot_tracker(bad, None, CPU, model=model)
    mask = dataclasses.replace(exp, track=dataclasses.replace(exp.track, type="SiamMaskTracker"))
    with pytest.raises(ConfigError, match="mask"):
        build_pysot_tracker(mask, None, CPU, model=model)


def test_weights_from_checkpoint_file(tmp_path):
    exp, model = reference_model("siamrpn_alex_dwxcorr")
    path = tmp_path / "alex.pth"
    torch.save(model.state_dict(), path)
    from_file = build_pysot_tracker(case_config("siamrpn_alex_dwxcorr"), path, CPU)
    reference = build_pysot_tracker(exp, None, CPU, model=model)
    video = frames()
    from_file.initialize(video[0], INIT_BOX)
    reference.initialize(video[0], INIT_BOX)
    assert from_file.track(video[1]).bbox_xywh == reference.track(video[1]).bbox_xywh
    with pytest.raises(CheckpointError):
        build_pysot_tracker(exp, tmp_path / "missing.pth", CPU)


def test_siammask_type():
    exp = case_config("siammask_r50_l3")
    assert isinstance(build_pysot_tracker(exp, None, CPU), SiamMaskTracker)
