"""Checkpoint loading is strict and explains every mismatch in one line; the content hash
follows SPEC.md §4 for tensors and numpy arrays alike."""
import hashlib
from collections import OrderedDict

import numpy as np
import pytest
import torch

from siam_tracker_ros.core.errors import CheckpointError
from siam_tracker_ros.models.builder import build_model
from siam_tracker_ros.models.checkpoint import load_checkpoint, state_dict_content_hash

from parity_models import experiment, keys_json, reference_state_dict

NAME = "siamrpn_alex_dwxcorr"


@pytest.fixture(scope="module")
def alex_weights():
    return reference_state_dict(NAME)


def _fresh_model():
    return build_model(experiment(NAME).model)


def _one_line(err) -> str:
    message = str(err.value)
    assert "\n" not in message and NAME in message
    return message


def test_content_hash_definition_on_a_tiny_dict():
    state = OrderedDict([("b", torch.zeros((), dtype=torch.int64)), ("a.w", torch.arange(3, dtype=torch.float32))])
    h = hashlib.sha256()
    h.update(b"a.w" + b"torch.float32" + b"(3,)" + np.arange(3, dtype="<f4").tobytes())
    h.update(b"b" + b"torch.int64" + b"()" + np.zeros((), dtype="<i8").tobytes())
    assert state_dict_content_hash(state) == h.hexdigest()
    as_numpy = {k: v.numpy() for k, v in state.items()}
    assert state_dict_content_hash(as_numpy) == h.hexdigest()


def test_hash_orders_keys_as_python_strings(alex_weights):
    # keys.json order is state_dict order; the hash sorts (layer 10 before layer 2) itself.
    shuffled = OrderedDict(reversed(list(alex_weights.items())))
    assert state_dict_content_hash(shuffled) == keys_json(NAME)["state_dict_sha256"]


def test_loads_raw_wrapped_prefixed_and_file_forms(alex_weights, tmp_path):
    expected = keys_json(NAME)["state_dict_sha256"]
    forms = {
        "raw": alex_weights,
        "wrapped": {"state_dict": alex_weights, "epoch": 20},
        "prefixed": OrderedDict((f"module.{k}", v) for k, v in alex_weights.items()),
    }
    for form in forms.values():
        model = _fresh_model()
        load_checkpoint(model, form, NAME)
        assert state_dict_content_hash(model.state_dict()) == expected
    path = tmp_path / "model.pth"
    torch.save({"state_dict": forms["prefixed"]}, path)
    model = _fresh_model()
    load_checkpoint(model, path, NAME)
    assert state_dict_content_hash(model.state_dict()) == expected


def test_missing_key_is_named(alex_weights):
    broken = OrderedDict(alex_weights)
    del broken["rpn_head.loc.head.3.bias"]
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(_fresh_model(), broken, NAME)
    message = _one_line(err)
    assert "1 missing key(s): rpn_head.loc.head.3.bias" in message and "74 keys given, 75 expected" in message


def test_unexpected_key_is_named(alex_weights):
    broken = OrderedDict(alex_weights)
    broken["neck.downsample.weight"] = torch.zeros(1)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(_fresh_model(), broken, NAME)
    assert "1 unexpected key(s): neck.downsample.weight" in _one_line(err)


def test_wrong_shape_is_named(alex_weights):
    broken = OrderedDict(alex_weights)
    broken["backbone.features.0.weight"] = torch.zeros(48, 3, 11, 11)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(_fresh_model(), broken, NAME)
    message = _one_line(err)
    assert "backbone.features.0.weight [48, 3, 11, 11] vs model [96, 3, 11, 11]" in message


def test_many_missing_keys_are_summarised(alex_weights):
    partial = OrderedDict((k, v) for k, v in alex_weights.items() if k.startswith("backbone."))
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(_fresh_model(), partial, NAME)
    assert "40 missing key(s): rpn_head.cls.conv_kernel.0.weight" in _one_line(err)
    assert "(+37)" in str(err.value)


def test_failed_load_leaves_the_model_unchanged(alex_weights):
    model = _fresh_model()
    before = state_dict_content_hash(model.state_dict())
    broken = OrderedDict(alex_weights)
    broken["backbone.features.14.bias"] = torch.zeros(3)
    with pytest.raises(CheckpointError):
        load_checkpoint(model, broken, NAME)
    assert state_dict_content_hash(model.state_dict()) == before


def test_corrupt_file(tmp_path):
    path = tmp_path / "corrupt.pth"
    path.write_bytes(b"PK\x03\x04 definitely not a checkpoint" * 10)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(_fresh_model(), path, NAME)
    assert "cannot read" in _one_line(err) and str(path) in str(err.value)


def test_truncated_file(alex_weights, tmp_path):
    path = tmp_path / "full.pth"
    torch.save(alex_weights, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(_fresh_model(), path, NAME)
    assert "cannot read" in _one_line(err)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(_fresh_model(), tmp_path / "absent.pth", NAME)
    assert "file not found" in _one_line(err)


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "pickle.pth"
    torch.save({"state_dict": {"x": torch.zeros(1)}, "obj": object()}, path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(_fresh_model(), path, NAME)
    assert "cannot read" in _one_line(err)


def test_non_tensor_entry(alex_weights):
    broken = OrderedDict(alex_weights)
    broken["backbone.features.0.weight"] = "weights"
    with pytest.raises(CheckpointError, match="not a tensor"):
        load_checkpoint(_fresh_model(), broken, NAME)
