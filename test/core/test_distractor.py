"""Distractor-aware re-ranking (DaSiamRPN idea): unit behaviour and a look-alike sequence."""
import numpy as np
import pytest

from siam_tracker_ros.core.distractor import DistractorMemory, appearance_descriptor, box_iou
from siam_tracker_ros.core.longterm import LongTermConfig, LongTermTracker
from siam_tracker_ros.core.siamfc import SiamFCConfig, SiamFCTracker
from siam_tracker_ros.core.types import TrackState
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence
from siam_tracker_ros.models.parameter_free import build_parameter_free_model


pytestmark = pytest.mark.usefixtures("one_torch_thread")     # test/conftest.py


def test_box_iou():
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert box_iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert box_iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    assert box_iou((0, 0, 0, 10), (0, 0, 0, 10)) == 0.0


def _scene():
    """A frame with the target and a recoloured look-alike (box of each)."""
    seq = generate_sequence(SyntheticSpec(seed=5, num_frames=2, distractors=1,
                                          distractor_kind="recolored"))
    frame = seq.frames[0]
    cx, cy = seq.frames.distractors[0].centres[0]
    w, h = seq.boxes_xywh[0][2:]
    return frame, tuple(seq.boxes_xywh[0]), (cx - w / 2, cy - h / 2, w, h)


def test_descriptor_is_unit_norm_and_colour_sensitive():
    frame, target, lookalike = _scene()
    t = appearance_descriptor(frame, target)
    d = appearance_descriptor(frame, lookalike)
    assert t.shape == (48,) and np.linalg.norm(t) == pytest.approx(1.0, abs=1e-5)
    assert float(t @ t) == pytest.approx(1.0, abs=1e-5)
    assert float(t @ d) < 0.9                     # same pattern, other hues: told apart
    flat = np.full((50, 50, 3), 128, np.uint8)
    assert not appearance_descriptor(flat, (10, 10, 20, 20)).any()


def test_rerank_demotes_remembered_distractors_only():
    frame, target, lookalike = _scene()
    memory = DistractorMemory(weight=0.5, min_score=0.5)
    memory.reset(frame, target)
    candidates = [(lookalike, 0.95), (target, 0.9)]
    # Empty memory: the tracker's order is kept.
    ranked = memory.rerank(frame, candidates)
    assert ranked[0].box_xywh == tuple(lookalike) and not ranked[0].distractor_like
    # Remembering the look-alike (a confident runner-up away from the target) flips it.
    assert memory.update(frame, target, [(lookalike, 0.8), (target, 0.9), (lookalike, 0.2)]) == 1
    assert len(memory) == 1
    ranked = memory.rerank(frame, candidates, anchor_first=False)
    assert ranked[0].box_xywh == tuple(target)
    assert [c.distractor_like for c in ranked] == [False, True]
    # While tracking, an alternative cannot win by raw score alone (it is capped by the
    # tracker's own choice), only by looking less like a distractor.
    ranked = memory.rerank(frame, [(target, 0.6), (lookalike, 0.99)], anchor_first=True)
    assert ranked[0].box_xywh == tuple(target)


def test_memory_merges_near_duplicates_and_is_bounded():
    frame, target, lookalike = _scene()
    memory = DistractorMemory(capacity=2)
    memory.reset(frame, target)
    for dx in (0.0, 1.0, 2.0):
        memory.update(frame, target, [((lookalike[0] + dx,) + tuple(lookalike[1:]), 0.9)])
    assert len(memory) == 1
    rng = np.random.default_rng(0)
    for k in range(4):
        box = (float(rng.integers(0, 250)), float(rng.integers(0, 190)), 48.0, 40.0)
        if box_iou(box, target) < 0.2:
            memory.update(frame, target, [(box, 0.9)])
    assert len(memory) <= 2


def run_long_term(seq, distractor_aware: bool):
    tracker = LongTermTracker(SiamFCTracker(build_parameter_free_model(), SiamFCConfig()),
                              LongTermConfig(distractor_aware=distractor_aware))
    tracker.initialize(seq.frames[0], seq.init_box_xywh)
    on_target, false_claims = [], []
    for t in range(1, len(seq.frames)):
        result = tracker.track(seq.frames[t])
        if seq.visible[t]:
            on_target.append(result.is_target_visible
                             and box_iou(result.bbox_xywh, seq.boxes_xywh[t]) >= 0.5)
        else:
            false_claims.append(result.is_target_visible)
    return float(np.mean(on_target)), float(np.mean(false_claims))


def test_distractor_aware_wrapper_picks_the_target_more_often():
    """A recoloured look-alike stays in view while the target is out of view: plain
    re-detection locks onto the look-alike; the distractor-aware wrapper remembers it (first
    frame scan) and waits for the real target."""
    spec = SyntheticSpec(seed=2, num_frames=90, out_of_view=((30, 25),), distractors=1,
                         distractor_kind="recolored", name="look-alike")
    seq = generate_sequence(spec)
    plain_hits, plain_false = run_long_term(seq, distractor_aware=False)
    aware_hits, aware_false = run_long_term(seq, distractor_aware=True)
    assert aware_hits >= plain_hits + 0.3, (plain_hits, aware_hits)
    assert aware_hits >= 0.8
    assert aware_false < plain_false
    assert aware_false <= 0.2


def test_distractor_aware_tracking_keeps_tracking_states():
    seq = generate_sequence(SyntheticSpec(seed=3, num_frames=15, distractors=2))
    tracker = LongTermTracker(SiamFCTracker(build_parameter_free_model(), SiamFCConfig()),
                              LongTermConfig(distractor_aware=True))
    first = tracker.initialize(seq.frames[0], seq.init_box_xywh)
    assert first.extras["proposals"] >= 1            # the first-frame distractor scan
    for t in range(1, 15):
        result = tracker.track(seq.frames[t])
        assert result.state == TrackState.TRACKING
        assert box_iou(result.bbox_xywh, seq.boxes_xywh[t]) > 0.6
