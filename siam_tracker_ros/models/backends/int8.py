"""Static int8 quantisation of an exported search graph for ONNX Runtime (opt-in, fast mode).

The search branch (run every frame) is quantised; the template branch (run once per target)
stays float32. Weights are int8 per output channel, activations uint8 with ranges calibrated
on search crops of a seeded synthetic sequence (textured target and background, rendered by
:mod:`siam_tracker_ros.data.synthetic`; nothing is downloaded), in ONNX's QDQ format, which ONNX
Runtime runs with VNNI / AMX int8 kernels where the CPU has them.

This changes the network's outputs by a few per cent, far more than float rounding: boxes move
by pixels, not by 1e-3 px. ``docs/results/bench/`` has the measured speed and val accuracy.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence

import numpy as np

from .common import BackendUnavailable

# calibration: crops of one seeded synthetic sequence, around the target and off it
CALIBRATION_SEED = 20261205
CALIBRATION_CROPS = 12


def calibration_crops(exemplar_size: int, instance_size: int, count: int = CALIBRATION_CROPS,
                      seed: int = CALIBRATION_SEED) -> tuple:
    """(template (1, 3, E, E), [search (1, 3, S, S)] * count) float32 BGR 0..255 arrays: the
    template around the target of frame 0, search windows around the target (and, every third
    one, off it) of later frames, at the tracker's context (side = 2x the target's context
    side for a search crop)."""
    from ...core.crop import crop_patch
    from ...data.synthetic import SyntheticSpec, generate_sequence

    seq = generate_sequence(SyntheticSpec(seed=seed, num_frames=count + 1, frame_size_wh=(640, 480),
                                          target_size_wh=(72, 60), speed_px=6.0, distractors=2,
                                          scale_range=(1.0, 1.4), illumination_change=0.3,
                                          name="int8-calibration"))
    rng = np.random.default_rng(seed)

    def crop(index: int, centre, out_size: int, box) -> np.ndarray:
        frame = np.ascontiguousarray(seq.frames[index])
        w, h = float(box[2]), float(box[3])
        context = 0.5 * (w + h)
        side = np.sqrt((w + context) * (h + context)) * out_size / exemplar_size
        patch, _ = crop_patch(frame, centre, max(1, int(round(side))), out_size,
                              frame.mean(axis=(0, 1)))
        return np.ascontiguousarray(patch.transpose(2, 0, 1)[None], dtype=np.float32)

    box0 = seq.boxes_xywh[0]
    template = crop(0, (box0[0] + box0[2] / 2, box0[1] + box0[3] / 2), exemplar_size, box0)
    searches = []
    for index in range(1, count + 1):
        box = seq.boxes_xywh[index]
        centre = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])
        if not np.isfinite(centre).all():
            box, centre = box0, np.array([320.0, 240.0])
        if index % 3 == 0:
            centre = centre + rng.uniform(-0.6, 0.6, 2) * instance_size
        searches.append(crop(index, centre, instance_size, box))
    return template, searches


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
                      exemplar_size: int, instance_size: int) -> bytes:
    """Quantise ``search_onnx`` with calibration crops (:func:`calibration_crops`), the template
    inputs computed by the float template graph ``template_run``."""
    template, searches = calibration_crops(exemplar_size, instance_size)
    leaves = template_run({"template": template})
    wanted = set(search_inputs)
    fixed = {name: np.ascontiguousarray(leaf, dtype=np.float32)
             for name, leaf in zip(template_names, leaves) if name in wanted}
    return quantize_search_graph(search_onnx, lambda search: {"search": search, **fixed}, searches)


__all__ = ["calibration_crops", "int8_search_graph", "quantize_search_graph"]
