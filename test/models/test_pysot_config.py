"""PySOT experiment configs are read as data: the five shipped configs, defaults, overrides,
the tolerated duplicate keys of the _lt config, and one-line errors for everything else."""
from pathlib import Path

import pytest

from siam_tracker_ros.core.config import AnchorConfig, TrackConfig
from siam_tracker_ros.core.errors import ConfigError
from siam_tracker_ros.models.pysot_config import load_pysot_config, pysot_config_from_mapping

MODELS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "parity" / "models"
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "models" / "pysot"
NAMES = ("siamrpn_alex_dwxcorr", "siamrpn_mobilev2_l234_dwxcorr", "siamrpn_r50_l234_dwxcorr",
         "siamrpn_r50_l234_dwxcorr_lt", "siammask_r50_l3")
LT = "siamrpn_r50_l234_dwxcorr_lt"


def _write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "exp"
    folder.mkdir(exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(text)
    return path


def _lt_text() -> str:
    return (MODELS_DIR / LT / "config.yaml").read_text()


@pytest.mark.parametrize("name", NAMES)
def test_shipped_configs_load_and_equal_the_fixture_copies(name):
    exp = load_pysot_config(MODELS_DIR / name / "config.yaml")
    assert exp.name == name and exp.source.endswith("config.yaml")
    assert exp.anchor == AnchorConfig()
    assert (SHIPPED_DIR / name / "config.yaml").read_bytes() == (MODELS_DIR / name / "config.yaml").read_bytes()
    assert exp.dropped_keys == (("BACKBONE.CHANNELS", "ADJUST.ADJUST_CHANNEL", "RPN.WEIGHTED") if name == LT else ())


def test_values_and_defaults_of_two_configs():
    alex = load_pysot_config(MODELS_DIR / "siamrpn_alex_dwxcorr" / "config.yaml")
    assert alex.track == TrackConfig(type="SiamRPNTracker", penalty_k=0.16, window_influence=0.40, lr=0.30,
                                     instance_size=287, base_size=0)
    assert alex.model.backbone.type == "alexnetlegacy" and alex.model.neck is None
    assert alex.model.rpn.type == "DepthwiseRPN" and not alex.model.has_mask
    mask = load_pysot_config(MODELS_DIR / "siammask_r50_l3" / "config.yaml")
    assert mask.track.mask_threshold == 0.15 and mask.track.confidence_low == 0.85
    assert mask.model.backbone.kwargs["used_layers"] == (0, 1, 2, 3)
    assert mask.model.has_mask and mask.model.has_refine and mask.model.mask.kwargs["out_channels"] == 3969


def test_overrides_apply_and_parse_strings():
    exp = load_pysot_config(MODELS_DIR / LT / "config.yaml",
                            {"TRACK.CONFIDENCE_LOW": 0.972, "TRACK.CONFIDENCE_HIGH": "0.996"})
    assert exp.track.confidence_low == 0.972 and exp.track.confidence_high == 0.996
    assert exp.track.lr == 0.22  # untouched


def test_override_of_unknown_key_is_an_error():
    with pytest.raises(ConfigError, match="TRACK.CONFIDENCE_LOWW"):
        load_pysot_config(MODELS_DIR / LT / "config.yaml", {"TRACK.CONFIDENCE_LOWW": 0.9})


def test_unknown_key_names_key_and_file(tmp_path):
    path = _write(tmp_path, "TRACK:\n  PENALTY_K: 0.1\n  WINDOW_INFLUENCES: 0.4\n")
    with pytest.raises(ConfigError) as err:
        load_pysot_config(path)
    message = str(err.value)
    assert "TRACK.WINDOW_INFLUENCES" in message and str(path) in message and "\n" not in message


def test_unknown_top_level_section_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="TRACKER"):
        load_pysot_config(_write(tmp_path, "TRACKER:\n  LR: 0.1\n"))


def test_training_sections_are_accepted_but_checked(tmp_path):
    ok = ("CUDA: false\nTRAIN:\n  EPOCH: 5\n  LR:\n    TYPE: log\n    KWARGS: {start_lr: 0.01}\n"
          "DATASET:\n  NAMES: [VID]\n  VID: {ROOT: x}\nBACKBONE:\n  TYPE: resnet50\n  TRAIN_LAYERS: [layer4]\n")
    exp = load_pysot_config(_write(tmp_path, ok))
    assert exp.model.backbone.type == "resnet50"
    with pytest.raises(ConfigError, match="TRAIN.EPOCHS"):
        load_pysot_config(_write(tmp_path, "TRAIN:\n  EPOCHS: 5\n"))


def test_lt_duplicate_keys_must_repeat_kwargs(tmp_path):
    text = _lt_text().replace("WEIGHTED: True", "WEIGHTED: False")
    with pytest.raises(ConfigError, match="RPN.WEIGHTED"):
        load_pysot_config(_write(tmp_path, text))
    text = _lt_text().replace("ADJUST_CHANNEL: [128, 256, 512]", "ADJUST_CHANNEL: [256, 256, 256]")
    with pytest.raises(ConfigError, match="ADJUST.ADJUST_CHANNEL"):
        load_pysot_config(_write(tmp_path, text))


def test_tolerated_key_elsewhere_is_still_unknown(tmp_path):
    with pytest.raises(ConfigError, match="TRACK.WEIGHTED"):
        load_pysot_config(_write(tmp_path, "TRACK:\n  WEIGHTED: true\n"))


@pytest.mark.parametrize("text, fragment", [
    ("TRACK:\n  LR: fast\n", "TRACK.LR"),
    ("TRACK:\n  INSTANCE_SIZE: 255.5\n", "TRACK.INSTANCE_SIZE"),
    ("TRACK:\n  WINDOW_INFLUENCE: 1.5\n", "window_influence"),
    ("ANCHOR:\n  RATIOS: [0.5, 1]\n", "ANCHOR_NUM"),
    ("MASK:\n  MASK: yes please\n", "MASK.MASK"),
    ("BACKBONE: resnet50\n", "BACKBONE"),
    ("- just a list\n", "mapping"),
    ("TRACK: {LR: [\n", "invalid YAML"),
])
def test_bad_values_are_one_line_config_errors(tmp_path, text, fragment):
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")) as err:
        load_pysot_config(_write(tmp_path, text))
    assert "\n" not in str(err.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_pysot_config(tmp_path / "nope" / "config.yaml")


def test_empty_mapping_gives_pysot_defaults():
    exp = pysot_config_from_mapping({}, name="defaults")
    assert exp.track == TrackConfig() and exp.model.backbone.type == "res50"
    assert exp.model.neck is not None and exp.model.neck.type == "AdjustAllLayer"
