"""Build a ready tracker from a config file: ours (``model:``/``tracker:``/``verifier:``/
``long_term:`` sections) or a PySOT experiment ``config.yaml`` (``META_ARC``/``BACKBONE``/... keys).

Ours describes either the parameter-free SiamFC (``model.type: parameter_free`` + ``tracker:``),
a learned network in PySOT layout (``model.type: pysot``, ``model.config``: its experiment
file, ``model.weights``: its checkpoint, both relative to the YAML file; ``--weights`` wins),
or NanoTrack (``model.type: nanotrack``, ``model.version`` 1/2/3, ``model.weights`` or the ONNX
backend, ``tracker:`` = :class:`~siam_tracker_ros.core.nanotrack.NanoTrackConfig`), optionally
verified by appearance (``verifier:``,
:class:`~siam_tracker_ros.core.appearance_verifier.VerifierConfig`).

``config`` may be a file path, a PySOT experiment folder (holding ``config.yaml``), or the name
of a bundled config (``siamrpn_slim``, ``nanotrack_v1``/``v2``/``v3``, ``siamfc_parameter_free``,
``config/trackers/<name>.yaml``, a PySOT
reference experiment under ``models/pysot/<name>/``). Bundled files are found by
:mod:`siam_tracker_ros.models.bundled_files` (source tree, pip data files, ROS share directory).

This is the assembly layer: the core trackers get their networks from here (the models of
:mod:`siam_tracker_ros.models`, prepared by :mod:`.networks`).
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import yaml

from ..core.appearance_verifier import VerifierConfig
from ..core.config import RuntimeOptions, dataclass_from_mapping
from ..core.errors import CheckpointError, ConfigError
from ..core.longterm import LongTermConfig, LongTermTracker
from ..core.nanotrack import NanoTrackConfig
from ..core.pysot_longterm import PySOTLongTermTracker
from ..core.siamfc import SiamFCConfig, SiamFCTracker
from ..core.tracker import Tracker
from ..models.bundled_files import bundled_roots, find_bundled_file
from .networks import nanotracker
from .verifier import appearance_verified

PathLike = Union[str, os.PathLike]

# The bundled default: NanoTrack v3 (upstream weights, exact to the reference tracker), chosen
# from the real-video validation table (docs/results/val/val.md: scripts/eval_val.py). The
# project's own SiamRPN-slim stays available as "siamrpn_slim". Without the data files (a bare
# pip install) the factory falls back to the parameter-free SiamFC, built from its dataclass
# defaults, with a warning.
DEFAULT_TRACKER_CONFIG = "config/trackers/nanotrack_v3.yaml"
FALLBACK_TRACKER_CONFIG = "config/trackers/siamfc_parameter_free.yaml"
OUR_SECTIONS = ("model", "tracker", "verifier", "long_term")
PYSOT_KEYS = ("META_ARC", "BACKBONE", "ADJUST", "RPN", "MASK", "REFINE", "ANCHOR", "TRACK",
              "TRAIN", "DATASET", "CUDA")
LONG_TERM_PREFIX = "long_term."
# Re-detection input cap for single-scale (RPN) bases, relative to their own search input: a
# window at most 25 % wider (~1.5x the pixels) keeps a searching frame within 2x a tracking frame
# (measured by scripts/bench_longterm_search.py: 383 px on AlexNet's 287 cost 2.2x).
PYSOT_SEARCH_GROWTH = 0.25
# Cosine-window weight of re-detection windows for PySOT bases (PySOT's own lost-mode value).
from ..core.pysot_longterm import LOST_WINDOW_INFLUENCE as PYSOT_LOST_WINDOW_INFLUENCE  # noqa: E402
# NanoTrack re-detection: one widening step of 64 px (255 -> 319), then 319 px global tiles.
NANOTRACK_SEARCH_STEP = 64


# --------------------------------------------------------------------------- config files
def resolve_config_path(config: Optional[PathLike]) -> Path:
    """The config file for ``config`` (see module doc); ConfigError (one line) if none."""
    if config is None or os.fspath(config) == "default":
        found = find_bundled_file(DEFAULT_TRACKER_CONFIG)
        if found is None:
            raise ConfigError(f"bundled default tracker config {DEFAULT_TRACKER_CONFIG} not found "
                              f"(looked in {', '.join(str(r) for r in bundled_roots())})")
        return found
    text = os.fspath(config)
    if not text.strip():
        raise ConfigError("tracker config path is empty")
    path = Path(text).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        if (path / "config.yaml").is_file():
            return path / "config.yaml"
        raise ConfigError(f"tracker config {text} is a folder without config.yaml")
    name = text[:-5] if text.endswith(".yaml") else text
    for relative in (text, f"config/trackers/{name}.yaml", f"models/pysot/{name}/config.yaml",
                     f"models/{name}/config.yaml"):
        found = find_bundled_file(relative)
        if found is not None:
            return found
    raise ConfigError(f"tracker config {text} not found (neither a file nor a bundled config name)")


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read tracker config {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text (YAML) file") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: a tracker config must be a YAML mapping, got "
                          f"{type(data).__name__}")
    return data


def is_pysot_config(data: Mapping[str, Any]) -> bool:
    """True for a PySOT experiment mapping (upper-case PySOT sections)."""
    return any(key in data for key in PYSOT_KEYS)


# --------------------------------------------------------------------------- overrides
def _split_overrides(overrides: Optional[Mapping[str, Any]]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(long-term overrides by field name, the rest by dotted key)."""
    long_term, rest = {}, {}
    for key, value in (overrides or {}).items():
        key = str(key)
        if key.startswith(LONG_TERM_PREFIX):
            long_term[key[len(LONG_TERM_PREFIX):]] = value
        else:
            rest[key] = value
    return long_term, rest


