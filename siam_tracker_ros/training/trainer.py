"""The training loop of Siamese trackers (``siam-track train``): RPN networks and NanoTrack.

``train(config)`` builds the network (:mod:`siam_tracker_ros.training.networks`: a PySOT
experiment YAML, or NanoTrack v1/v2/v3), draws labelled pairs
(:mod:`siam_tracker_ros.training.dataset`: anchor labels for RPN heads, point labels for
NanoTrack's BAN head), optimises ``cls_weight * cls loss + loc_weight * box loss`` with SGD
or AdamW (warm-up, cosine/log decay, backbone unfrozen at a step) and writes to
``run.output_dir``:

* ``model.pth``: the final weights, a plain state_dict with the model loader's keys (PySOT's,
  or NanoTrack's upstream layout: it loads strictly wherever the upstream checkpoints do);
  ``config.yaml``: a copy of the experiment YAML, so the folder is a ready tracker model;
* ``checkpoint_last.pth``: ``{'state_dict', 'optimizer', 'scaler', 'step', 'config', ...}``
  every ``checkpoint_every`` steps (``resume=`` continues from it, bit-identical data);
* ``log.csv`` (one row per ``log_every`` steps, validation columns at checkpoints) and
  ``loss_curves.png``.

CUDA runs use AMP (bf16 where supported, else fp16 with a grad scaler) and channels_last when
the config asks; the CPU path is the same code without them.
"""
from __future__ import annotations

import csv
import dataclasses
import math
import os
import time
from contextlib import nullcontext
from typing import Dict, Optional

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader

from ..core.config import RuntimeOptions
from ..core.errors import CheckpointError, ConfigError
from ..core.torch_device import resolve_device
from ..data.pairs import PairSampler
from .config import TrainConfig
from .dataset import (PairDataset, PointLabeller, RPNLabeller, build_sources, point_target_config,
                      rpn_target_config, sampler_config, worker_init)
from .losses import point_box_loss, point_cls_loss, rpn_cls_loss, rpn_iou_loss, rpn_loc_loss
from .networks import TrainNetwork, build_train_network, write_tracker_config
from .plots import plot_training_log
from .targets import anchor_boxes_cxcywh

CHECKPOINT_FORMAT = "siam_tracker_train_v1"
LOG_COLUMNS = ("step", "lr", "backbone_lr", "loss", "cls_loss", "loc_loss", "fg_acc", "bg_acc",
               "pairs_per_s", "val_loss", "val_cls_loss", "val_loc_loss", "val_fg_acc", "val_bg_acc")
_VAL_INDEX_OFFSET = 1 << 40   # validation pairs: indices no training step reaches


def lr_factor(step: int, total_steps: int, optim) -> float:
    """Multiplier of ``optim.lr`` at ``step``: linear warm-up, then cosine / log / constant."""
    if optim.warmup_steps and step < optim.warmup_steps:
        f0 = optim.warmup_start_factor
        return f0 + (1.0 - f0) * step / optim.warmup_steps
    span = max(1, total_steps - optim.warmup_steps)
    progress = min(1.0, max(0.0, (step - optim.warmup_steps) / span))
    final = optim.final_lr_factor
    if optim.schedule == "cosine":
        return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * progress))
    if optim.schedule == "log":
        return math.exp(math.log(final) * progress)
    return 1.0


def _backbone_modules(model, layers) -> list:
    if not layers:
        return [model.backbone]
    modules = []
    for name in layers:
        module = getattr(model.backbone, name, None)
        if module is None:
            raise ConfigError(f"optim.backbone_train_layers: backbone has no module {name!r} "
                              f"(has: {', '.join(n for n, _ in model.backbone.named_children())})")
        modules.append(module)
    return modules


