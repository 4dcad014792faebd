"""Training curves: the trainer's CSV log -> one PNG (matplotlib, Agg backend)."""
from __future__ import annotations

import csv
import math
from typing import Dict, List


def read_log(csv_path: str) -> Dict[str, List[float]]:
    """Columns of the training CSV as float lists (empty cells -> NaN)."""
    columns: Dict[str, List[float]] = {}
    with open(csv_path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for key, value in row.items():
                try:
                    number = float(value) if value not in ("", None) else math.nan
                except ValueError:
                    number = math.nan
                columns.setdefault(key, []).append(number)
    return columns


def plot_training_log(csv_path: str, png_path: str, title: str = "training") -> None:
    """Loss (total, cls, loc, validation), accuracies and learning rate against the step."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    log = read_log(csv_path)
    steps = log.get("step", [])
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for key, style in (("loss", "-"), ("cls_loss", "-"), ("loc_loss", "-"), ("val_loss", "o-")):
        values = log.get(key)
        if values and any(not math.isnan(v) for v in values):
            pts = [(s, v) for s, v in zip(steps, values) if not math.isnan(v)]
            axes[0].plot([p[0] for p in pts], [p[1] for p in pts], style, label=key, markersize=3)
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("loss")
    axes[0].set_yscale("log")
    axes[0].legend()
    axes[0].grid(alpha=0.3)
    for key in ("fg_acc", "bg_acc", "val_fg_acc", "val_bg_acc"):
        values = log.get(key)
        if values and any(not math.isnan(v) for v in values):
            pts = [(s, v) for s, v in zip(steps, values) if not math.isnan(v)]
            axes[1].plot([p[0] for p in pts], [p[1] for p in pts], "-" if "val" not in key else "o-",
                         label=key, markersize=3)
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("accuracy (labelled anchors)")
    axes[1].set_ylim(0, 1.02)
    axes[1].legend()
    axes[1].grid(alpha=0.3)
    if log.get("lr"):
        axes[2].plot(steps, log["lr"], label="head lr")
    if log.get("backbone_lr"):
        axes[2].plot(steps, log["backbone_lr"], label="backbone lr")
    axes[2].set_xlabel("step")
    axes[2].set_ylabel("learning rate")
    axes[2].legend()
    axes[2].grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