def _apply_section_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any],
                             where: str) -> Dict[str, Dict[str, Any]]:
    """Our format: copy the sections and apply ``section.key`` overrides."""
    for name in OUR_SECTIONS:
        if data.get(name) is not None and not isinstance(data.get(name), Mapping):
            raise ConfigError(f"{where}: section {name} must be a mapping")
    sections = {name: dict(data.get(name) or {}) for name in OUR_SECTIONS}
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        if section not in OUR_SECTIONS or not key:
            raise ConfigError(f"{where}: override {dotted!r} must be <section>.<key> with section in "
                              f"{', '.join(OUR_SECTIONS)}")
        sections[section][key] = value
    return sections


# --------------------------------------------------------------------------- builders
def _build_ours(data: Mapping[str, Any], path: Path, weights: Optional[PathLike],
                options: RuntimeOptions, overrides: Mapping[str, Any]
                ) -> Tuple[Tracker, Dict[str, Any]]:
    where = str(path)
    unknown = sorted(set(data) - set(OUR_SECTIONS))
    if unknown:
        raise ConfigError(f"{where}: unknown config key(s) {', '.join(map(str, unknown))} "
                          f"(known: {', '.join(OUR_SECTIONS)})")
    pysot_overrides = {k: v for k, v in overrides.items() if k.partition(".")[0] in PYSOT_KEYS}
    ours = {k: v for k, v in overrides.items() if k not in pysot_overrides}
    sections = _apply_section_overrides(data, ours, where)
    model_section = sections["model"]
    model_type = model_section.get("type", "parameter_free")
    if model_type == "pysot":
        return _build_ours_pysot(sections, path, weights, options, pysot_overrides)
    if model_type == "nanotrack":
        if pysot_overrides:
            raise ConfigError(f"{where}: override(s) {', '.join(pysot_overrides)} need a PySOT "
                              f"model (NanoTrack takes tracker.<key>)")
        return _build_ours_nanotrack(sections, path, weights, options)
    if model_type != "parameter_free":
        raise ConfigError(f"{where}: model.type {model_type!r} is not known "
                          f"(known: parameter_free, pysot, nanotrack)")
    if pysot_overrides:
        raise ConfigError(f"{where}: override(s) {', '.join(pysot_overrides)} need a PySOT model")
    if sections["verifier"]:
        raise ConfigError(f"{where}: a verifier: section needs a learned model (model.type: pysot "
                          f"or nanotrack)")
    if weights is not None:
        raise CheckpointError(f"the parameter-free model of {path.name} takes no weights, got {weights}")
    from ..models.parameter_free import ParameterFreeConfig, build_parameter_free_model
    model_cfg = dataclass_from_mapping(ParameterFreeConfig, model_section, f"{where} [model]")
    tracker_cfg = dataclass_from_mapping(SiamFCConfig, sections["tracker"], f"{where} [tracker]")
    tracker = SiamFCTracker(build_parameter_free_model(model_cfg), tracker_cfg, options)
    return tracker, sections["long_term"]


