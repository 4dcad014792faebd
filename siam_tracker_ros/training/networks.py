"""What the trainer trains: a network, its crop geometry and the kind of its head.

:func:`build_train_network` turns the training YAML's ``model`` section into a
:class:`TrainNetwork`:

* ``arch: pysot`` (default): any PySOT-style experiment YAML the model builder can build (RPN
  heads: anchor labels, :mod:`siam_tracker_ros.training.targets`);
* ``arch: nanotrack``: the NanoTrack network of a ``model.type: nanotrack`` tracker config
  (``config``: a path or a bundled name, default ``nanotrack_v3``; its ``model.version`` 1/2/3
  and ``tracker:`` crop geometry): MobileNetV3 backbone, point-based BAN head, point labels
  (:mod:`siam_tracker_ros.training.point_targets`). Weights keep the upstream key layout, so
  a trained ``model.pth`` loads strictly wherever the upstream checkpoints do.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple

import torch
import yaml
from torch import nn

from ..core.errors import ConfigError

ARCHS = ("pysot", "nanotrack")


@dataclass
class TrainNetwork:
    """A network to train. ``forward(z, x)`` gives the raw head outputs ``(cls, loc)``
    (cls (N, 2A, S, S); loc (N, 4A, S, S) RPN deltas or (N, 4, S, S) point distances).
    ``kind``: ``rpn`` or ``point``. ``config_file``: the network/tracker YAML copied next to
    the trained weights (None: nothing to copy). ``load(path)`` loads weights strictly."""

    name: str
    kind: str
    model: nn.Module
    forward: Callable[[torch.Tensor, torch.Tensor], Tuple[torch.Tensor, torch.Tensor]]
    load: Callable[[str], None]
    exemplar_size: int
    instance_size: int
    context_amount: float
    stride: int
    config_file: Optional[str] = None
    experiment: object = None            # the PySOT ExperimentConfig (rpn) or None
    extra: dict = field(default_factory=dict)

    def probe_score_size(self, device: torch.device) -> int:
        """Side of the score map for one template/search crop pair (eval mode, no grad)."""
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            z = torch.zeros(1, 3, self.exemplar_size, self.exemplar_size, device=device)
            x = torch.zeros(1, 3, self.instance_size, self.instance_size, device=device)
            cls, loc = self.forward(z, x)
        self.model.train(was_training)
        if self.kind == "point" and (cls.shape[1] != 2 or loc.shape[1] != 4):
            raise ConfigError(f"{self.name}: a point head must give 2 cls and 4 loc channels, "
                              f"got {cls.shape[1]} and {loc.shape[1]}")
        return int(cls.shape[-1])


def _pysot_network(section) -> TrainNetwork:
    from ..models.pysot_config import load_pysot_config
    from ..models.builder import build_model
    from ..models.checkpoint import load_checkpoint

    exp = load_pysot_config(section.config)
    model = build_model(exp.model)
    if model.has_mask or model.mask_head is not None:
        raise ConfigError(f"{section.config}: training mask heads is not supported "
                          "(the pairs carry no masks); use a model without MASK")

    def forward(z, x):
        out = model.track(x, model.template(z))
        if "cls" not in out or "loc" not in out:
            raise ConfigError(f"{section.config}: only RPN heads (cls/loc outputs) can be trained")
        return out["cls"], out["loc"]

    track = exp.track
    return TrainNetwork(name=exp.name, kind="rpn", model=model, forward=forward,
                        load=lambda path: load_checkpoint(model, path, exp.name),
                        exemplar_size=track.exemplar_size, instance_size=track.instance_size,
                        context_amount=track.context_amount, stride=exp.anchor.stride,
                        config_file=section.config, experiment=exp)


def _nanotrack_network(section) -> TrainNetwork:
    from ..core.config import dataclass_from_mapping
    from ..build.factory import _read_yaml, resolve_config_path
    from ..core.nanotrack import NanoTrackConfig
    from ..models.checkpoint import load_checkpoint
    from ..models.nanotrack import build_nanotrack_model

    path = resolve_config_path(section.config or "nanotrack_v3")
    data = _read_yaml(path)
    model_section = data.get("model") or {}
    if not isinstance(model_section, dict) or model_section.get("type") != "nanotrack":
        raise ConfigError(f"model.config {path}: arch nanotrack needs a tracker config with "
                          f"model.type nanotrack (e.g. nanotrack_v3)")
    version = model_section.get("version")
    if version not in (1, 2, 3):
        raise ConfigError(f"{path}: model.version must be 1, 2 or 3, got {version!r}")
    track = dataclass_from_mapping(NanoTrackConfig, data.get("tracker"), f"{path} [tracker]")
    model = build_nanotrack_model(int(version))
    name = f"nanotrack_v{version}"

    def forward(z, x):
        out = model.track(x, model.template(z))
        return out["cls"], out["loc"]

    return TrainNetwork(name=name, kind="point", model=model, forward=forward,
                        load=lambda source: load_checkpoint(model, source, name),
                        exemplar_size=track.exemplar_size, instance_size=track.instance_size,
                        context_amount=track.context_amount, stride=track.point_stride,
                        config_file=str(path), extra={"tracker_config": data})


def write_tracker_config(net: TrainNetwork, target: str) -> None:
    """``config.yaml`` next to trained weights: a copy of the network's config file (PySOT
    experiment), or for NanoTrack its tracker config with ``model.weights: model.pth`` (the
    folder is then a ready ``--config``)."""
    if net.kind == "point":
        data = dict(net.extra["tracker_config"])
        model = {k: v for k, v in dict(data["model"]).items()
                 if k not in ("backend", "onnx_backbone", "onnx_head")}
        model["weights"] = "model.pth"
        data["model"] = model
        text = (f"# {net.name} trained by siam-track train (tracker config from {net.config_file};\n"
                f"# weights in the upstream key layout, next to this file).\n")
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text + yaml.safe_dump(data, sort_keys=False))
        return
    if net.config_file and os.path.abspath(net.config_file) != os.path.abspath(target):
        shutil.copyfile(net.config_file, target)


def build_train_network(section) -> TrainNetwork:
    """The :class:`TrainNetwork` of a training YAML's ``model`` section (untrained weights)."""
    if section.arch == "pysot":
        return _pysot_network(section)
    if section.arch == "nanotrack":
        return _nanotrack_network(section)
    raise ConfigError(f"model.arch must be one of {', '.join(ARCHS)}, got {section.arch!r}")
