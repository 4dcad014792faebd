"""NanoTrack's upstream ONNX pair (backbone + head) run through OpenCV DNN, behind the same
interface as :class:`~siam_tracker_ros.models.nanotrack.NanoTrackModel` (``template``,
``search_features``, ``head_outputs``, ``score_size``), so
:class:`~siam_tracker_ros.core.nanotrack.NanoTracker` runs on it unchanged.

The pair expects what the PyTorch model does: BGR 0..255 float input (OpenCV's own
``TrackerNano`` feeds RGB, which changes the features completely). The backbone net serves both
crops (input ``input``, output ``output``); the head takes ``input1`` (template features) and
``input2`` (search features) and returns ``output1`` (cls) and ``output2`` (loc, ``exp``
included). The head was exported for one search size: only ``instance_size`` 255 is accepted.
"""
from __future__ import annotations

import os
from typing import Dict, Union

import numpy as np
import torch

from ..core.errors import CheckpointError, InvalidInputError
from .backbones.mobilenet_v3 import MobileNetV3Small
from .nanotrack import NanoTemplate

ONNX_INSTANCE_SIZE = 255


class OnnxNanoTrackModel:
    """The ONNX pair of NanoTrack ``version`` on OpenCV DNN (CPU)."""

    def __init__(self, backbone_path: Union[str, os.PathLike], head_path: Union[str, os.PathLike],
                 version: int) -> None:
        import cv2

        self.version = int(version)
        self.nets = {}
        for role, path in (("backbone", backbone_path), ("head", head_path)):
            path = os.fspath(path)
            if not os.path.isfile(path):
                raise CheckpointError(f"NanoTrack ONNX {role} {path} not found")
            try:
                self.nets[role] = cv2.dnn.readNet(path)
            except cv2.error as exc:
                reason = " ".join(str(exc).split())[:200]
                raise CheckpointError(f"cannot read NanoTrack ONNX {role} {path}: {reason}") from None
        self.backbone_net, self.head_net = self.nets["backbone"], self.nets["head"]

    # nn.Module-like no-ops the tracker calls
    def to(self, *args, **kwargs) -> "OnnxNanoTrackModel":
        return self

    def eval(self) -> "OnnxNanoTrackModel":
        return self

    def score_size(self, instance_size: int) -> int:
        if int(instance_size) != ONNX_INSTANCE_SIZE:
            raise InvalidInputError(f"the NanoTrack ONNX head takes {ONNX_INSTANCE_SIZE} px search "
                                    f"inputs only, got {instance_size} (use the torch backend "
                                    f"for re-detection windows)")
        return MobileNetV3Small.output_side(instance_size) - (1 if self.version == 3 else 0)

    def _backbone(self, image: torch.Tensor) -> torch.Tensor:
        blob = np.ascontiguousarray(image.detach().cpu().numpy(), dtype=np.float32)
        self.backbone_net.setInput(blob, "input")
        return torch.from_numpy(self.backbone_net.forward("output").copy())

    def template(self, z: torch.Tensor, cache_kernels: bool = True) -> NanoTemplate:
        return NanoTemplate(self._backbone(z), {})

    def search_features(self, x: torch.Tensor) -> torch.Tensor:
        return self._backbone(x)

    def head_outputs(self, xf: torch.Tensor, template: NanoTemplate) -> Dict[str, torch.Tensor]:
        self.head_net.setInput(np.ascontiguousarray(template.zf.numpy()), "input1")
        self.head_net.setInput(np.ascontiguousarray(xf.numpy()), "input2")
        cls, loc = self.head_net.forward(["output1", "output2"])
        return {"cls": torch.from_numpy(cls.copy()), "loc": torch.from_numpy(loc.copy())}

    def track(self, x: torch.Tensor, template: NanoTemplate) -> Dict[str, torch.Tensor]:
        return self.head_outputs(self.search_features(x), template)