def _relative_file(value: Any, base: Path, what: str, where: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {what} must be a file path, got {value!r}")
    path = Path(value).expanduser()
    return path if path.is_absolute() else base.parent / path


def _build_ours_pysot(sections: Mapping[str, Dict[str, Any]], path: Path,
                      weights: Optional[PathLike], options: RuntimeOptions,
                      pysot_overrides: Mapping[str, Any]) -> Tuple[Tracker, Dict[str, Any]]:
    """``model.type: pysot``: a PySOT-layout network (its TRACK section holds the tracking
    settings), optionally wrapped in an :class:`AppearanceVerifiedTracker`."""
    where = str(path)
    model_section = dict(sections["model"])
    unknown = sorted(set(model_section) - {"type", "config", "weights"})
    if unknown:
        raise ConfigError(f"{where}: unknown model key(s) {', '.join(unknown)} "
                          f"(known for type pysot: config, weights)")
    if sections["tracker"]:
        raise ConfigError(f"{where}: a PySOT model takes its tracking settings from the TRACK "
                          f"section of its experiment file (override with TRACK.<KEY>), not tracker:")
    experiment = _relative_file(model_section.get("config"), path, "model.config", where)
    if not experiment.is_file():
        raise ConfigError(f"{where}: model.config {experiment} not found")
    if weights is None:
        if model_section.get("weights") is None:
            raise CheckpointError(f"{where}: no weights (set model.weights or pass --weights)")
        weights = _relative_file(model_section["weights"], path, "model.weights", where)
    tracker, long_term = _build_pysot(experiment, weights, options, pysot_overrides)
    tracker = _verified(tracker, dict(sections["verifier"]), options, where)
    return tracker, {**long_term, **sections["long_term"]}


def _verified(tracker: Tracker, verifier_section: Mapping[str, Any], options: RuntimeOptions,
              where: str) -> Tracker:
    """Wrap ``tracker`` in an :class:`AppearanceVerifiedTracker` when ``verifier:`` enables it."""
    if not verifier_section:
        return tracker
    verifier_cfg = dataclass_from_mapping(VerifierConfig, verifier_section, f"{where} [verifier]")
    if not verifier_cfg.enabled:
        return tracker
    return appearance_verified(long_term_base(tracker), verifier_cfg, options)


def _build_ours_nanotrack(sections: Mapping[str, Dict[str, Any]], path: Path,
                          weights: Optional[PathLike], options: RuntimeOptions
                          ) -> Tuple[Tracker, Dict[str, Any]]:
    """``model.type: nanotrack``: NanoTrack ``model.version`` (1, 2, 3) with ``model.weights``
    (upstream checkpoint layout; ``--weights`` wins) or ``model.backend: onnx`` (an upstream
    ONNX pair, ``model.onnx_backbone`` / ``model.onnx_head``, through OpenCV DNN); tracking
    settings in ``tracker:`` (:class:`~siam_tracker_ros.core.nanotrack.NanoTrackConfig`)."""
    where = str(path)
    model_section = dict(sections["model"])
    known = {"type", "version", "weights", "backend", "onnx_backbone", "onnx_head"}
    unknown = sorted(set(model_section) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown model key(s) {', '.join(unknown)} "
                          f"(known for type nanotrack: {', '.join(sorted(known - {'type'}))})")
    version = model_section.get("version")
    if version not in (1, 2, 3):
        raise ConfigError(f"{where}: model.version must be 1, 2 or 3, got {version!r}")
    backend = model_section.get("backend", "torch")
    track_cfg = dataclass_from_mapping(NanoTrackConfig, sections["tracker"], f"{where} [tracker]")
    if backend == "torch":
        if weights is None:
            if model_section.get("weights") is None:
                raise CheckpointError(f"{where}: no weights (set model.weights or pass --weights)")
            weights = _relative_file(model_section["weights"], path, "model.weights", where)
        weights_path = Path(os.fspath(weights)).expanduser()
        if not weights_path.is_file():
            raise CheckpointError(f"checkpoint {weights} not found")
        from ..models.nanotrack import load_nanotrack
        model = load_nanotrack(int(version), weights_path)
    elif backend == "onnx":
        if weights is not None:
            raise CheckpointError(f"{where}: the onnx backend takes model.onnx_backbone / "
                                  f"model.onnx_head, not weights ({weights})")
        backbone = _relative_file(model_section.get("onnx_backbone"), path, "model.onnx_backbone", where)
        head = _relative_file(model_section.get("onnx_head"), path, "model.onnx_head", where)
        from ..models.nanotrack_onnx import ONNX_INSTANCE_SIZE, OnnxNanoTrackModel
        if track_cfg.small_target_context_px:
            raise ConfigError(f"{where}: the NanoTrack ONNX head takes {ONNX_INSTANCE_SIZE} px search "
                              f"inputs only: set tracker.small_target_instance_size to 0")
        model = OnnxNanoTrackModel(backbone, head, int(version))
    else:
        raise ConfigError(f"{where}: model.backend must be torch or onnx, got {backend!r}")
    tracker: Tracker = nanotracker(model, track_cfg, options)
    tracker = _verified(tracker, sections["verifier"], options, where)
    long_term = {"max_instance_size": nanotrack_max_instance_size(track_cfg.instance_size),
                 "widen_step": NANOTRACK_SEARCH_STEP,
                 "search_window_influence": PYSOT_LOST_WINDOW_INFLUENCE}
    return tracker, {**long_term, **sections["long_term"]}


def nanotrack_max_instance_size(instance_size: int) -> int:
    """Largest re-detection search input for NanoTrack: the normal one plus
    :data:`NANOTRACK_SEARCH_STEP` (255 -> 319: ~1.6x the pixels, so a searching frame stays
    within 2x a tracking frame; ``16 k - 1`` with k even keeps the point grid centred)."""
    return int(instance_size) + NANOTRACK_SEARCH_STEP


def _build_pysot(path: Path, weights: Optional[PathLike], options: RuntimeOptions,
                 overrides: Mapping[str, Any]) -> Tuple[Tracker, Dict[str, Any]]:
    from ..models.pysot_config import load_pysot_config
    exp = load_pysot_config(path, overrides or None)
    if weights is None:
        raise CheckpointError(f"PySOT config {path} needs a checkpoint: pass weights (--weights)")
    if not Path(os.fspath(weights)).expanduser().is_file():
        raise CheckpointError(f"checkpoint {weights} not found")
    from .pysot_factory import build_pysot_tracker
    tracker = build_pysot_tracker(exp, os.fspath(Path(os.fspath(weights)).expanduser()), options)
    long_term = {"loss_threshold": exp.track.confidence_low,
                 "reacquire_threshold": exp.track.confidence_high,
                 "max_instance_size": pysot_max_instance_size(exp.track.instance_size,
                                                              exp.anchor.stride),
                 "search_window_influence": PYSOT_LOST_WINDOW_INFLUENCE}
    return tracker, long_term


def pysot_max_instance_size(instance_size: int, stride: int) -> int:
    """Largest re-detection search input (px) for an RPN base whose normal input is
    ``instance_size``: :data:`PYSOT_SEARCH_GROWTH` wider, on the ``stride`` grid the score map
    needs (255 -> 311, AlexNet's 287 -> 351)."""
    return int(instance_size + stride * int(PYSOT_SEARCH_GROWTH * instance_size // stride))


def long_term_base(tracker: Tracker) -> Tracker:
    """The tracker a :class:`LongTermTracker` should wrap: PySOT's own long-term tracker is
    replaced by its inner SiamRPN (our hysteresis and global re-detection supersede it)."""
    if isinstance(tracker, PySOTLongTermTracker):
        return tracker.rpn
    return tracker


def build_tracker(config: Optional[PathLike] = None, weights: Optional[PathLike] = None,
                  options: RuntimeOptions = RuntimeOptions(), long_term: bool = False,
                  overrides: Optional[Mapping[str, Any]] = None) -> Tracker:
    """A tracker ready for ``initialize``.

    config: None or ``"default"`` = the bundled default (:data:`DEFAULT_TRACKER_CONFIG`); else see
      module doc.
    weights: checkpoint; required by PySOT configs (ours with ``model.type: pysot`` name their
      own), refused by the parameter-free model.
    long_term: wrap in :class:`LongTermTracker` (settings: the config's ``long_term:`` section,
      for PySOT configs ``loss/reacquire_threshold`` = ``TRACK.CONFIDENCE_LOW/HIGH``, largest
      search input :func:`pysot_max_instance_size`, search window influence 0.001).
    overrides: dotted keys: ``long_term.<field>`` for the long-term settings, otherwise
      ``<section>.<key>`` (ours, e.g. ``tracker.window_influence``) or PySOT's
      ``TRACK.PENALTY_K`` style.
    Raises ConfigError / CheckpointError / InvalidInputError with one readable line.
    """
    use_default = config is None or os.fspath(config) == "default"
    if use_default and find_bundled_file(DEFAULT_TRACKER_CONFIG) is None:
        # A pip install without the data files: the parameter-free model needs none (the bundled
        # siamfc_parameter_free.yaml holds exactly the dataclass defaults; a test checks it).
        warnings.warn(f"bundled default tracker {DEFAULT_TRACKER_CONFIG} not found (looked in "
                      f"{', '.join(str(r) for r in bundled_roots())}): using the built-in "
                      f"parameter-free SiamFC", RuntimeWarning, stacklevel=2)
        path, data = Path(f"<built-in {FALLBACK_TRACKER_CONFIG}>"), {}
    else:
        path = resolve_config_path(config)
        data = _read_yaml(path)
    long_term_overrides, rest = _split_overrides(overrides)
    if is_pysot_config(data):
        tracker, long_term_values = _build_pysot(path, weights, options, rest)
    else:
        tracker, long_term_values = _build_ours(data, path, weights, options, rest)
    long_term_values = {**long_term_values, **long_term_overrides}
    cfg = dataclass_from_mapping(LongTermConfig, long_term_values, f"{path} [long_term]")
    if not long_term:
        return tracker
    return LongTermTracker(long_term_base(tracker), cfg)


def describe_default() -> str:
    """One line naming the default tracker config (for --help texts)."""
    return f"{DEFAULT_TRACKER_CONFIG} (NanoTrack v3, upstream weights)"


__all__ = ["DEFAULT_TRACKER_CONFIG", "FALLBACK_TRACKER_CONFIG", "build_tracker", "bundled_roots",
           "find_bundled_file", "resolve_config_path", "is_pysot_config", "long_term_base",
           "describe_default"]
