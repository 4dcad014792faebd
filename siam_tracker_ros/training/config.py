"""Training configuration: typed frozen dataclasses loaded from a YAML file (unknown keys are
errors). Relative paths in the file (model, data, output folder) are resolved against the
file's folder, so a config works from any working directory.

Sections (all optional except ``model.config`` of a PySOT network)::

    model:    arch (pysot | nanotrack), config (experiment / tracker YAML the weights
              belong to), init_weights
    data:     synthetic, images, videos, datasets (sources with weights), negatives, jitter
    targets:  RPN / SiamFC label assignment
    loss:     weights and box-loss kind
    optim:    optimizer, learning-rate schedule, backbone unfreezing
    run:      steps, batch size, workers, device, AMP, checkpoints, output folder, seed
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple

import yaml

from ..core.config import dataclass_from_mapping
from ..core.errors import ConfigError
from ..data.augment import SEARCH_JITTER, TEMPLATE_JITTER, CropJitter
from .targets import RPNTargetConfig


@dataclass(frozen=True)
class ModelSection:
    """``arch``: ``pysot`` (an RPN network described by a PySOT-style experiment YAML in
    ``config``) or ``nanotrack`` (``config``: a ``model.type: nanotrack`` tracker config, a
    path or a bundled name such as ``nanotrack_v3``, the default; it gives the version and the
    crop geometry). ``init_weights``: optional checkpoint
    to start from (fine-tuning; for NanoTrack e.g. the upstream ``nanotrackv3.pth``);
    ``init_strict``: whether every key must match."""

    config: str = ""
    arch: str = "pysot"
    init_weights: Optional[str] = None
    init_strict: bool = True

    def __post_init__(self) -> None:
        if self.arch not in ("pysot", "nanotrack"):
            raise ValueError(f"arch must be pysot or nanotrack, got {self.arch!r}")


@dataclass(frozen=True)
class SyntheticSource:
    """Random synthetic sequences (:mod:`siam_tracker_ros.data.synthetic`) with seeds
    ``seed .. seed + sequences - 1`` (keep them away from the evaluation presets' seeds).
    ``distractor_kinds``: drawn per sequence (``alternate``, ``copy``, ``instance``,
    ``recolored``); ``semantic_negatives``: use the look-alike distractors that are not exact
    copies as same-frame negatives ("another target of the same sequence")."""

    sequences: int = 0
    frames: int = 120
    seed: int = 100000
    weight: float = 1.0
    max_gap: int = 60
    distractor_kinds: Tuple[str, ...] = ("alternate",)
    semantic_negatives: bool = False

    def __post_init__(self) -> None:
        known = ("alternate", "copy", "instance", "recolored")
        if not self.distractor_kinds or any(k not in known for k in self.distractor_kinds):
            raise ValueError(f"distractor_kinds must be a non-empty list of {', '.join(known)}, "
                             f"got {list(self.distractor_kinds)}")


@dataclass(frozen=True)
class ImageSource:
    """Still images in a folder (random target regions, two augmentations per pair)."""

    dir: str = ""
    weight: float = 1.0
    max_side: int = 640


@dataclass(frozen=True)
class VideoSource:
    """Unlabelled videos in a folder, sampled as still frames (``frames_per_video`` evenly
    spaced frames of each, resized to at most ``max_side``)."""

    dir: str = ""
    weight: float = 1.0
    frames_per_video: int = 40
    max_side: int = 640


@dataclass(frozen=True)
class DatasetSource:
    """An annotated dataset on disk read by ``siam-track eval``'s readers (``format`` as
    accepted there, e.g. ``got10k``, ``lasot``, ``otb``), pairs at most ``max_gap`` apart."""

    format: str = ""
    root: str = ""
    weight: float = 1.0
    max_gap: int = 100


@dataclass(frozen=True)
class DataSection:
    synthetic: SyntheticSource = SyntheticSource()
    images: Tuple[ImageSource, ...] = ()
    videos: Tuple[VideoSource, ...] = ()
    datasets: Tuple[DatasetSource, ...] = ()
    negative_share: float = 0.2
    same_frame_negative_share: float = 0.3
    flip: float = 0.0
    template_jitter: CropJitter = TEMPLATE_JITTER
    search_jitter: CropJitter = SEARCH_JITTER
    val_pairs: int = 64

    def __post_init__(self) -> None:
        for name in ("negative_share", "same_frame_negative_share", "flip"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.val_pairs < 0:
            raise ValueError(f"val_pairs must be >= 0, got {self.val_pairs}")


@dataclass(frozen=True)
class TargetSection(RPNTargetConfig):
    """RPN: SiamRPN's IoU rule (:class:`RPNTargetConfig`); SiamFC: positive radius in crop px;
    point heads (NanoTrack): ``pos_num``, ``total_num``, ``neg_num``, ``force_best_positive``
    and the ellipse fractions ``pos_ellipse`` / ``neg_ellipse`` of
    :class:`siam_tracker_ros.training.point_targets.PointTargetConfig`."""

    siamfc_radius_px: float = 16.0
    pos_ellipse: float = 0.25
    neg_ellipse: float = 0.5


@dataclass(frozen=True)
class LossSection:
    """``box_loss``: RPN heads smooth_l1 | l1 | giou; point heads iou (NanoTrack's
    ``1 - IoU``) | giou | l1."""

    cls_weight: float = 1.0
    loc_weight: float = 1.2
    box_loss: str = "smooth_l1"
    smooth_l1_beta: float = 0.111

    def __post_init__(self) -> None:
        if self.box_loss not in ("smooth_l1", "l1", "giou", "iou"):
            raise ValueError(f"box_loss must be smooth_l1, l1, giou or iou, got {self.box_loss!r}")


@dataclass(frozen=True)
class OptimSection:
    """Optimizer and schedule. ``schedule``: cosine | log | constant after a linear warm-up of
    ``warmup_steps`` from ``lr * warmup_start_factor``; ``final_lr_factor`` is where cosine/log
    end. The backbone trains from ``backbone_unfreeze_step`` on (frozen, in eval mode, before),
    only the modules in ``backbone_train_layers`` (empty = all), at ``lr *
    backbone_lr_mult``. ``freeze_batchnorm``: every BatchNorm of the network stays in eval
    mode (running statistics fixed; its scale and shift still train) -- for fine-tuning a
    trained network with small batches."""

    optimizer: str = "sgd"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    warmup_start_factor: float = 0.1
    schedule: str = "cosine"
    final_lr_factor: float = 0.05
    grad_clip: float = 10.0
    backbone_unfreeze_step: int = 0
    backbone_train_layers: Tuple[str, ...] = ()
    backbone_lr_mult: float = 1.0
    freeze_batchnorm: bool = False

    def __post_init__(self) -> None:
        if self.optimizer not in ("sgd", "adamw"):
            raise ValueError(f"optimizer must be sgd or adamw, got {self.optimizer!r}")
        if self.schedule not in ("cosine", "log", "constant"):
            raise ValueError(f"schedule must be cosine, log or constant, got {self.schedule!r}")
        if self.lr <= 0 or self.warmup_steps < 0 or not 0 < self.warmup_start_factor <= 1:
            raise ValueError("need lr > 0, warmup_steps >= 0, 0 < warmup_start_factor <= 1")
        if not 0 < self.final_lr_factor <= 1 or self.backbone_lr_mult < 0:
            raise ValueError("need 0 < final_lr_factor <= 1 and backbone_lr_mult >= 0")


@dataclass(frozen=True)
class RunSection:
    """``device``: auto | cpu | cuda | cuda:N. ``amp`` and ``channels_last`` apply on CUDA only.
    ``num_threads``: torch CPU threads of the training process (None = torch's default)."""

    steps: int = 1000
    batch_size: int = 16
    num_workers: int = 1
    device: str = "auto"
    amp: bool = True
    channels_last: bool = True
    num_threads: Optional[int] = None
    checkpoint_every: int = 250
    log_every: int = 10
    output_dir: str = "out/train/run"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps <= 0 or self.batch_size <= 0 or self.num_workers < 0:
            raise ValueError("need steps > 0, batch_size > 0, num_workers >= 0")
        if self.checkpoint_every <= 0 or self.log_every <= 0:
            raise ValueError("need checkpoint_every > 0 and log_every > 0")
        if self.num_threads is not None and self.num_threads <= 0:
            raise ValueError("num_threads must be > 0 (or null)")


@dataclass(frozen=True)
class TrainConfig:
    model: ModelSection = ModelSection()
    data: DataSection = DataSection()
    targets: TargetSection = TargetSection()
    loss: LossSection = LossSection()
    optim: OptimSection = OptimSection()
    run: RunSection = RunSection()
    source: str = "<memory>"

    def to_dict(self) -> dict:
        """Plain nested dict (YAML/JSON/torch.save friendly)."""
        def plain(value: Any) -> Any:
            if dataclasses.is_dataclass(value):
                return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
            if isinstance(value, tuple):
                return [plain(v) for v in value]
            return value
        return plain(self)


_NESTED = {
    "model": ModelSection, "loss": LossSection, "optim": OptimSection, "run": RunSection,
    "targets": TargetSection,
}


def _resolve(path: Optional[str], base: str) -> Optional[str]:
    if not path:
        return path
    path = os.path.expanduser(str(path))
    return path if os.path.isabs(path) else os.path.normpath(os.path.join(base, path))


def _data_section(raw: Mapping[str, Any], where: str, base: str) -> DataSection:
    raw = dict(raw or {})
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: data must be a mapping")
    kwargs: dict = {}
    names = {f.name for f in dataclasses.fields(DataSection)}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise ConfigError(f"{where}: unknown config key(s) data.{', data.'.join(unknown)} "
                          f"(known: {', '.join(sorted(names))})")
    for key, value in raw.items():
        if key == "synthetic":
            kwargs[key] = dataclass_from_mapping(SyntheticSource, value, f"{where} data.synthetic")
        elif key in ("images", "videos", "datasets"):
            cls = {"images": ImageSource, "videos": VideoSource, "datasets": DatasetSource}[key]
            items = value or []
            if isinstance(items, Mapping):
                items = [items]
            entries = []
            for i, item in enumerate(items):
                entry = dataclass_from_mapping(cls, item, f"{where} data.{key}[{i}]")
                attr = "root" if key == "datasets" else "dir"
                entries.append(dataclasses.replace(entry, **{attr: _resolve(getattr(entry, attr), base)}))
            kwargs[key] = tuple(entries)
        elif key in ("template_jitter", "search_jitter"):
            kwargs[key] = dataclass_from_mapping(CropJitter, value, f"{where} data.{key}")
        else:
            kwargs[key] = value
    try:
        return DataSection(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where} data: {exc}") from None


def train_config_from_mapping(raw: Optional[Mapping[str, Any]], where: str = "<memory>",
                              base_dir: str = ".") -> TrainConfig:
    """Build a :class:`TrainConfig` from a parsed YAML mapping; errors are ConfigError."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: a training config must be a mapping, got {type(raw).__name__}")
    known = set(_NESTED) | {"data"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown config key(s) {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(known))})")
    sections: dict = {}
    for name, cls in _NESTED.items():
        section = raw.get(name)
        if section is not None and not isinstance(section, Mapping):
            raise ConfigError(f"{where}: {name} must be a mapping")
        sections[name] = dataclass_from_mapping(cls, section, f"{where} {name}")
    sections["data"] = _data_section(raw.get("data") or {}, where, base_dir)
    model = sections["model"]
    if not model.config and model.arch == "pysot":
        raise ConfigError(f"{where}: model.config (the experiment YAML of the network) is required")
    config_path = model.config
    if model.arch == "pysot" or os.sep in config_path or config_path.endswith((".yaml", ".yml")):
        config_path = _resolve(config_path, base_dir)     # else a bundled config name
    sections["model"] = dataclasses.replace(model, config=config_path,
                                            init_weights=_resolve(model.init_weights, base_dir))
    sections["run"] = dataclasses.replace(sections["run"], output_dir=_resolve(sections["run"].output_dir, base_dir))
    data = sections["data"]
    if data.synthetic.sequences <= 0 and not data.images and not data.videos and not data.datasets:
        raise ConfigError(f"{where}: data has no source (synthetic.sequences, images, videos or datasets)")
    return TrainConfig(source=where, **sections)


def load_train_config(path: str) -> TrainConfig:
    """Read a training YAML file (relative paths resolved against its folder)."""
    if not os.path.isfile(path):
        raise ConfigError(f"training config not found: {path}")
    with open(path, "r", encoding="utf-8") as handle:
        try:
            raw = yaml.safe_load(handle)
        except yaml.YAMLError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "parse error"
            raise ConfigError(f"{path}: invalid YAML: {first}") from None
    return train_config_from_mapping(raw, path, os.path.dirname(os.path.abspath(path)))
