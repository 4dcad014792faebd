"""AppearanceVerifiedTracker: a confident base tracker's scores are verified by appearance, so
the long-term wrapper declares LOST when the base keeps a box on something else."""
from typing import List, Optional

import numpy as np
import pytest

from siam_tracker_ros.build.verifier import appearance_verified
from siam_tracker_ros.core.appearance_verifier import VerifierConfig
from siam_tracker_ros.core.longterm import LongTermConfig, LongTermTracker
from siam_tracker_ros.core.tracker import OneWindowAtATime, Proposal, SearchGeometry, TargetState
from siam_tracker_ros.core.types import TrackResult, TrackState
from siam_tracker_ros.data.synthetic import SyntheticSpec, generate_sequence


pytestmark = pytest.mark.usefixtures("one_torch_thread")     # test/conftest.py


class OverConfidentTracker(OneWindowAtATime):
    """A SearchableTracker that always answers score 1.0: ``track`` follows the boxes it is
    given (``script``), ``propose`` boxes the window centre. Records window influences."""

    def __init__(self, script: List[tuple]):
        self.script = iter(script)
        self.exemplar_size, self.instance_size, self.context_amount = 127, 255, 0.5
        self.state: Optional[TargetState] = None
        self.window_influences: List[Optional[float]] = []

    @property
    def search_geometry(self):
        return SearchGeometry(self.exemplar_size, self.instance_size, self.context_amount)

    def initialize(self, frame, box_xywh):
        x, y, w, h = box_xywh
        self.state = TargetState(np.array([x + w / 2, y + h / 2]), np.array([w, h], float))
        return TrackResult(tuple(box_xywh), 1.0, TrackState.TRACKING)

    def track(self, frame):
        box = next(self.script)
        self.accept(Proposal(box, 1.0, 1.0))
        return TrackResult(box, 1.0, TrackState.TRACKING, extras={"raw": 1.0})

    def reset(self):
        self.state = None

    def propose(self, frame, center_xy, instance_size=None, window_influence=None):
        self.window_influences.append(window_influence)
        w, h = self.state.size_wh
        return Proposal((center_xy[0] - w / 2, center_xy[1] - h / 2, float(w), float(h)), 1.0, 1.0)

    def accept(self, proposal):
        x, y, w, h = proposal.box_xywh
        self.state = TargetState(np.array([x + w / 2, y + h / 2]), np.array([w, h], float))


@pytest.fixture(scope="module")
def sequence():
    """A textured target that leaves the frame for 20 frames; look-alike-free background."""
    spec = SyntheticSpec(seed=11, num_frames=80, frame_size_wh=(320, 240), target_size_wh=(48, 40),
                         out_of_view=((30, 20),), name="verify")
    return generate_sequence(spec)


def _truth(sequence, index):
    return tuple(float(v) for v in sequence.boxes_xywh[index])


def test_the_target_verifies_and_background_does_not(sequence):
    base = OverConfidentTracker([])
    tracker = appearance_verified(base)
    first = tracker.initialize(sequence.frames[0], sequence.boxes_xywh[0])
    assert first.score == 1.0 and first.extras["appearance"] == 1.0
    frame = sequence.frames[5]
    x, y, w, h = _truth(sequence, 5)
    on_target, shifted, background = tracker.appearance(
        frame, [(x, y, w, h), (x + 4, y - 3, w, h), (x + 150 if x < 150 else x - 150, y, w, h)])
    assert on_target > 0.8 and shifted > 0.8      # a few pixels off still verifies
    assert background < 0.3
    assert tracker.appearance(frame, [(0, 0, 0, 0), (np.nan, 0, 10, 10)]) == [0.0, 0.0]


def test_scores_are_the_base_score_times_appearance(sequence):
    boxes = [_truth(sequence, i) for i in range(1, 6)]
    base = OverConfidentTracker(boxes + [(5.0, 5.0, 48.0, 40.0)])
    tracker = appearance_verified(base)
    tracker.initialize(sequence.frames[0], sequence.boxes_xywh[0])
    scores = []
    for i in range(1, 6):
        result = tracker.track(sequence.frames[i])
        assert result.bbox_xywh == boxes[i - 1]            # boxes are the base's
        assert result.extras["base_score"] == 1.0 and result.extras["raw"] == 1.0
        assert result.score == pytest.approx(result.extras["appearance"]) and result.score > 0.7
        scores.append(result.score)
    wrong = tracker.track(sequence.frames[6])              # the base jumps to a corner
    assert wrong.score < 0.5 * min(scores)
    # search calls: window influence passed through, proposals verified, state delegated
    proposal = tracker.propose(sequence.frames[6], tracker.state.center_xy, 287, window_influence=0.0)
    assert base.window_influences[-1] == 0.0 and proposal.score < 0.5 * min(scores)
    centers = [np.add(_truth(sequence, 6)[:2], np.divide(_truth(sequence, 6)[2:], 2))]
    verified = tracker.propose_many(sequence.frames[6], centers, 287)
    assert base.window_influences[-1] is None and verified[0].score > 0.7
    tracker.accept(verified[0])
    assert np.allclose(base.state.center_xy, centers[0])
    geometry = tracker.search_geometry
    assert (geometry.exemplar_size, geometry.instance_size) == (127, 255)


def test_min_base_score_keeps_low_base_scores():
    base = OverConfidentTracker([])
    tracker = appearance_verified(base, VerifierConfig(min_base_score=0.5))
    assert tracker._verified(0.4, 0.0) == 0.4 and tracker._verified(0.9, 0.5) == 0.45


