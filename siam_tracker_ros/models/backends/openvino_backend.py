"""OpenVINO (CPU plugin) sessions: one compiled model per search input size (static shapes
compile to faster kernels than a dynamic one; a tracker sees one or two sizes)."""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np

from .common import BackendUnavailable, threads_or_default
from .cpu_features import cpu_has_bf16


def open_session(onnx_bytes: bytes, num_threads: Optional[int] = None, bf16: bool = False):
    """(run(feed) -> outputs, input names). ``bf16`` asks for bf16 inference when the CPU has
    native bf16 (avx512_bf16 / AMX, detected at run time); otherwise f32."""
    try:
        import openvino as ov
    except ImportError:
        raise BackendUnavailable("backend openvino: the openvino package is not installed "
                                 "(pip install openvino)") from None

    core = ov.Core()
    model = core.read_model(onnx_bytes)
    names = [p.get_any_name() for p in model.inputs]
    config = {"INFERENCE_NUM_THREADS": threads_or_default(num_threads),
              "PERFORMANCE_HINT": "LATENCY",
              "INFERENCE_PRECISION_HINT": "bf16" if (bf16 and cpu_has_bf16()) else "f32"}
    compiled: Dict[tuple, object] = {}

    def run(feed: Dict[str, np.ndarray]) -> List[np.ndarray]:
        key = tuple((name, feed[name].shape) for name in names)
        request = compiled.get(key)
        if request is None:
            shaped = model.clone()
            shaped.reshape({name: list(feed[name].shape) for name in names})
            request = core.compile_model(shaped, "CPU", config).create_infer_request()
            compiled[key] = request
        result = request.infer(feed)
        return [np.asarray(result[out]) for out in request.model_outputs]

    return run, names
