"""ONNX Runtime (CPU execution provider) sessions."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np

from .common import BackendUnavailable, threads_or_default


def open_session(onnx_bytes: bytes, num_threads: Optional[int] = None,
                 providers: Tuple[str, ...] = ("CPUExecutionProvider",)):
    """(run(feed) -> outputs, input names) of one graph; intra-op threads = ``num_threads``
    (default: torch's), one inter-op thread (a tracker runs one graph at a time)."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise BackendUnavailable("backend onnxruntime: the onnxruntime package is not installed "
                                 "(pip install onnxruntime)") from None

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads_or_default(num_threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # no busy-waiting between runs: spinning pool threads steal the CPU from the tracker's
    # own pre/post-processing (and from other processes on a shared machine)
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    available = set(ort.get_available_providers())
    missing = [p for p in providers if p not in available]
    if missing:
        raise BackendUnavailable(f"onnxruntime has no {', '.join(missing)} here "
                                 f"(available: {', '.join(sorted(available))})")
    session = ort.InferenceSession(onnx_bytes, options, providers=list(providers))
    names = [i.name for i in session.get_inputs()]

    def run(feed: Dict[str, np.ndarray]) -> List[np.ndarray]:
        return session.run(None, feed)

    return run, names
