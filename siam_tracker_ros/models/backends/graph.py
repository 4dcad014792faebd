"""A torch model's two exported graphs behind the model interface the trackers call."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..export import ExportedGraphs, TemplateLayout, export_graphs, template_layout
from ..siamese import MaskContext
from .common import BackendUnavailable

# A session: takes {input name: float32 array}, returns the outputs in graph order.
Session = Callable[[Dict[str, np.ndarray]], List[np.ndarray]]


@dataclass(frozen=True)
class GraphTemplate:
    """The template branch's outputs (float32 arrays, in ``template_<i>`` order)."""

    leaves: Sequence[np.ndarray]

    @property
    def batch_size(self) -> int:
        return int(self.leaves[0].shape[0])


class GraphNetwork:
    """Template graph once per target, search graph per frame, on ``backend`` sessions;
    everything else (``score_size``, ``has_mask``, SiamMask's ``mask_refine``, ...) is the
    torch model's. Runs on the CPU (``to``/``eval`` are no-ops); outputs are CPU tensors."""

    def __init__(self, torch_model: torch.nn.Module, graphs: ExportedGraphs, backend: str,
                 template_session: Session, search_session: Session,
                 search_inputs: Sequence[str]) -> None:
        self.torch_model = torch_model.eval()
        self.graphs = graphs
        self.backend = backend
        self._template_session = template_session
        self._search_session = search_session
        wanted = set(search_inputs)
        # exporters drop template tensors the search graph does not read (e.g. zf when the
        # head's kernels are cached): feed only the ones it takes
        self._feed_index = [i for i, name in enumerate(graphs.template_names) if name in wanted]

    # torch threads the process should use beside a graph runtime (crop and decode only)
    torch_threads = 1
    # what the trackers read from the torch model besides the network call
    PASSED_THROUGH = ("score_size", "has_mask", "mask_refine", "anchor_num", "stride", "version")

    def __getattr__(self, name: str) -> Any:
        if name in GraphNetwork.PASSED_THROUGH:
            return getattr(self.__dict__["torch_model"], name)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def to(self, *args: Any, **kwargs: Any) -> "GraphNetwork":
        return self

    def eval(self) -> "GraphNetwork":
        return self

    def template(self, z: torch.Tensor, cache_kernels: bool = True) -> GraphTemplate:
        outs = self._template_session({"template": _array(z)})
        return GraphTemplate([np.ascontiguousarray(o, dtype=np.float32) for o in outs])

    def track(self, x: torch.Tensor, template: GraphTemplate) -> Dict[str, Any]:
        feed = {"search": _array(x)}
        for index in self._feed_index:
            feed[self.graphs.template_names[index]] = template.leaves[index]
        outs = [torch.from_numpy(np.asarray(o, dtype=np.float32)) for o in self._search_session(feed)]
        result: Dict[str, Any] = {"cls": outs[0], "loc": outs[1]}
        if self.graphs.mask_features:
            count = self.graphs.mask_features
            result["mask_context"] = MaskContext(features=tuple(outs[2:2 + count]),
                                                 corr_feature=outs[2 + count])
        return result

    def forward(self, z: torch.Tensor, x: torch.Tensor):
        out = self.track(x, self.template(z))
        return out["cls"], out["loc"]


def _array(tensor: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().to("cpu", torch.float32).numpy())


def build_graph_network(model: torch.nn.Module, backend: str, num_threads: Optional[int] = None,
                        bf16: bool = False, graphs: Optional[ExportedGraphs] = None,
                        exemplar_size: int = 127, instance_size: int = 255,
                        int8_calibration: Optional[Tuple[np.ndarray, Sequence[np.ndarray]]] = None
                        ) -> GraphNetwork:
    """Export ``model`` (unless ``graphs`` are given) and open both graphs on ``backend``.
    ``int8_calibration`` (template crop, search crops): the search graph statically quantised to
    int8 on those crops (ONNX Runtime only, :mod:`.int8`)."""
    if int8_calibration is not None and backend != "onnxruntime":
        raise BackendUnavailable(f"int8 runs on backend onnxruntime, not {backend}")
    if graphs is None:
        graphs = export_graphs(model, exemplar_size, instance_size)
    if backend == "onnxruntime":
        from .onnxruntime_backend import open_session
        open_one = lambda data: open_session(data, num_threads)  # noqa: E731
    elif backend == "openvino":
        from .openvino_backend import open_session
        open_one = lambda data: open_session(data, num_threads, bf16)  # noqa: E731
    elif backend == "tensorrt":
        from .tensorrt_backend import open_session
        open_one = lambda data: open_session(data)  # noqa: E731
    else:
        raise BackendUnavailable(f"no graph runtime called {backend!r}")
    template_session, _ = open_one(graphs.template_onnx)
    search_session, search_inputs = open_one(graphs.search_onnx)
    if int8_calibration is not None:
        from .int8 import int8_search_graph
        search_session, search_inputs = open_one(int8_search_graph(
            graphs.search_onnx, template_session, graphs.template_names, search_inputs,
            int8_calibration))
    return GraphNetwork(model, graphs, backend, template_session, search_session, search_inputs)
