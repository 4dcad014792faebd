"""Fast, exact max-pooling for the stems on the CPU.

PyTorch's CPU max-pool is ~20x slower on NCHW than on channels-last tensors (on AlexNet's
96x139x139 map, 30 ms vs 1.5 ms on one thread: a fifth of AlexNet's search pass). Max is exact
in any order, and the first conv (3 input channels) and BatchNorm give bit-identical values in
either layout, so the stems compute conv -> BN (-> ReLU) -> max-pool channels-last and return
to the model's layout right after the pool: with PySOT's NCHW weights every later layer sees
exactly PySOT's tensors (checked bit for bit on the parity frames). A model converted to
channels-last (:func:`siam_tracker_ros.models.fast_inference.prepare_fast_inference`) stays
channels-last. Other devices keep PySOT's plain path.
"""
from __future__ import annotations

import torch
from torch import Tensor

CHANNELS_LAST = torch.channels_last


def channels_last_on_cpu(x: Tensor) -> Tensor:
    """``x`` in channels-last layout on the CPU (same values); unchanged elsewhere."""
    return x.contiguous(memory_format=CHANNELS_LAST) if x.device.type == "cpu" and x.dim() == 4 else x


def is_channels_last_weight(weight: Tensor) -> bool:
    """True for a 4-D conv weight stored channels-last (a model converted with
    ``model.to(memory_format=torch.channels_last)``)."""
    return weight.dim() == 4 and not weight.is_contiguous() and weight.is_contiguous(memory_format=CHANNELS_LAST)


def to_model_layout(x: Tensor, reference_weight: Tensor) -> Tensor:
    """``x`` in the layout of the model that owns ``reference_weight`` (a conv weight with
    more than one input channel or kernel tap, so its layout is unambiguous)."""
    if is_channels_last_weight(reference_weight):
        return x.contiguous(memory_format=CHANNELS_LAST)
    return x.contiguous()
