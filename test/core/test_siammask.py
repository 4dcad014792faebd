"""SiamMask wrapper: result fields, delegation of the search API, model check. (Full PySOT
parity of masks and polygons is in test_parity_pysot.py.)"""
import numpy as np
import pytest

from siam_tracker_ros.core.config import RuntimeOptions
from siam_tracker_ros.core.errors import ConfigError
from siam_tracker_ros.core.siammask import SiamMaskTracker
from siam_tracker_ros.core.siamrpn import SiamRPNTracker
from siam_tracker_ros.core.tracker import SearchableTracker
from siam_tracker_ros.core.types import TrackState

from pysot_parity_data import INIT_BOX, frames, reference_model


def test_needs_a_mask_model():
    exp, model = reference_model("siamrpn_alex_dwxcorr")
    with pytest.raises(ConfigError, match="mask"):
        SiamMaskTracker(SiamRPNTracker(model, exp.track, exp.anchor, RuntimeOptions(device="cpu")))


@pytest.mark.slow
def test_mask_result_fields_and_search_api():
    exp, model = reference_model("siammask_r50_l3")
    tracker = SiamMaskTracker(SiamRPNTracker(model, exp.track, exp.anchor,
                                             RuntimeOptions(device="cpu")))
    assert isinstance(tracker, SearchableTracker)
    video = frames()
    tracker.initialize(video[0], INIT_BOX)
    result = tracker.track(video[1])
    assert result.state is TrackState.TRACKING
    assert result.mask.shape == (240, 320) and result.mask.dtype == np.uint8
    assert set(np.unique(result.mask)) <= {0, 1}
    assert result.extras["mask_sum"] == int(result.mask.sum())
    assert result.polygon.shape == (4, 2) and result.polygon.dtype == np.float32
    assert -np.pi / 4 <= result.theta < np.pi / 4
    assert result.extras["refine_pos"] == list(result.extras["best_ays"][1:])
    before = tracker.state.copy()
    proposal = tracker.propose(video[2], before.center_xy)
    assert np.array_equal(tracker.state.center_xy, before.center_xy)
    tracker.accept(proposal)
    assert tracker.state.center_xy.tolist() == proposal.center_xy.tolist()
