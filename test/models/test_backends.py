"""Network runners: the same tracker on each installed runtime (and the CPU fast mode) gives the
exact mode's boxes on the parity video; missing runtimes skip and say why."""
import numpy as np
import pytest

from siam_tracker_ros.core.config import RuntimeOptions
from siam_tracker_ros.core.errors import ConfigError
from siam_tracker_ros.build.pysot_factory import build_pysot_tracker
from siam_tracker_ros.models.backends import BackendUnavailable, resolve_backend, runtime_installed
from siam_tracker_ros.models.backends.cpu_features import cpu_has_bf16
from siam_tracker_ros.models.backends.tensorrt_backend import tensorrt_available

from parity_models import experiment, frame, reference_model

pytestmark = pytest.mark.usefixtures("one_torch_thread")
MODEL = "siamrpn_alex_dwxcorr"
FRAMES = 8
INIT_BOX = (158, 53, 72, 60)  # the parity run's init box
BOX_ATOL = 0.05  # px; measured 4e-4 (requirement for fast mode: 0.5)


def _boxes(options):
    tracker = build_pysot_tracker(experiment(MODEL), None, options, model=reference_model(MODEL))
    frames = [frame(i) for i in range(FRAMES)]
    tracker.initialize(frames[0], INIT_BOX)
    return np.array([tracker.track(f).bbox_xywh for f in frames[1:]])


@pytest.fixture(scope="module")
def exact_boxes():
    return _boxes(RuntimeOptions(device="cpu", num_threads=1))


@pytest.mark.parametrize("backend, exact", [("torch", False), ("onnxruntime", True),
                                            ("openvino", True), ("auto", False)])
def test_backend_boxes_match_exact_mode(backend, exact, exact_boxes):
    if not runtime_installed(backend):
        pytest.skip(f"{backend} is not installed")
    boxes = _boxes(RuntimeOptions(device="cpu", num_threads=1, exact=exact, backend=backend))
    assert np.abs(boxes - exact_boxes).max() < BOX_ATOL


def test_siammask_on_onnxruntime_keeps_mask_refinement():
    if not runtime_installed("onnxruntime"):
        pytest.skip("onnxruntime is not installed")
    name = "siammask_r50_l3"
    frames = [frame(0), frame(1)]
    results = []
    for backend in ("torch", "onnxruntime"):
        tracker = build_pysot_tracker(experiment(name), None, RuntimeOptions(
            device="cpu", num_threads=1, backend=backend), model=reference_model(name))
        tracker.initialize(frames[0], INIT_BOX)
        results.append(tracker.track(frames[1]))
    exact, graph = results
    assert np.abs(np.subtract(graph.bbox_xywh, exact.bbox_xywh)).max() < BOX_ATOL
    assert graph.mask is not None and np.abs(graph.polygon - exact.polygon).max() < 1.0


def test_tensorrt_backend_skips_without_cuda():
    reason = tensorrt_available()
    if reason:
        with pytest.raises(BackendUnavailable, match="tensorrt"):
            _boxes(RuntimeOptions(device="cpu", backend="tensorrt"))
        pytest.skip(f"TensorRT not usable here: {reason}")
    boxes = _boxes(RuntimeOptions(device="cuda", backend="tensorrt"))
    assert np.isfinite(boxes).all()


def test_backend_names_and_auto():
    assert resolve_backend("auto", exact=True) == "torch"
    assert resolve_backend("openvino", exact=True) == "openvino"
    with pytest.raises(ConfigError, match="backend must be one of"):
        resolve_backend("tflite", exact=True)
    with pytest.raises(ValueError, match="backend must be one of"):
        RuntimeOptions(backend="tflite")
    assert isinstance(cpu_has_bf16(), bool)


INT8_BOX_BOUND = 40.0  # px; measured 4.2-21.2 px on these frames (int8 is an opt-in speed option)


def test_int8_search_graph_tracks_and_is_repeatable(exact_boxes):
    if not runtime_installed("onnxruntime"):
        pytest.skip("onnxruntime is not installed")
    options = RuntimeOptions(device="cpu", num_threads=1, exact=False, backend="onnxruntime", int8=True)
    boxes = _boxes(options)
    assert np.isfinite(boxes).all()
    # quantised, so not the exact mode's boxes, but still on the target of the parity video
    assert np.abs(boxes - exact_boxes).max() < INT8_BOX_BOUND
    # seeded calibration: a second build quantises the same way
    assert np.array_equal(_boxes(RuntimeOptions(device="cpu", num_threads=1, exact=False,
                                                backend="auto", int8=True)), boxes)


@pytest.mark.parametrize("fields", [dict(exact=True, backend="onnxruntime"),
                                    dict(exact=False, backend="openvino"),
                                    dict(exact=False, backend="torch")])
def test_int8_needs_fast_mode_on_onnxruntime(fields):
    with pytest.raises(ValueError, match="int8 needs exact false and backend onnxruntime"):
        RuntimeOptions(int8=True, **fields)
