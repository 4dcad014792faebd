"""ONNX export: the two graphs (template, search) compute what torch does on the parity frames,
at the normal and a larger (re-detection) search size, for a PySOT model, NanoTrack and our
SiamRPN-slim; exporting leaves the model untouched."""
from pathlib import Path

import numpy as np
import pytest
import torch

from siam_tracker_ros.models.checkpoint import state_dict_content_hash
from siam_tracker_ros.models.export import export_graphs, template_layout, write_graphs
from siam_tracker_ros.models.siamese import TemplateFeatures

from parity_models import INIT_CENTER, INIT_SIDE, crop_tensor, expected, reference_model

pytestmark = pytest.mark.usefixtures("one_torch_thread")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (requirements-dev.txt)")


def _run_graphs(graphs, z, xs):
    template = ort.InferenceSession(graphs.template_onnx).run(None, {"template": z.numpy()})
    search = ort.InferenceSession(graphs.search_onnx)
    names = {i.name for i in search.get_inputs()}
    feed = {n: t for n, t in zip(graphs.template_names, template) if n in names}
    return template, [search.run(None, {"search": x.numpy(), **feed}) for x in xs]


def _assert_close(got, ref, rtol=1e-4):
    scale = max(float(ref.abs().max()), 1e-6)
    assert float(np.abs(got - ref.numpy()).max()) <= rtol * scale


@torch.inference_mode()
def test_alex_graphs_match_torch_on_parity_frames():
    model = reference_model("siamrpn_alex_dwxcorr")
    before = state_dict_content_hash(model.state_dict())
    graphs = export_graphs(model, 127, 287)
    assert state_dict_content_hash(model.state_dict()) == before
    rec = expected("siamrpn_alex_dwxcorr")["results"][0]
    z = crop_tensor(INIT_CENTER, INIT_SIDE, 127, 0)
    xs = [crop_tensor(tuple(rec["crop"]["center"]), rec["crop"]["side"], size, 1) for size in (287, 351)]
    template = model.template(z, cache_kernels=True)
    leaves, outs = _run_graphs(graphs, z, xs)
    for got, ref in zip(leaves, template_layout(model).flatten(template)):
        _assert_close(got, ref)
    for x, out in zip(xs, outs):
        ref = model.track(x, template)
        assert out[0].shape == tuple(ref["cls"].shape)  # 21x21 at 287 px, 29x29 at 351 px
        _assert_close(out[0], ref["cls"])
        _assert_close(out[1], ref["loc"])


@torch.inference_mode()
def test_nanotrack_v2_graphs_match_torch():
    import cv2

    from siam_tracker_ros.models.nanotrack import load_nanotrack

    root = Path(__file__).resolve().parents[2]
    weights = root / "models" / "nanotrack" / "v2" / "nanotrackv2.pth"
    if not weights.is_file():
        pytest.skip("NanoTrack v2 checkpoint not bundled")
    model = load_nanotrack(2, weights)
    graphs = export_graphs(model, 127, 255)
    clip = sorted((root / "test" / "fixtures" / "nanotrack" / "clips" / "VOT_book").glob("*.jpg"))
    frame = cv2.imread(str(clip[1]), cv2.IMREAD_COLOR)
    z = torch.from_numpy(np.ascontiguousarray(frame[:127, :127].transpose(2, 0, 1))).float()[None]
    xs = [torch.from_numpy(np.ascontiguousarray(frame[:s, :s].transpose(2, 0, 1))).float()[None]
          for s in (255, 319)]
    _, outs = _run_graphs(graphs, z, xs)
    template = model.template(z)
    for x, out in zip(xs, outs):
        ref = model.track(x, template)
        _assert_close(out[0], ref["cls"])
        _assert_close(out[1], ref["loc"])


def test_siamrpn_slim_exports_to_files(tmp_path):
    from siam_tracker_ros.core.config import RuntimeOptions
    from siam_tracker_ros.build.factory import build_tracker
    from siam_tracker_ros.models.export import network_of

    network = network_of(build_tracker("siamrpn_slim", options=RuntimeOptions(device="cpu")))
    paths = write_graphs(export_graphs(network), tmp_path, "slim")
    assert [p.name for p in paths] == ["slim.template.onnx", "slim.search.onnx"]
    assert all(p.stat().st_size > 1000 for p in paths)


def test_template_layout_round_trip_keeps_none_fields():
    model = reference_model("siamrpn_alex_dwxcorr")
    layout = template_layout(model)
    with torch.inference_mode():
        template = model.template(torch.zeros(1, 3, 127, 127), cache_kernels=True)
    back = layout.unflatten(layout.flatten(template))
    assert isinstance(back, TemplateFeatures) and back.mask_kernel is None and back.backbone is None
    assert back.cached and torch.equal(back.zf[0], template.zf[0])
