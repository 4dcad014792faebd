"""Post-processing on PySOT's frame-1 head outputs (debug arrays): foreground softmax, decoding,
penalties, window, argmax, lr smoothing and clipping reproduce PySOT's frame-1 state exactly."""
import numpy as np
import pytest
import torch

from siam_tracker_ros.core.config import TrackConfig
from siam_tracker_ros.core.rpn_postprocess import (ScoreMapDecoder, decode_boxes,
                                                   foreground_score, loc_deltas)
from siam_tracker_ros.core.siamrpn import SearchOutcome, SiamRPNTracker, state_box_xywh

from pysot_parity_data import CASES, debug_arrays, expected

MODEL_CASES = {model: case for case, (model, over) in CASES.items() if not over}


def _track_cfg(exp):
    t = exp["config"]["TRACK"]
    return TrackConfig(type=t["TYPE"], penalty_k=t["PENALTY_K"], window_influence=t["WINDOW_INFLUENCE"],
                       lr=t["LR"], instance_size=t["INSTANCE_SIZE"], base_size=t["BASE_SIZE"])


@pytest.mark.parametrize("model", sorted(MODEL_CASES))
def test_frame1_postprocessing_is_bit_exact(model):
    exp = expected(MODEL_CASES[model])
    cfg = _track_cfg(exp)
    rec = exp["results"][0]
    dbg = debug_arrays(model)
    cls = torch.from_numpy(dbg["frame1_cls"])[None]
    loc = torch.from_numpy(dbg["frame1_loc"])[None]
    score = foreground_score(cls)
    assert score.dtype == np.float32
    assert np.array_equal(score, dbg["frame1_score"])
    assert float(score.astype(np.float64).sum()) == rec["score_sum"]

    size = np.array(exp["init"]["size"], dtype=np.float64)
    center = np.array(exp["init"]["center"], dtype=np.float64)
    w_z = size[0] + 0.5 * size.sum()
    h_z = size[1] + 0.5 * size.sum()
    scale_z = 127 / float(np.sqrt(w_z * h_z))
    dec = ScoreMapDecoder(cfg.score_size(8), 8, (0.33, 0.5, 1, 2, 3), (8,))
    sel = dec.select(score, loc_deltas(loc), size, scale_z, cfg.penalty_k, cfg.window_influence)
    assert sel.best_idx == rec["best_idx"]
    assert list(dec.unravel(sel.best_idx)) == rec["best_ays"]
    assert sel.best_score == rec["best_score"]
    assert float(sel.pscore.sum()) == pytest.approx(rec["pscore_sum"], abs=1e-9)
    assert float(sel.pscore[sel.best_idx]) == pytest.approx(rec["pscore_best"], abs=1e-12)

    # lr smoothing + clipping with the tracker's own steps
    tracker = SiamRPNTracker(torch.nn.Identity(), cfg)
    outcome = SearchOutcome(center, size, cfg.instance_size, scale_z, None, 0, dec, sel, {})
    state = tracker.clip_state(tracker.smoothed_state(outcome), (240, 320))
    assert state.center_xy.tolist() == rec["center"]
    assert state.size_wh.tolist() == rec["size"]
    assert list(state_box_xywh(state)) == rec["bbox"]


def test_decode_matches_formula():
    anchors = np.array([[0, 0, 64, 64], [8, -8, 40, 80]], np.float32)
    deltas = np.array([[0.5, -1], [0.25, 0], [0, np.log(2)], [np.log(0.5), 0]], np.float32)
    boxes = decode_boxes(deltas, anchors)
    np.testing.assert_allclose(boxes, [[32, -32], [16, -8], [64, 80], [32, 80]], rtol=1e-6)


def test_first_maximum_wins_ties():
    dec = ScoreMapDecoder(5, 8, (1.0,), (8,))
    score = np.full(25, 0.5, np.float32)
    deltas = np.zeros((4, 25), np.float32)
    # identical candidates: the window picks the centre; without window the first index
    assert dec.select(score, deltas, (64, 64), 1.0, 0.1, 0.5).best_idx == 12
    assert dec.select(score, deltas, (64, 64), 1.0, 0.1, 0.0).best_idx == 0


def test_local_maxima_exclude_the_selection():
    dec = ScoreMapDecoder(9, 8, (1.0,), (8,))
    score = np.full(81, 0.1, np.float32)
    score[4 * 9 + 4] = 0.9
    score[1 * 9 + 1] = 0.6
    score[7 * 9 + 6] = 0.5
    sel = dec.select(score, np.zeros((4, 81), np.float32), (64, 64), 1.0, 0.0, 0.0)
    assert sel.best_idx == 40
    assert dec.local_maxima(sel, 5)[:2] == [10, 69]
    assert dec.local_maxima(sel, 1) == [10]
