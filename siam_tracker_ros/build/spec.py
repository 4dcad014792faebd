"""One way to name and build a tracker: :class:`TrackerSpec`.

Evaluation (``siam-track eval``, ``scripts/eval_val.py``), ``bag eval`` and the ROS node all
build their trackers through a spec: an OpenCV baseline, or one of ours from a config
(:func:`siam_tracker_ros.build.factory.build_tracker`) with its runtime options.

``exact`` has one default, ``True`` (:data:`DEFAULT_EXACT`, the library's
:class:`~siam_tracker_ros.core.config.RuntimeOptions` default): PySOT-exact numerics, what
evaluation reports. The live node runs ``exact=False`` (faster; boxes move by float rounding
only) and says so explicitly, and ``bag eval`` replays the node's code path, so it passes the
node's ``exact=False`` unless asked for ``--exact``.

Importing this module is cheap (no torch): the factory is imported when a spec is checked or
built.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional, Tuple

from ..core.config import RuntimeOptions
from ..core.errors import ConfigError, InvalidInputError
from ..core.tracker import Tracker

DEFAULT_EXACT = True


@dataclass(frozen=True)
class TrackerSpec:
    """What to build, and its name (result folder, report row).

    baseline: an OpenCV baseline (csrt | kcf | mil | nano; ``nano_models`` = TrackerNano's
      (backbone, head) ONNX files, None = the bundled v2 pair) instead of one of ours.
    config: a YAML / PySOT experiment path or a bundled config name; None = the bundled default.
    weights / long_term / overrides: as :func:`~siam_tracker_ros.build.factory.build_tracker`
      (``overrides``: sorted (dotted key, value) pairs, hashable).
    device / num_threads / exact / fp16 / backend / bf16 / int8: the
      :class:`~siam_tracker_ros.core.config.RuntimeOptions` (``exact``: see the module doc).
    """

    name: str
    baseline: Optional[str] = None
    config: Optional[str] = None
    weights: Optional[str] = None
    long_term: bool = False
    device: str = "auto"
    num_threads: Optional[int] = None
    nano_models: Optional[Tuple[str, str]] = None
    overrides: Optional[Tuple[Tuple[str, Any], ...]] = None
    exact: bool = DEFAULT_EXACT
    fp16: bool = False
    backend: str = "torch"
    bf16: bool = False
    int8: bool = False

    @classmethod
    def with_options(cls, name: str, options: RuntimeOptions, **fields: Any) -> "TrackerSpec":
        """A spec whose runtime fields are those of ``options`` (validated already)."""
        return cls(name=name, device=options.device, num_threads=options.num_threads,
                   exact=options.exact, fp16=options.fp16, backend=options.backend,
                   bf16=options.bf16, int8=options.int8, **fields)

    def runtime_options(self) -> RuntimeOptions:
        """The runtime options of this spec; ConfigError (one line) when they are invalid."""
        try:
            return RuntimeOptions(device=self.device, fp16=self.fp16, exact=self.exact,
                                  num_threads=self.num_threads, backend=self.backend,
                                  bf16=self.bf16, int8=self.int8)
        except ValueError as exc:
            what = "backend" if "backend" in str(exc) else "device"
            raise ConfigError(f"{what}: {exc}") from None

    def build(self) -> Tracker:
        """The tracker, ready for ``initialize``. Raises ConfigError / CheckpointError /
        InvalidInputError with one readable line."""
        if self.baseline:
            from ..models.opencv_baselines import OpenCVTracker

            return OpenCVTracker(self.baseline, self.nano_models)
        options = self.runtime_options()
        from .factory import build_tracker

        return build_tracker(self.config, weights=self.weights, options=options,
                             long_term=self.long_term,
                             overrides=dict(self.overrides) if self.overrides else None)


def default_name(config: Optional[str] = None, baseline: Optional[str] = None,
                 long_term: bool = False) -> str:
    """``opencv-<kind>`` for a baseline, else the config file's stem or bundled name
    (``default`` without one), ``-lt`` appended for the long-term wrapper."""
    if baseline:
        return f"opencv-{baseline}"
    name = Path(config).stem if config and config != "default" else "default"
    return name + ("-lt" if long_term else "")


def make_tracker_spec(config: Optional[str] = None, baseline: Optional[str] = None,
                      weights: Optional[str] = None, long_term: bool = False,
                      name: Optional[str] = None, device: str = "auto",
                      num_threads: Optional[int] = None,
                      nano_models: Optional[Tuple[str, str]] = None,
                      overrides: Optional[Mapping[str, Any]] = None,
                      exact: bool = DEFAULT_EXACT, fp16: bool = False,
                      backend: str = "torch") -> TrackerSpec:
    """A checked :class:`TrackerSpec` named :func:`default_name` unless ``name`` is given: the
    baseline must be known and the config must exist (a file, a folder or a bundled config
    name; InvalidInputError otherwise). ``config`` "default" = None (the bundled default);
    ``overrides``: ``build_tracker`` overrides (dotted keys)."""
    if baseline:
        from ..models.opencv_baselines import BASELINES

        if baseline not in BASELINES:
            raise InvalidInputError(f"unknown baseline {baseline!r} (known: {', '.join(BASELINES)})")
    elif config is not None and config != "default":
        from .factory import resolve_config_path

        try:
            resolve_config_path(config)   # a file, a folder or a bundled config name
        except ConfigError:
            raise InvalidInputError(f"tracker config {config} does not exist (neither a file "
                                    f"nor a bundled config name)") from None
    cfg = None if config == "default" else config
    return TrackerSpec(name=name or default_name(config, baseline, long_term), baseline=baseline,
                       config=cfg, weights=weights, long_term=long_term, device=device,
                       num_threads=num_threads,
                       nano_models=tuple(nano_models) if nano_models else None,
                       overrides=tuple(sorted(overrides.items())) if overrides else None,
                       exact=exact, fp16=fp16, backend=backend)


__all__ = ["DEFAULT_EXACT", "TrackerSpec", "default_name", "make_tracker_spec"]
