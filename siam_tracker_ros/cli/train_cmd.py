"""``siam-track train --config train.yaml``: train (or fine-tune) an RPN Siamese tracker or NanoTrack.

Examples::

    siam-track train --config config/train/default_slim.yaml
    siam-track train --config config/train/default_slim.yaml --resume out/train/default_slim/checkpoint_last.pth
    siam-track train --config my_finetune.yaml --init-weights siamrpn_alex_dwxcorr/model.pth
    siam-track train --config config/train/nanotrack_v3_finetune.yaml    # NanoTrack v3 from upstream weights

The output folder (``run.output_dir`` or ``--output-dir``) ends up with ``model.pth`` and
``config.yaml`` (usable as ``--config/--weights`` of the other sub-commands), ``log.csv``,
``loss_curves.png`` and ``checkpoint_last.pth``.
"""
from __future__ import annotations

import argparse
import os

from .tracker_args import add_device_arg, add_threads_arg


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train or fine-tune a Siamese RPN tracker or NanoTrack from a training YAML",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="training YAML (see config/train/)")
    parser.add_argument("--output-dir", default=None, help="override run.output_dir")
    parser.add_argument("--steps", type=int, default=None, help="override run.steps")
    parser.add_argument("--init-weights", default=None,
                        help="start from these weights (a PySOT or siam-track checkpoint): fine-tuning")
    parser.add_argument("--resume", nargs="?", const="auto", default=None,
                        help="continue from a checkpoint_last.pth (no value: the output folder's)")
    add_device_arg(parser, default=None, help_text="override run.device (auto, cpu, cuda, cuda:N)")
    add_threads_arg(parser, help_text="override run.num_threads")
    parser.add_argument("--workers", type=int, default=None, help="override run.num_workers")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..training.config import load_train_config
    from ..training.trainer import Trainer, with_overrides

    config = load_train_config(args.config)
    init = os.path.abspath(args.init_weights) if args.init_weights else None
    out = os.path.abspath(args.output_dir) if args.output_dir else None
    config = with_overrides(config, output_dir=out, steps=args.steps, init_weights=init,
                            device=args.device, num_threads=args.threads, num_workers=args.workers)
    resume = args.resume
    if resume == "auto":
        resume = os.path.join(config.run.output_dir, "checkpoint_last.pth")
    trainer = Trainer(config, resume=resume, progress=not args.no_progress)
    if trainer.init_message:
        print(f"siam-track train: {trainer.init_message}")
    print(f"siam-track train: {trainer.name} on {trainer.device}, steps {trainer.start_step}.."
          f"{config.run.steps}, batch {config.run.batch_size}, output {config.run.output_dir}")
    last = trainer.run()
    summary = ", ".join(f"{k} {v:.4g}" for k, v in last.items() if k != "step")
    print(f"siam-track train: done at step {config.run.steps}: {summary}")
    print(f"siam-track train: weights {os.path.join(config.run.output_dir, 'model.pth')}")
    return 0