def test_verifier_abstains_on_a_target_too_small_to_verify(sequence):
    # 48x40 target: sqrt(w*h) ~ 43.8 px. Below min_target_px the base score is kept as is.
    frame = sequence.frames[5]
    x, y, w, h = _truth(sequence, 5)
    background = (x + 150 if x < 150 else x - 150, y, w, h)
    for min_px, abstains in ((0.0, False), (43.0, False), (45.0, True)):
        base = OverConfidentTracker([background])
        tracker = appearance_verified(base, VerifierConfig(min_target_px=min_px))
        tracker.initialize(sequence.frames[0], sequence.boxes_xywh[0])
        assert tracker.abstains is abstains
        result = tracker.track(frame)
        assert (result.score == 1.0) is abstains and result.extras["base_score"] == 1.0
        assert (tracker.appearance(frame, [background]) == [1.0]) is abstains
    tracker.reset()
    assert not tracker.abstains


def test_long_term_declares_lost_when_the_base_stays_confident_on_background(sequence):
    # The base follows the target while visible and then parks its box on background at 1.0.
    script = []
    for i in range(1, len(sequence.boxes_xywh)):
        script.append(_truth(sequence, i) if sequence.visible[i] else script[-1])
    cfg = LongTermConfig(loss_threshold=0.3, reacquire_threshold=0.6, loss_patience=3,
                         confirm_frames=2, max_instance_size=255)
    verified = LongTermTracker(appearance_verified(OverConfidentTracker(script)), cfg)
    plain = LongTermTracker(OverConfidentTracker(list(script)), cfg)
    for tracker in (verified, plain):
        tracker.initialize(sequence.frames[0], sequence.boxes_xywh[0])
    states_verified, states_plain = [], []
    for i in range(1, 50):
        states_verified.append(verified.track(sequence.frames[i]).state)
        states_plain.append(plain.track(sequence.frames[i]).state)
    away = [i - 1 for i in range(1, 50) if not sequence.visible[i]]
    assert TrackState.LOST not in states_plain                 # the failure this fixes
    assert TrackState.LOST in [states_verified[i] for i in away]
    assert sum(states_verified[i] in (TrackState.LOST, TrackState.SEARCHING) for i in away) \
        >= len(away) - 4
    assert all(s == TrackState.TRACKING for s in states_verified[:25])


@pytest.mark.parametrize("values", [dict(search_margin=6), dict(search_margin=-4),
                                    dict(confidence_floor=0.8, confidence_ceil=0.7),
                                    dict(context_weight=1.5), dict(min_base_score=-0.1),
                                    dict(min_target_px=-1.0)])
def test_config_is_validated(values):
    with pytest.raises(ValueError):
        VerifierConfig(**values)


def test_recent_templates_follow_a_rotating_target():
    spec = SyntheticSpec(seed=5, num_frames=90, frame_size_wh=(320, 240), target_size_wh=(48, 40),
                         rotation_deg_per_frame=2.0, name="rotating")
    sequence = generate_sequence(spec)
    boxes = [_truth(sequence, i) for i in range(1, 90)]
    first_only = appearance_verified(OverConfidentTracker(list(boxes)), VerifierConfig(memory=0))
    with_memory = appearance_verified(OverConfidentTracker(list(boxes)), VerifierConfig(memory=2))
    for tracker in (first_only, with_memory):
        tracker.initialize(sequence.frames[0], sequence.boxes_xywh[0])
    last = {}
    for i in range(1, 90):
        last = {name: t.track(sequence.frames[i]).score
                for name, t in (("first", first_only), ("memory", with_memory))}
    assert with_memory.templates == 3 and first_only.templates == 1
    assert last["memory"] > 0.6 > last["first"] + 0.2      # 178 degrees later


def test_templates_share_one_search_feature_computation_and_match_separate_ones():
    """Every template scores the same crop of a candidate (one search padding colour, the first
    template's): its features are computed once per candidate, and each template's match equals
    the one a stand-alone tracker over that template computes."""
    from siam_tracker_ros.core.siamfc import SiamFCTracker

    spec = SyntheticSpec(seed=5, num_frames=40, frame_size_wh=(320, 240), target_size_wh=(48, 40),
                         rotation_deg_per_frame=2.0, name="rotating")
    sequence = generate_sequence(spec)
    boxes = [_truth(sequence, i) for i in range(1, 40)]
    tracker = appearance_verified(OverConfidentTracker(list(boxes)), VerifierConfig(memory=2))
    tracker.initialize(sequence.frames[0], sequence.boxes_xywh[0])
    for i in range(1, 39):
        tracker.track(sequence.frames[i])
    assert tracker.templates == 3
    model = tracker._model
    calls = []
    original = model.features
    model.features = lambda x: calls.append(x.shape) or original(x)
    try:
        frame = sequence.frames[39]
        x, y, w, h = boxes[-1]
        candidates = [(x, y, w, h), (x + 60, y, w, h)]
        shared = tracker.appearance(frame, candidates)
    finally:
        del model.features
    assert len(calls) == len(candidates)          # not templates x candidates
    # the same matches without sharing: a separate tracker per template, same search padding
    pad = tracker.verifier.search_pad_bgr
    for index, box in enumerate(candidates):
        separate = 0.0
        for template in [tracker.verifier, *tracker._recent]:
            alone = SiamFCTracker(model, template.cfg, template.options)
            alone._template, alone.state = template._template, None
            assert template.search_pad_bgr == pad
            bx, by, bw, bh = box
            alone.state = TargetState(np.array([bx + bw / 2, by + bh / 2]), np.array([bw, bh]))
            proposal = alone.propose_many(frame, [alone.state.center_xy], tracker._window, 0.0)[0]
            separate = max(separate, float(proposal.score))
        assert shared[index] == separate
