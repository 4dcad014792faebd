"""Static int8 quantisation of an exported search graph for ONNX Runtime (opt-in, fast mode).

The search branch (run every frame) is quantised; the template branch (run once per target)
stays float32. Weights are int8 per output channel, activations uint8 with ranges calibrated
on the crops the caller passes (the builder gives
:func:`siam_tracker_ros.data.calibration.calibration_crops`: a seeded synthetic sequence), in
ONNX's QDQ format, which ONNX Runtime runs with VNNI / AMX int8 kernels where the CPU has them.

This changes the network's outputs by a few per cent, far more than float rounding: boxes move
by pixels, not by 1e-3 px. ``docs/results/bench/`` has the measured speed and val accuracy.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .common import BackendUnavailable


def quantize_search_graph(search_onnx: bytes, template_feed: Callable[[np.ndarray], Dict[str, np.ndarray]],
                          searches: Sequence[np.ndarray]) -> bytes:
    """The int8 (QDQ) version of ``search_onnx``, calibrated on ``searches`` with the template
    inputs ``template_feed(search)`` adds. BackendUnavailable without onnxruntime."""
    try:
        from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                              quantize_static)
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError:
        raise BackendUnavailable("int8 needs onnxruntime's quantization tools "
                                 "(pip install onnxruntime)") from None

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._feeds: Iterator[Dict[str, np.ndarray]] = iter([template_feed(s) for s in searches])

        def get_next(self) -> Optional[Dict[str, np.ndarray]]:
            return next(self._feeds, None)

    with tempfile.TemporaryDirectory(prefix="siam_int8_") as tmp:
        raw, prepared, quantized = (Path(tmp) / n for n in ("search.onnx", "prep.onnx", "int8.onnx"))
        raw.write_bytes(search_onnx)
        quant_pre_process(str(raw), str(prepared), skip_optimization=False)
        quantize_static(str(prepared), str(quantized), Reader(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        per_channel=True)
        return quantized.read_bytes()


def int8_search_graph(search_onnx: bytes, template_run: Callable[[Dict[str, np.ndarray]], List[np.ndarray]],
                      template_names: Sequence[str], search_inputs: Sequence[str],
                      calibration: Tuple[np.ndarray, Sequence[np.ndarray]]) -> bytes:
    """Quantise ``search_onnx`` on ``calibration`` = (template crop, search crops), the template
    inputs computed by the float template graph ``template_run``."""
    template, searches = calibration
    leaves = template_run({"template": template})
    wanted = set(search_inputs)
    fixed = {name: np.ascontiguousarray(leaf, dtype=np.float32)
             for name, leaf in zip(template_names, leaves) if name in wanted}
    return quantize_search_graph(search_onnx, lambda search: {"search": search, **fixed}, searches)


__all__ = ["int8_search_graph", "quantize_search_graph"]
