"""``siam-track``: one console script, one module per sub-command.

Each sub-command module in this package defines ``register(subparsers)`` (adds its parser and
sets ``func`` via ``set_defaults(func=run)``) and ``run(args) -> int``. Errors derived from
:class:`SiamTrackerError` (and OSError) exit non-zero with one readable line. The tracker
arguments (``--config``, ``--weights``, ``--long-term``, ``--device``, ``--threads``, ``--fp16``,
``--fast``/``--exact``) are added by :mod:`.tracker_args` only, so every sub-command spells them
the same.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

from ..core.errors import SiamTrackerError

# Sub-command modules, in help order. A module that is not present yet is skipped.
SUBCOMMAND_MODULES = ("video", "bench", "eval", "report", "bag", "train", "export")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every available sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="siam-track", description="Siamese single-object tracking: run, benchmark, evaluate, train.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}_cmd")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}_cmd":
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the ``siam-track`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (SiamTrackerError, OSError) as exc:
        print(f"siam-track {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"siam-track {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