def _set_backbone_trainable(model, layers, trainable: bool, freeze_batchnorm: bool = False) -> None:
    """Freeze the whole backbone (eval mode: BatchNorm statistics fixed) or unfreeze ``layers``;
    with ``freeze_batchnorm`` every BatchNorm of ``model`` stays in eval mode."""
    for p in model.backbone.parameters():
        p.requires_grad_(False)
    model.backbone.eval()
    if trainable:
        for module in _backbone_modules(model, layers):
            module.train()
            for p in module.parameters():
                p.requires_grad_(True)
    if freeze_batchnorm:
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.eval()


def _load_init_weights(net: TrainNetwork, path: str, strict: bool) -> str:
    model = net.model
    if strict:
        net.load(path)
        return f"loaded {path} (strict)"
    raw = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(raw, dict) and isinstance(raw.get("state_dict"), dict):
        raw = raw["state_dict"]
    state = {k[7:] if k.startswith("module.") else k: v for k, v in raw.items()}
    own = model.state_dict()
    usable = {k: v for k, v in state.items() if k in own and tuple(v.shape) == tuple(own[k].shape)}
    model.load_state_dict(usable, strict=False)
    return f"loaded {len(usable)}/{len(own)} tensors from {path} (non-strict)"


class Trainer:
    """One training run of ``config`` (see the module docstring). ``resume``: a
    ``checkpoint_last.pth`` to continue from; ``progress``: show tqdm bars."""

    def __init__(self, config: TrainConfig, resume: Optional[str] = None, progress: bool = True):
        self.cfg = config
        self.progress = progress
        run = config.run
        # OpenCV's thread pool does not survive fork(): a DataLoader worker forked after the
        # parent used it (image resizing, video decoding) can hang on its first cv2 call.
        cv2.setNumThreads(1)
        if run.num_threads is not None:
            torch.set_num_threads(int(run.num_threads))
        try:
            self.device = resolve_device(RuntimeOptions(device=run.device))
        except ValueError as exc:
            raise ConfigError(f"{config.source}: run.device: {exc}") from None
        self.cuda = self.device.type == "cuda"
        torch.manual_seed(run.seed)
        np.random.seed(run.seed % (2 ** 32))

        self.net = build_train_network(config.model)
        self.exp = self.net.experiment          # PySOT experiment (RPN networks) or None
        self.name = self.net.name
        self.model = self.net.model
        if self.net.kind == "point" and config.loss.box_loss not in ("iou", "giou", "l1"):
            raise ConfigError(f"{config.source}: loss.box_loss of a point head (NanoTrack) must be "
                              f"iou, giou or l1, got {config.loss.box_loss!r}")
        if self.net.kind == "rpn" and config.loss.box_loss == "iou":
            raise ConfigError(f"{config.source}: loss.box_loss iou is for point heads; RPN heads "
                              "take smooth_l1, l1 or giou")
        self.init_message = ""
        if config.model.init_weights:
            self.init_message = _load_init_weights(self.net, config.model.init_weights,
                                                   config.model.init_strict)
        self.model.to(self.device)
        if self.cuda and run.channels_last:
            self.model.to(memory_format=torch.channels_last)

        net = self.net
        self.score_size = net.probe_score_size(self.device)
        self.anchors = None
        if net.kind == "rpn":
            track, anchor = self.exp.track, self.exp.anchor
            expected = track.score_size(anchor.stride)
            if self.score_size != expected:
                raise ConfigError(f"{config.model.config}: the network gives a {self.score_size}x"
                                  f"{self.score_size} score map but TRACK (INSTANCE_SIZE, "
                                  f"EXEMPLAR_SIZE, BASE_SIZE) implies {expected}")
            self.anchors = torch.from_numpy(anchor_boxes_cxcywh(
                self.score_size, anchor.stride, anchor.ratios, anchor.scales,
                track.instance_size)).to(self.device)
            self.labeller = RPNLabeller(self.score_size, anchor.stride, anchor.ratios, anchor.scales,
                                        rpn_target_config(config.targets), track.instance_size)
        else:
            self.labeller = PointLabeller(self.score_size, net.stride, point_target_config(config.targets),
                                          net.instance_size)

        sources, weights = build_sources(config.data)
        self.sampler = PairSampler(sources, weights, sampler_config(
            config.data, net.exemplar_size, net.instance_size, net.context_amount), seed=run.seed)

        backbone_params = list(self.model.backbone.parameters())
        ids = {id(p) for p in backbone_params}
        other = [p for p in self.model.parameters() if id(p) not in ids]
        optim = config.optim
        groups = [{"params": other, "base_lr": optim.lr, "name": "head"},
                  {"params": backbone_params, "base_lr": optim.lr * optim.backbone_lr_mult, "name": "backbone"}]
        if optim.optimizer == "sgd":
            self.optimizer = torch.optim.SGD(groups, lr=optim.lr, momentum=optim.momentum,
                                             weight_decay=optim.weight_decay)
        else:
            self.optimizer = torch.optim.AdamW(groups, lr=optim.lr, weight_decay=optim.weight_decay)
        self.amp_dtype = None
        if self.cuda and run.amp:
            self.amp_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)

        self.out_dir = run.output_dir
        os.makedirs(self.out_dir, exist_ok=True)
        self.start_step = 0
        self._step = 0
        if resume:
            self._resume(resume)

    # -- helpers ---------------------------------------------------------------------------
    def _dataset(self, offset: int, length: int) -> PairDataset:
        return PairDataset(self.sampler, length, self.labeller, offset=offset)

    def _loader(self, dataset: PairDataset) -> DataLoader:
        workers = self.cfg.run.num_workers
        return DataLoader(dataset, batch_size=self.cfg.run.batch_size, shuffle=False, drop_last=True,
                          num_workers=workers, worker_init_fn=worker_init if workers else None,
                          pin_memory=self.cuda, persistent_workers=False,
                          prefetch_factor=2 if workers else None)

    def _to_device(self, batch: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        out = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
        fmt = torch.channels_last if (self.cuda and self.cfg.run.channels_last) else torch.contiguous_format
        out["template"] = out["template"].float().contiguous(memory_format=fmt)
        out["search"] = out["search"].float().contiguous(memory_format=fmt)
        return out

    def _losses(self, batch: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        autocast = (torch.autocast("cuda", dtype=self.amp_dtype) if self.amp_dtype is not None
                    else nullcontext())
        with autocast:
            cls, loc = self.net.forward(batch["template"], batch["search"])
        cls, loc = cls.float(), loc.float()
        loss_cfg = self.cfg.loss
        if self.net.kind == "point":
            cls_loss = point_cls_loss(cls, batch["cls"])
            loc_loss = point_box_loss(loc, batch["ltrb"], batch["cls"], loss_cfg.box_loss)
        else:
            cls_loss = rpn_cls_loss(cls, batch["cls"])
            if loss_cfg.box_loss == "giou":
                loc_loss = rpn_iou_loss(loc, batch["delta"], batch["delta_weight"], self.anchors)
            else:
                loc_loss = rpn_loc_loss(loc, batch["delta"], batch["delta_weight"], loss_cfg.box_loss,
                                        loss_cfg.smooth_l1_beta)
        loss = loss_cfg.cls_weight * cls_loss + loss_cfg.loc_weight * loc_loss
        with torch.no_grad():
            n, c2, s, _ = cls.shape
            fg = cls.view(n, 2, c2 // 2, s, s).argmax(dim=1)
            labels = batch["cls"]
            pos, neg = labels == 1, labels == 0
            fg_acc = (fg[pos] == 1).float().mean() if bool(pos.any()) else torch.tensor(float("nan"))
            bg_acc = (fg[neg] == 0).float().mean() if bool(neg.any()) else torch.tensor(float("nan"))
        return {"loss": loss, "cls_loss": cls_loss, "loc_loss": loc_loss, "fg_acc": fg_acc, "bg_acc": bg_acc}

    def _set_lr(self, step: int) -> None:
        factor = lr_factor(step, self.cfg.run.steps, self.cfg.optim)
        frozen = step < self.cfg.optim.backbone_unfreeze_step
        for group in self.optimizer.param_groups:
            lr = group["base_lr"] * factor
            group["lr"] = 0.0 if (group["name"] == "backbone" and frozen) else lr

    def _apply_backbone_schedule(self, step: int) -> None:
        optim = self.cfg.optim
        trainable = step >= optim.backbone_unfreeze_step
        _set_backbone_trainable(self.model, optim.backbone_train_layers, trainable, optim.freeze_batchnorm)

    def validate(self) -> Dict[str, float]:
        """Mean losses/accuracies on ``data.val_pairs`` fixed pairs (eval-mode BatchNorm)."""
        count = self.cfg.data.val_pairs
        if count <= 0:
            return {}
        dataset = self._dataset(_VAL_INDEX_OFFSET, count)
        loader = DataLoader(dataset, batch_size=min(count, self.cfg.run.batch_size), shuffle=False)
        self.model.eval()
        sums: Dict[str, float] = {}
        batches = 0
        with torch.no_grad():
            for batch in loader:
                parts = self._losses(self._to_device(batch))
                for key, value in parts.items():
                    sums[key] = sums.get(key, 0.0) + float(value)
                batches += 1
        self.model.train()
        self._apply_backbone_schedule(self._step)
        return {f"val_{k}": v / max(1, batches) for k, v in sums.items()}

    # -- checkpoints -------------------------------------------------------------------------
    def _checkpoint_path(self) -> str:
        return os.path.join(self.out_dir, "checkpoint_last.pth")

    def save_checkpoint(self, step: int) -> str:
        state = {
            "format": CHECKPOINT_FORMAT,
            "state_dict": {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(),
            "step": int(step),
            "config": self.cfg.to_dict(),
            "experiment": self.name,
        }
        path = self._checkpoint_path()
        tmp = path + ".tmp"
        torch.save(state, tmp)
        os.replace(tmp, path)
        return path

    def _resume(self, path: str) -> None:
        if not os.path.isfile(path):
            raise CheckpointError(f"resume checkpoint not found: {path}")
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{path} is not a training checkpoint of this trainer "
                                  f"(format {CHECKPOINT_FORMAT}); use --init-weights to start from weights")
        self.net.load(state["state_dict"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scaler.load_state_dict(state["scaler"])
        self.start_step = int(state["step"])
        self._step = self.start_step
        if self.start_step > self.cfg.run.steps:
            raise ConfigError(f"checkpoint {path} is at step {self.start_step}, beyond run.steps "
                              f"{self.cfg.run.steps}")

    def save_weights(self) -> str:
        """Write ``model.pth`` (plain state_dict) and ``config.yaml`` into the output folder."""
        weights = os.path.join(self.out_dir, "model.pth")
        state = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        torch.save(state, weights + ".tmp")
        os.replace(weights + ".tmp", weights)
        write_tracker_config(self.net, os.path.join(self.out_dir, "config.yaml"))
        return weights

    # -- the loop ----------------------------------------------------------------------------
    def run(self) -> Dict[str, float]:
        """Train from ``start_step`` to ``run.steps``; returns the last logged metrics."""
        run = self.cfg.run
        total = run.steps
        self._step = self.start_step
        log_path = os.path.join(self.out_dir, "log.csv")
        new_log = self.start_step == 0 or not os.path.isfile(log_path)
        log_file = open(log_path, "w" if new_log else "a", newline="", encoding="utf-8")
        writer = csv.DictWriter(log_file, fieldnames=LOG_COLUMNS)
        if new_log:
            writer.writeheader()
        last: Dict[str, float] = {}
        if self.start_step >= total:
            log_file.close()
            self.save_weights()
            return last
        dataset = self._dataset(self.start_step * run.batch_size, (total - self.start_step) * run.batch_size)
        loader = self._loader(dataset)
        self.model.train()
        self._apply_backbone_schedule(self.start_step)
        acc: Dict[str, float] = {}
        count = 0
        tick = time.perf_counter()
        bar = None
        if self.progress:
            from tqdm import tqdm
            bar = tqdm(total=total, initial=self.start_step, desc="train", unit="step", dynamic_ncols=True)
        try:
            for batch in loader:
                step = self._step
                if step == self.cfg.optim.backbone_unfreeze_step:
                    self._apply_backbone_schedule(step)
                self._set_lr(step)
                parts = self._losses(self._to_device(batch))
                loss = parts["loss"]
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"loss is {float(loss)} at step {step}; lower optim.lr")
                self.optimizer.zero_grad(set_to_none=True)
                self.scaler.scale(loss).backward()
                if self.cfg.optim.grad_clip > 0:
                    self.scaler.unscale_(self.optimizer)
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.optim.grad_clip)
                self.scaler.step(self.optimizer)
                self.scaler.update()
                for key, value in parts.items():
                    v = float(value.detach())
                    if not math.isnan(v):
                        acc[key] = acc.get(key, 0.0) + v
                        acc[key + "#"] = acc.get(key + "#", 0.0) + 1
                count += 1
                self._step = step + 1
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{float(loss):.3f}")
                done = self._step
                checkpoint_due = done % run.checkpoint_every == 0 or done == total
                if done % run.log_every == 0 or checkpoint_due:
                    elapsed = time.perf_counter() - tick
                    row = {"step": done, "lr": self.optimizer.param_groups[0]["lr"],
                           "backbone_lr": self.optimizer.param_groups[1]["lr"],
                           "pairs_per_s": count * run.batch_size / max(elapsed, 1e-9)}
                    for key in ("loss", "cls_loss", "loc_loss", "fg_acc", "bg_acc"):
                        n = acc.get(key + "#", 0.0)
                        row[key] = acc.get(key, 0.0) / n if n else float("nan")
                    if checkpoint_due:
                        row.update(self.validate())
                        self.save_checkpoint(done)
                    writer.writerow(row)
                    log_file.flush()
                    last = row
                    acc, count, tick = {}, 0, time.perf_counter()
                    if checkpoint_due:
                        plot_training_log(log_path, os.path.join(self.out_dir, "loss_curves.png"),
                                          title=f"{self.name}: {os.path.basename(self.cfg.source)}")
                if done >= total:
                    break
        finally:
            if bar is not None:
                bar.close()
            log_file.close()
        self.save_weights()
        return last


def train(config: TrainConfig, resume: Optional[str] = None, progress: bool = True) -> Dict[str, float]:
    """Run one training (see :class:`Trainer`); returns the last logged metrics."""
    return Trainer(config, resume=resume, progress=progress).run()


def with_overrides(config: TrainConfig, output_dir: Optional[str] = None, steps: Optional[int] = None,
                   init_weights: Optional[str] = None, device: Optional[str] = None,
                   num_threads: Optional[int] = None, num_workers: Optional[int] = None) -> TrainConfig:
    """``config`` with command-line overrides applied (None = keep)."""
    run = config.run
    changes = {k: v for k, v in (("output_dir", output_dir), ("steps", steps), ("device", device),
                                 ("num_threads", num_threads), ("num_workers", num_workers)) if v is not None}
    try:
        run = dataclasses.replace(run, **changes)
    except ValueError as exc:
        raise ConfigError(f"{config.source}: {exc}") from None
    model = config.model
    if init_weights is not None:
        model = dataclasses.replace(model, init_weights=init_weights)
    return dataclasses.replace(config, run=run, model=model)
