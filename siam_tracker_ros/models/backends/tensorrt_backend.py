"""TensorRT through ONNX Runtime's TensorRT execution provider (falling back to CUDA within
the session): needs onnxruntime-gpu with TensorRT and a CUDA device."""
from __future__ import annotations

from .common import BackendUnavailable


def tensorrt_available() -> str:
    """'' when the TensorRT execution provider is usable here, else why not."""
    try:
        import onnxruntime as ort
    except ImportError:
        return "onnxruntime is not installed"
    if "TensorrtExecutionProvider" not in ort.get_available_providers():
        return ("onnxruntime has no TensorrtExecutionProvider (install onnxruntime-gpu with "
                "TensorRT on a CUDA machine)")
    return ""


def open_session(onnx_bytes: bytes):
    reason = tensorrt_available()
    if reason:
        raise BackendUnavailable(f"backend tensorrt: {reason}")
    from .onnxruntime_backend import open_session as open_ort
    return open_ort(onnx_bytes, None, ("TensorrtExecutionProvider", "CUDAExecutionProvider"))
