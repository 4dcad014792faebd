"""The network a SiamRPN-family tracker runs, prepared for its :class:`RuntimeOptions`.

The core trackers take the network ready to call (dependency injection: ``core`` never imports
``models``). In exact torch mode that is the model itself; otherwise the runner of
``options.backend`` (:func:`siam_tracker_ros.models.backends.prepare_network`: on the CPU in fast
mode BatchNorm folded and channels-last, or an ONNX Runtime / OpenVINO / TensorRT graph).
NanoTrack in fast mode first gets its own BatchNorm-folded channels-last copy
(:func:`siam_tracker_ros.models.fast_inference.prepare_fast_inference`). On the CPU with the
torch backend NanoTrack's search pass runs as frozen TorchScript graphs, in both modes
(:class:`siam_tracker_ros.models.frozen_graphs.FrozenGraphNanoTrack`; bit-identical in exact
mode).
"""
from __future__ import annotations

from typing import Any

import torch

from ..core.config import AnchorConfig, RuntimeOptions, TrackConfig
from ..core.nanotrack import NanoTrackConfig, NanoTracker
from ..core.siamrpn import SiamRPNTracker
from ..core.torch_device import configure_numerics, inference_dtype, resolve_device
from ..data.calibration import calibration_crops
from ..models.backends import prepare_network
from ..models.fast_inference import prepare_fast_inference
from ..models.frozen_graphs import FrozenGraphNanoTrack
from ..models.nanotrack import NanoTrackModel


def runtime_network(model: Any, options: RuntimeOptions) -> Any:
    """``model`` as the network call of ``options.backend`` and mode. Checks the device and
    fp16 first and applies the process-wide numerics settings (as the tracker will)."""
    device = resolve_device(options)
    inference_dtype(options, device)       # fp16 off CUDA fails before any graph export
    configure_numerics(options, device)
    if options.backend == "torch" and options.exact:
        return model
    calibration = calibration_crops() if options.int8 else None
    return prepare_network(model, options.backend, options.exact, options.num_threads,
                           device.type, options.bf16, calibration)


def hand_threads_to_runtime(network: Any, options: RuntimeOptions) -> None:
    """A graph runtime owns the CPU threads: torch, which then only crops and decodes small
    arrays, drops to the runner's ``torch_threads`` (waking an idle OpenMP pool costs more than
    the work; process-wide setting). Call after the tracker is built."""
    if resolve_device(options).type == "cpu" and getattr(network, "torch_threads", None):
        torch.set_num_threads(int(network.torch_threads))


def siamrpn_tracker(model: Any, track_cfg: TrackConfig, anchor_cfg: AnchorConfig,
                    options: RuntimeOptions) -> SiamRPNTracker:
    """A :class:`SiamRPNTracker` over ``model`` prepared for ``options``."""
    network = runtime_network(model, options)
    tracker = SiamRPNTracker(network, track_cfg, anchor_cfg, options)
    hand_threads_to_runtime(network, options)
    return tracker


def nanotracker(model: Any, cfg: NanoTrackConfig, options: RuntimeOptions) -> NanoTracker:
    """A :class:`NanoTracker` over ``model`` (a torch NanoTrack network or the OpenCV-DNN pair)
    prepared for ``options``."""
    if not options.exact and isinstance(model, torch.nn.Module):
        model = prepare_fast_inference(model, fold_batchnorm=True, channels_last=True)
    network = runtime_network(model, options)
    if options.torchscript and isinstance(network, NanoTrackModel) \
            and resolve_device(options).type == "cpu":   # the torch backend on the CPU, either mode
        network = FrozenGraphNanoTrack(network, optimize_numerics=not options.exact)
        network.warm_up(cfg.exemplar_size, (cfg.instance_size, cfg.small_target_instance_size))
    tracker = NanoTracker(network, cfg, options)
    hand_threads_to_runtime(network, options)
    return tracker


__all__ = ["hand_threads_to_runtime", "nanotracker", "runtime_network", "siamrpn_tracker"]
