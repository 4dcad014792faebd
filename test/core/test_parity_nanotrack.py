"""NanoTrack parity: v1, v2 and v3 on the three fixture clips (synthetic, OTB Human7, VOT book)
against the reference NanoTracker's own per-frame results (test/fixtures/nanotrack, measured
with the reference code).

* State-forced (README "How to compare"): before each frame the tracker gets the reference's
  state, so every frame is checked on its own: crop geometry and pixel sum exact, selected
  index exact, box / centre / size within 1e-3 px, score within 1e-5 (the fixture's check.py
  defaults; the reference's own 1-vs-2-thread spread is <= 8.2e-05 px state-forced).
* Free-running: the whole trajectory within the same tolerances of the 1-thread or the 2-thread
  reference run. The two differ legitimately at one discrete event (v2 / OTB_Human7 frame 46:
  the search side 222.50004 vs 222.49993 rounds to 223 vs 222), so a run must follow one of the
  two trajectories from start to end.
"""
from typing import List

import numpy as np
import pytest

from siam_tracker_ros.core.config import RuntimeOptions
from siam_tracker_ros.core.nanotrack import NanoTracker, nanotrack_config_for
from siam_tracker_ros.core.tracker import TargetState
from siam_tracker_ros.models.nanotrack import load_nanotrack

from nanotrack_parity_data import CASES, checkpoint, expected, frames, tracked_frames

pytestmark = pytest.mark.usefixtures("one_torch_thread")

BBOX_TOL = 1e-3     # px
SCORE_TOL = 1e-5


@pytest.fixture(scope="module")
def models():
    return {v: load_nanotrack(v, checkpoint(v)) for v in (1, 2, 3)}


def _tracker(models, version: int, clip: str) -> NanoTracker:
    tracker = NanoTracker(models[version], nanotrack_config_for(version), RuntimeOptions(device="cpu"))
    init = expected(version, clip)["frames"][0]
    result = tracker.initialize(frames(clip)[0], init["rect_used"])
    assert result.extras["crop"]["side"] == init["crop"]["side"]
    assert result.extras["zcrop_sum"] == int(init["zcrop_sum"])
    assert result.extras["channel_average"] == pytest.approx(init["channel_average"], abs=1e-9)
    return tracker


def _max_diff(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


@pytest.mark.parametrize("version,clip", CASES, ids=[f"v{v}-{c}" for v, c in CASES])
def test_state_forced_frames_equal_reference(models, version, clip):
    tracker = _tracker(models, version, clip)
    records = expected(version, clip)["frames"]
    failures: List[str] = []
    worst = 0.0
    for k in range(1, len(records)):
        ref = records[k]
        tracker.state = TargetState(np.array(ref["crop"]["center"], np.float64),
                                    np.array(records[k - 1]["size"], np.float64))
        result = tracker.track(frames(clip)[ref["frame"] - 1])
        got = result.extras
        exact = {"crop.side": (got["crop"]["side"], ref["crop"]["side"]),
                 "crop.window_xy": (got["crop"]["window_xy"], ref["crop"]["window_xy"]),
                 "crop.pad_ltrb": (got["crop"]["pad_ltrb"], ref["crop"]["pad_ltrb"]),
                 "xcrop_sum": (got["xcrop_sum"], int(ref["xcrop_sum"])),
                 "best_idx": (got["best_idx"], ref["best_idx"])}
        for name, (mine, theirs) in exact.items():
            if mine != theirs:
                failures.append(f"frame {ref['frame']}: {name} {mine} != {theirs}")
        diffs = {"bbox": _max_diff(result.bbox_xywh, ref["bbox"]),
                 "center": _max_diff(got["center"], ref["center"]),
                 "size": _max_diff(got["size"], ref["size"])}
        worst = max(worst, *diffs.values())
        failures += [f"frame {ref['frame']}: {n} off by {d:.3g} px" for n, d in diffs.items()
                     if not d <= BBOX_TOL]
        for name, mine, theirs in (("best_score", result.score, ref["best_score"]),
                                   ("pscore_best", got["pscore_best"], ref["pscore_best"])):
            if not abs(mine - theirs) <= SCORE_TOL:
                failures.append(f"frame {ref['frame']}: {name} {mine} vs {theirs}")
    assert not failures, f"v{version}/{clip}: " + "; ".join(failures[:5])
    assert worst <= BBOX_TOL


@pytest.mark.parametrize("version,clip", CASES, ids=[f"v{v}-{c}" for v, c in CASES])
def test_free_running_trajectory_equals_a_reference_run(models, version, clip):
    tracker = _tracker(models, version, clip)
    boxes, scores = [], []
    refs = {threads: tracked_frames(version, clip, threads) for threads in (1, 2)}
    for ref in refs[1]:
        result = tracker.track(frames(clip)[ref["frame"] - 1])
        boxes.append(result.bbox_xywh)
        scores.append(result.score)
    report = {}
    for threads, records in refs.items():
        box_diff = _max_diff(boxes, [r["bbox"] for r in records])
        score_diff = _max_diff(scores, [r["best_score"] for r in records])
        report[threads] = (box_diff, score_diff)
        if box_diff <= BBOX_TOL and score_diff <= SCORE_TOL:
            return
    pytest.fail(f"v{version}/{clip}: follows neither reference run: max px / score diff "
                f"{report} (tolerance {BBOX_TOL} px, {SCORE_TOL})")
