"""The node's ROS parameters: one table of specs → declarations (descriptions, ranges,
read-only flags), a typed snapshot, and run-time validation.

Node-level parameters are checked here (type, range, choices; rclpy enforces the declared ones
too). The long-term tracker parameters carry the names of the
:class:`~siam_tracker_ros.core.longterm.LongTermConfig` fields they set and are validated by that
dataclass alone. Their old names (``loss_patience_frames`` ...) are accepted for one release as
deprecated aliases, with one warning naming the new name.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.node import Node
from rclpy.parameter import Parameter

from ..core.errors import ConfigError
from ..core.longterm import LongTermConfig, long_term_settings


@dataclass(frozen=True)
class ParamSpec:
    """One declared parameter. ``limits`` = (min, max) for numbers (inclusive); ``choices`` for
    strings; ``tracker_key`` names the long-term tracker setting it drives (None = node-level)."""

    name: str
    default: Any
    description: str
    read_only: bool = False
    limits: Optional[Tuple[float, float]] = None
    choices: Optional[Tuple[str, ...]] = None
    tracker_key: Optional[str] = None
    int_step: int = 1

    def descriptor(self) -> ParameterDescriptor:
        text = self.description
        if self.choices:
            text += f" One of: {', '.join(self.choices)}."
        desc = ParameterDescriptor(description=text, read_only=self.read_only)
        if self.limits is not None and isinstance(self.default, float):
            desc.floating_point_range = [FloatingPointRange(
                from_value=float(self.limits[0]), to_value=float(self.limits[1]), step=0.0)]
        elif self.limits is not None and isinstance(self.default, int) \
                and not isinstance(self.default, bool):
            desc.integer_range = [IntegerRange(
                from_value=int(self.limits[0]), to_value=int(self.limits[1]),
                step=self.int_step)]
        return desc

    def check(self, value: Any) -> Optional[str]:
        """One-line reason ``value`` is invalid, or None (type/range as rclpy checks them, so the
        same rules hold for values validated outside rclpy)."""
        if isinstance(self.default, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"{self.name} must be a number, got {value!r}"
            if not math.isfinite(float(value)):
                return f"{self.name} must be finite, got {value!r}"
        if self.limits is not None and isinstance(value, (int, float)) \
                and not isinstance(value, bool):
            low, high = self.limits
            if not low <= value <= high:
                return f"{self.name} must be in [{low:g}, {high:g}], got {value:g}"
            if self.int_step > 1 and (int(value) - int(low)) % self.int_step:
                return f"{self.name} must be a multiple of {self.int_step}, got {value}"
        if self.choices is not None and value not in self.choices:
            return f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}"
        return None


# Node-level parameters. Units are in the names (_s seconds).
NODE_PARAMS: Tuple[ParamSpec, ...] = (
    ParamSpec("model_config", "", "Tracker config YAML (ours or a PySOT config.yaml); empty = the "
              "bundled default (config/trackers/nanotrack_v3.yaml: NanoTrack v3, upstream weights; "
              "siamrpn_slim names the project's own SiamRPN-slim).", read_only=True),
    ParamSpec("model_weights", "", "Checkpoint file for model_config; empty = the config's "
              "weights (model.weights of our YAML; none for the parameter-free model).", read_only=True),
    ParamSpec("device", "auto", "Inference device: auto (CUDA when available), cpu, cuda, "
              "cuda:N.", read_only=True),
    ParamSpec("fp16", False, "Half-precision inference (CUDA only).", read_only=True),
    ParamSpec("backend", "torch", "Runtime of the network call: torch, onnxruntime, openvino "
              "(CPU), tensorrt (CUDA), auto (the fastest installed CPU graph runtime; the node "
              "runs in fast mode). Pre- and post-processing are the same code.", read_only=True),
    ParamSpec("int8", False, "Quantise the per-frame search network to int8 (static, seeded "
              "calibration) on ONNX Runtime; needs backend onnxruntime or auto. Faster on "
              "compute-bound models (AlexNet, ResNet-50), boxes move by pixels.", read_only=True),
    ParamSpec("num_threads", 1, "Torch CPU threads for inference. 1 keeps the node from "
              "competing with other nodes for every core (the default model needs ~11 ms per "
              "640x480 frame on one core); 0 = torch's default (all cores).", read_only=True,
              limits=(0, 256)),
    ParamSpec("long_term", True, "Wrap the tracker in the long-term tracker (loss detection, "
              "LOST/SEARCHING states, re-detection).", read_only=True),
    ParamSpec("image_transport", "raw", "raw subscribes `image` (sensor_msgs/Image); compressed "
              "subscribes `image/compressed` (sensor_msgs/CompressedImage, jpeg/png).",
              read_only=True, choices=("raw", "compressed")),
    ParamSpec("image_reliability", "best_available", "QoS reliability of the image "
              "subscription (depth 1). best_available: reliable while every publisher of the "
              "topic offers reliable (image_transport's default), else best effort; re-chosen "
              "when publishers come and go (best effort while there is none).",
              read_only=True, choices=("best_available", "best_effort", "reliable")),
    ParamSpec("diagnostics_period_s", 1.0, "Period of /diagnostics messages, seconds.",
              read_only=True, limits=(0.05, 60.0)),
    ParamSpec("frame_buffer_s", 2.0, "Seconds of recent frames kept so an init box drawn on an "
              "earlier frame (by header stamp) starts on that frame.", limits=(0.0, 30.0)),
    ParamSpec("init_stamp_tolerance_s", 0.2, "A stamped init box whose frame is not in the "
              "buffer (lost in transport, or dropped) starts on the nearest buffered frame when "
              "that one is at most this many seconds away; beyond it the box is refused. "
              "0 = exact stamp only.", limits=(0.0, 10.0)),
    ParamSpec("max_image_age_s", 1.0, "Drop images whose header stamp is older than this (node "
              "clock; honours use_sim_time); 0 = never drop by age.", limits=(0.0, 3600.0)),
    ParamSpec("publish_mask", True, "Publish ~/mask (mono8 0/255) when it has subscribers."),
    ParamSpec("publish_debug_image", True, "Publish ~/debug_image (bgr8 overlay) when it has "
              "subscribers."),
    ParamSpec("target_label", "target", "class_id of published detections when the init box "
              "carries none."),
)

# Long-term tracker settings exposed as run-time parameters, named as the LongTermConfig fields
# they set. Their defaults are the built tracker's values (the model config's ``long_term:``
# section, else LongTermConfig's defaults); a params file that sets them wins. Validation:
# LongTermConfig (order of the thresholds, ranges, multiples).
_LT_DEFAULTS = dataclasses.asdict(LongTermConfig())
_LONG_TERM_DOCS = (
    ("loss_threshold", "Confidence (0..1) below which a frame counts as a miss; loss_patience "
     "misses in a row declare the target LOST."),
    ("reacquire_threshold", "Confidence (0..1) for TRACKING, and that a re-detected candidate "
     "needs to be accepted; must exceed loss_threshold (the gap is the hysteresis band, "
     "reported UNCERTAIN)."),
    ("loss_patience", "Consecutive frames below loss_threshold before the target is declared "
     "LOST (>= 1)."),
    ("confirm_frames", "Consecutive frames a re-detected candidate must score >= "
     "reacquire_threshold before tracking resumes (>= 1)."),
    ("windows_per_frame", "Re-detection windows evaluated per SEARCHING frame (more = faster "
     "re-acquisition, slower frames; >= 1)."),
    ("widen_step", "Growth of the search input per widening step (network pixels, multiple of "
     "8) before the global search."),
    ("tile_overlap", "Overlap (fraction, [0, 0.9)) of the global search tiles."),
)
LONG_TERM_PARAMS: Tuple[ParamSpec, ...] = tuple(
    ParamSpec(name, _LT_DEFAULTS[name], text, tracker_key=name) for name, text in _LONG_TERM_DOCS)

# Deprecated name -> parameter name (accepted for one release, with a warning).
DEPRECATED_ALIASES: Dict[str, str] = {
    "loss_patience_frames": "loss_patience",
    "reacquire_confirm_frames": "confirm_frames",
    "search_windows_per_frame": "windows_per_frame",
    "search_widen_step_px": "widen_step",
    "search_tile_overlap": "tile_overlap",
}

ALL_PARAMS: Tuple[ParamSpec, ...] = NODE_PARAMS + LONG_TERM_PARAMS
SPECS: Dict[str, ParamSpec] = {spec.name: spec for spec in ALL_PARAMS}


@dataclass(frozen=True)
class NodeSettings:
    """Typed snapshot of every parameter (see NODE_PARAMS); ``long_term`` holds the tracker
    settings by tracker_key."""

    model_config: str
    model_weights: str
    device: str
    fp16: bool
    num_threads: int
    long_term: bool
    image_transport: str
    image_reliability: str
    diagnostics_period_s: float
    frame_buffer_s: float
    init_stamp_tolerance_s: float
    max_image_age_s: float
    publish_mask: bool
    publish_debug_image: bool
    target_label: str
    backend: str = "torch"
    int8: bool = False
    tracker_settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> "NodeSettings":
        node_values = {s.name: values[s.name] for s in NODE_PARAMS}
        tracker = {s.tracker_key: values[s.name] for s in LONG_TERM_PARAMS if s.name in values}
        return cls(tracker_settings=tracker, **node_values)

    def values(self) -> Dict[str, Any]:
        out = {s.name: getattr(self, s.name) for s in NODE_PARAMS}
        for spec in LONG_TERM_PARAMS:
            if spec.tracker_key in self.tracker_settings:
                out[spec.name] = self.tracker_settings[spec.tracker_key]
        return out


def validate_values(values: Mapping[str, Any], names: Optional[Iterable[str]] = None) -> Optional[str]:
    """Reason the (complete) parameter ``values`` are invalid, or None. Only ``names`` (default:
    all) node parameters are checked one by one; the long-term ones by LongTermConfig."""
    for name in (values if names is None else names):
        spec = SPECS.get(name)
        if spec is not None and spec.tracker_key is None:
            reason = spec.check(values[name])
            if reason:
                return reason
    return check_long_term(values)


def check_long_term(values: Mapping[str, Any]) -> Optional[str]:
    """Reason the long-term settings among ``values`` (parameter names) are invalid, by
    LongTermConfig alone (unset fields at its defaults), or None."""
    chosen = {s.name: values[s.name] for s in LONG_TERM_PARAMS if s.name in values}
    try:
        LongTermConfig(**chosen)
    except (TypeError, ValueError) as exc:
        return f"long-term settings: {exc}"
    return None


def deprecation_warning(old: str) -> str:
    return (f"parameter {old} is deprecated and will be removed in the next release: use "
            f"{DEPRECATED_ALIASES[old]}")


def _coerce_overrides(node: Node) -> None:
    """Deprecated names become the new ones (one warning each; the new name wins when both are
    set). A YAML ``2`` for a double parameter arrives as an integer and rclpy would refuse it
    with a type error; accept it as 2.0 (ROS 2 users trip over this constantly)."""
    overrides = getattr(node, "_parameter_overrides", None)
    if not isinstance(overrides, dict):
        return
    for old, new in DEPRECATED_ALIASES.items():
        param = overrides.get(old)
        if param is not None:
            node.get_logger().warning(deprecation_warning(old))
            overrides.setdefault(new, Parameter(new, param.type_, param.value))
    for spec in ALL_PARAMS:
        param = overrides.get(spec.name)
        if param is not None and isinstance(spec.default, float) \
                and param.type_ == Parameter.Type.INTEGER:
            overrides[spec.name] = Parameter(spec.name, Parameter.Type.DOUBLE, float(param.value))


def _declare(node: Node, specs: Iterable[ParamSpec], defaults: Mapping[str, Any]) -> Dict[str, Any]:
    from rclpy.exceptions import ParameterException

    declared: Dict[str, Any] = {}
    for spec in specs:
        default = defaults.get(spec.name, spec.default)
        try:
            param = node.declare_parameter(spec.name, default, spec.descriptor())
        except ParameterException as exc:
            raise ConfigError(f"parameter {spec.name}: {exc}") from None
        reason = spec.check(param.value)
        if reason:
            raise ConfigError(f"parameter {reason}")
        declared[spec.name] = param.value
    return declared


def declare_parameters(node: Node, build: Callable[[NodeSettings], Any]) -> Tuple[NodeSettings, Any]:
    """Declare every parameter on ``node`` (overrides from --params-file / -p apply) and build
    the tracker: ``build(settings)`` gets the node values and the long-term values the user set;
    the long-term parameters are then declared with the built tracker's values (the model
    config's, with the user's on top: one source). Returns (settings, tracker). Raises
    :class:`ConfigError` (one line) for a wrong type, range, choice or combination."""
    _coerce_overrides(node)
    values = _declare(node, NODE_PARAMS, {})
    overrides = getattr(node, "_parameter_overrides", None) or {}
    user = {s.name: overrides[s.name].value for s in LONG_TERM_PARAMS if s.name in overrides}
    reason = check_long_term(user)
    tracker = build(NodeSettings.from_values({**values, **user}))
    built = long_term_settings(tracker)
    if built is None and reason:      # no long-term part to check them against
        raise ConfigError(f"parameters: {reason}")
    values.update(_declare(node, LONG_TERM_PARAMS, built or {}))
    for old, new in DEPRECATED_ALIASES.items():   # settable at run time too, for one release
        node.declare_parameter(old, values[new], ParameterDescriptor(
            description=f"Deprecated: use {new} (removed in the next release)."))
    return NodeSettings.from_values(values), tracker


def apply_changes(current: NodeSettings, params: Iterable[Parameter],
                  warn: Callable[[str], None] = lambda text: None) -> Tuple[Optional[str], NodeSettings]:
    """Validate a set of run-time parameter changes against ``current``.

    Returns (reason, settings): reason is None when accepted, and settings is the new snapshot
    (``current`` unchanged when refused). Deprecated names set their new name (``warn`` says
    so); unknown names are ignored (not ours to judge)."""
    values = current.values()
    changed = []
    for param in params:
        name = param.name
        if name in DEPRECATED_ALIASES:
            warn(deprecation_warning(name))
            name = DEPRECATED_ALIASES[name]
        if name in SPECS:
            values[name] = param.value
            changed.append(name)
    reason = validate_values(values, changed)
    if reason:
        return reason, current
    return None, NodeSettings.from_values(values)
