"""The tracker arguments every ``siam-track`` sub-command spells the same way, and the one
mapping from parsed arguments to :class:`RuntimeOptions` and to a tracker spec.

Spellings (the ones README and docs use)::

    --config CFG      tracker config: our YAML, a PySOT config.yaml, a bundled name or 'default'
    --weights CKPT    checkpoint for --config
    --long-term       wrap the tracker in the long-term tracker
    --device DEV      auto | cpu | cuda | cuda:N (default auto)
    --threads N       torch CPU threads
    --fp16            half precision (CUDA only)
    --fast | --exact  runtime mode (fast: exact=False; exact: PySOT's numerics); the default is
                      the sub-command's (``bag eval``: fast, as the node; the others: exact)

Old spellings stay as hidden aliases for one release and print one deprecation line on use:
``--tracker`` (= ``--config``) and ``--num-threads`` (= ``--threads``).
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Optional

from ..build.spec import make_tracker_spec

DEVICE_DEFAULT = "auto"
DEVICE_HELP = "auto | cpu | cuda | cuda:N (default auto)"


class _DeprecatedAlias(argparse.Action):
    """An old option spelling: warns once per use on stderr, then acts as the new one."""

    def __init__(self, option_strings, dest, new_option: str, append: bool = False, **kwargs) -> None:
        self.new_option = new_option
        self.append = append
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"{parser.prog}: warning: {option_string} is deprecated; use {self.new_option}",
              file=sys.stderr)
        if self.append:
            items = list(getattr(namespace, self.dest, None) or [])
            items.append(values)
            values = items
        setattr(namespace, self.dest, values)


def add_config_args(parser, group=None, *, repeatable: bool = False, weights: bool = True,
                    config_help: Optional[str] = None, weights_help: str = "checkpoint for --config",
                    required: bool = False) -> None:
    """``--config`` (hidden alias ``--tracker``) and ``--weights``. ``repeatable``: ``--config``
    may be given several times (a list, default empty); ``group``: add ``--config`` to this
    (e.g. mutually exclusive) group instead of ``parser``."""
    target = group if group is not None else parser
    help_text = config_help or ("tracker config: our YAML, a PySOT config.yaml, a bundled name, "
                                "or 'default' (the bundled default tracker)")
    if repeatable:
        target.add_argument("--config", action="append", default=[], metavar="NAME|PATH", help=help_text)
    else:
        target.add_argument("--config", metavar="CFG", required=required, help=help_text)
    target.add_argument("--tracker", dest="config", metavar="CFG", action=_DeprecatedAlias,
                        new_option="--config", append=repeatable, help=argparse.SUPPRESS)
    if weights:
        parser.add_argument("--weights", metavar="CKPT", help=weights_help)


def add_long_term_arg(parser) -> None:
    """``--long-term``."""
    parser.add_argument("--long-term", action="store_true",
                        help="wrap the tracker in the long-term tracker (loss detection, re-detection)")


def add_device_arg(parser, default: Optional[str] = DEVICE_DEFAULT, help_text: str = DEVICE_HELP) -> None:
    """``--device`` (default ``auto``; ``None`` only for override semantics, as in ``train``)."""
    parser.add_argument("--device", default=default, metavar="DEV", help=help_text)


def add_threads_arg(parser, default: Optional[int] = None,
                    help_text: str = "torch CPU threads (default: torch's)") -> None:
    """``--threads`` (hidden alias ``--num-threads``)."""
    parser.add_argument("--threads", type=int, default=default, metavar="N", help=help_text)
    parser.add_argument("--num-threads", dest="threads", type=int, metavar="N", action=_DeprecatedAlias,
                        new_option="--threads", help=argparse.SUPPRESS)


def add_runtime_args(parser, threads_default: Optional[int] = None, threads_help: Optional[str] = None,
                     fast_help: Optional[str] = None, exact_help: Optional[str] = None) -> None:
    """``--device``, ``--threads``, ``--fp16`` and the ``--fast``/``--exact`` pair
    (``args.exact``: None = the sub-command's default, True, False)."""
    add_device_arg(parser)
    if threads_help is None:
        add_threads_arg(parser, threads_default)
    else:
        add_threads_arg(parser, threads_default, threads_help)
    parser.add_argument("--fp16", action="store_true", help="half precision (CUDA only)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--fast", dest="exact", action="store_const", const=False, default=None,
                      help=fast_help or "fast mode (exact=False: BN folding, graph runtime; CUDA: "
                                        "crop on the device)")
    mode.add_argument("--exact", dest="exact", action="store_const", const=True,
                      help=exact_help or "exact mode: PySOT's numerics (host crop)")


def exact_mode(args: argparse.Namespace, default: bool = True) -> bool:
    """The runtime mode asked for: ``--exact`` True, ``--fast`` False, neither ``default``."""
    value = getattr(args, "exact", None)
    return default if value is None else bool(value)


def check_threads(args: argparse.Namespace) -> None:
    """InvalidInputError unless ``--threads`` is unset or >= 1."""
    from ..core.errors import InvalidInputError

    threads = getattr(args, "threads", None)
    if threads is not None and threads < 1:
        raise InvalidInputError(f"--threads must be >= 1, got {threads}")


def runtime_options_from_args(args: argparse.Namespace, default_exact: bool = True, **extra: Any):
    """:class:`RuntimeOptions` of ``--device``, ``--fp16``, ``--threads`` and ``--fast``/``--exact``
    (``extra``: further RuntimeOptions fields); a bad device is a ConfigError."""
    from ..core.config import RuntimeOptions
    from ..core.errors import ConfigError

    check_threads(args)
    fields = dict(device=args.device, fp16=bool(getattr(args, "fp16", False)),
                  exact=exact_mode(args, default_exact), num_threads=args.threads)
    fields.update(extra)
    try:
        return RuntimeOptions(**fields)
    except ValueError as exc:
        raise ConfigError(f"--device: {exc}") from None


def tracker_spec_from_args(args: argparse.Namespace, name: Optional[str] = None):
    """The tracker spec of ``--config``/``--weights``/``--long-term``/``--device``/``--threads``
    (``make_tracker_spec``). The spec carries no fp16 or runtime mode yet: asking for ``--fp16``
    or ``--fast`` here is an InvalidInputError rather than silently ignored."""
    from ..core.errors import InvalidInputError

    check_threads(args)
    unsupported = [flag for flag, on in (("--fp16", getattr(args, "fp16", False)),
                                         ("--fast", getattr(args, "exact", None) is False)) if on]
    if unsupported:
        raise InvalidInputError(f"{' and '.join(unsupported)}: not supported by this command yet "
                                f"(it runs the exact mode in float32)")
    return make_tracker_spec(config=args.config, weights=args.weights,
                             long_term=bool(getattr(args, "long_term", False)), name=name,
                             device=args.device, num_threads=args.threads)
