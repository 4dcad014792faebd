"""Success / precision plots as PNG files (matplotlib's Agg canvas; no pyplot global state)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Tuple

import numpy as np


def plot_curves(curves: Dict[str, Tuple[np.ndarray, float]], thresholds: np.ndarray, path: os.PathLike,
                title: str, xlabel: str, ylabel: str, legend_fmt: str = "{name} [{value:.3f}]") -> Path:
    """One line per tracker: ``curves[name] = (curve (T,), summary value for the legend)``,
    sorted by the summary value, saved as a PNG at ``path`` (parent folders created)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0, 4.5), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    styles = ["-", "--", "-.", ":"]
    ordered = sorted(curves.items(), key=lambda kv: -np.nan_to_num(kv[1][1], nan=-1.0))
    for i, (name, (curve, value)) in enumerate(ordered):
        ax.plot(thresholds, curve, styles[(i // 10) % len(styles)], linewidth=1.8,
                label=legend_fmt.format(name=name, value=value))
    ax.set_xlim(float(thresholds[0]), float(thresholds[-1]))
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.4)
    if curves:
        ax.legend(loc="lower left" if "Success" in title else "lower right", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(str(path))
    return path
