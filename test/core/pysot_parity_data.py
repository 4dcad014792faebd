"""Access to the PySOT parity fixture copied into test/fixtures/parity (frames, expected
per-frame results of PySOT, tolerances, debug arrays, model descriptions)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

import cv2
import numpy as np

PARITY_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "parity"

# case -> (model directory name, config overrides)
CASES: Dict[str, Tuple[str, Dict[str, float]]] = {
    "siamrpn_alex_dwxcorr": ("siamrpn_alex_dwxcorr", {}),
    "siamrpn_mobilev2_l234_dwxcorr": ("siamrpn_mobilev2_l234_dwxcorr", {}),
    "siamrpn_r50_l234_dwxcorr": ("siamrpn_r50_l234_dwxcorr", {}),
    "siammask_r50_l3": ("siammask_r50_l3", {}),
    "siamrpn_r50_l234_dwxcorr_lt": ("siamrpn_r50_l234_dwxcorr_lt", {}),
    "siamrpn_r50_l234_dwxcorr_lt_lowconf": ("siamrpn_r50_l234_dwxcorr_lt",
                                            {"TRACK.CONFIDENCE_LOW": 0.972,
                                             "TRACK.CONFIDENCE_HIGH": 0.996}),
}
MODELS = sorted({model for model, _ in CASES.values()})
INIT_BOX = (158, 53, 72, 60)


@lru_cache(maxsize=None)
def frames() -> Tuple[np.ndarray, ...]:
    """The 36 fixture frames, (240, 320, 3) uint8 BGR, read-only."""
    return read_frames(sorted((PARITY_DIR / "video").glob("*.png")))


def read_frames(paths) -> Tuple[np.ndarray, ...]:
    """Images at ``paths`` in that order, (H, W, 3) uint8 BGR, read-only."""
    out = []
    for path in paths:
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        assert img is not None, path
        img.setflags(write=False)
        out.append(img)
    return tuple(out)


@lru_cache(maxsize=None)
def expected(case: str, threads1: bool = False) -> dict:
    sub = PARITY_DIR / "expected" / ("threads1" if threads1 else "")
    return json.loads((sub / f"{case}.json").read_text())


@lru_cache(maxsize=None)
def tolerances() -> dict:
    return json.loads((PARITY_DIR / "tolerances.json").read_text())["recommended_atol"]


def debug_arrays(model: str) -> Dict[str, np.ndarray]:
    with np.load(PARITY_DIR / "debug" / f"{model}.npz") as data:
        return {k: data[k] for k in data.files}


def model_dir(model: str) -> Path:
    return PARITY_DIR / "models" / model


def results_by_frame(case: str) -> List[Tuple[dict, dict]]:
    """(2-thread, 1-thread) expected records per tracked frame 1..35."""
    two, one = expected(case)["results"], expected(case, threads1=True)["results"]
    assert [r["frame"] for r in two] == [r["frame"] for r in one]
    return list(zip(two, one))


@lru_cache(maxsize=1)
def reference_model(model: str):
    """(ExperimentConfig without overrides, SiameseModel with the parity weights); the last one
    built is cached (one large model alive at a time)."""
    from siam_tracker_ros.models.pysot_config import load_pysot_config
    from siam_tracker_ros.models.builder import build_model
    from siam_tracker_ros.models.checkpoint import load_checkpoint
    from siam_tracker_ros.models.reference_weights import build_reference_state_dict

    folder = model_dir(model)
    exp = load_pysot_config(folder / "config.yaml")
    net = build_model(exp.model)
    load_checkpoint(net, build_reference_state_dict(folder / "keys.json", folder / "overrides.npz"),
                    exp.name)
    return exp, net


def case_config(case: str):
    """ExperimentConfig of a case (its overrides applied)."""
    from siam_tracker_ros.models.pysot_config import load_pysot_config

    model, overrides = CASES[case]
    return load_pysot_config(model_dir(model) / "config.yaml", overrides or None)
