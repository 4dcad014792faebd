"""Shared helpers of the model tests: the five PySOT reference models (config + rebuilt
weights from test/fixtures/parity/models) and the parity frames/expected values."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Dict, Tuple

import cv2
import numpy as np
import torch

from siam_tracker_ros.core.crop import crop_patch
from siam_tracker_ros.models.pysot_config import ExperimentConfig, load_pysot_config
from siam_tracker_ros.models.builder import build_model
from siam_tracker_ros.models.checkpoint import load_checkpoint
from siam_tracker_ros.models.reference_weights import build_reference_state_dict
from siam_tracker_ros.models.siamese import SiameseModel

PARITY_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "parity"
FAST_MODELS = ("siamrpn_alex_dwxcorr", "siamrpn_mobilev2_l234_dwxcorr", "siammask_r50_l3")
SLOW_MODELS = ("siamrpn_r50_l234_dwxcorr", "siamrpn_r50_l234_dwxcorr_lt")
ALL_MODELS = FAST_MODELS + SLOW_MODELS
INIT_CENTER = (193.5, 82.5)
INIT_SIDE = 132


def model_dir(name: str) -> Path:
    return PARITY_DIR / "models" / name


def experiment(name: str) -> ExperimentConfig:
    return load_pysot_config(model_dir(name) / "config.yaml")


def keys_json(name: str) -> dict:
    return json.loads((model_dir(name) / "keys.json").read_text())


def reference_state_dict(name: str) -> "Dict[str, torch.Tensor]":
    return build_reference_state_dict(model_dir(name) / "keys.json", model_dir(name) / "overrides.npz")


def reference_model(name: str) -> SiameseModel:
    """The model of ``name`` built from its config with the rebuilt reference weights."""
    model = build_model(experiment(name).model)
    load_checkpoint(model, reference_state_dict(name), name)
    return model


@lru_cache(maxsize=None)
def frame(index: int) -> np.ndarray:
    img = cv2.imread(str(PARITY_DIR / "video" / f"{index + 1:08d}.png"), cv2.IMREAD_COLOR)
    assert img is not None
    return img


def expected(case: str) -> dict:
    return json.loads((PARITY_DIR / "expected" / f"{case}.json").read_text())


def debug_arrays(name: str) -> Dict[str, np.ndarray]:
    with np.load(PARITY_DIR / "debug" / f"{name}.npz") as data:
        return {k: data[k] for k in data.files}


def crop_tensor(center_xy: Tuple[float, float], side: int, out: int, index: int) -> torch.Tensor:
    """PySOT's network input for a crop of frame ``index``: (1, 3, out, out) float32 BGR,
    padded with frame 0's channel mean (strides as PySOT's transpose makes them)."""
    pad = frame(0).mean(axis=(0, 1))
    patch, _ = crop_patch(frame(index), center_xy, side, out, pad)
    return torch.from_numpy(patch.transpose(2, 0, 1)).float()[None]


def tensor_sums(tensors) -> np.ndarray:
    return np.array([float(t.double().sum()) for t in tensors])
