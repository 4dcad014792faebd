"""Score stored results against a dataset's ground truth: markdown table, plots, JSON.

Results folder: either one tracker's folder (``<sequence>.txt`` files, see :mod:`.runner`) or a
parent holding several tracker folders (``<results>/<dataset>`` is entered automatically when
``<results>`` is the eval runner's root). Sequences without a result file are reported as missing
and left out of that tracker's figures; sequences whose ground truth has no valid box after frame
0 (test splits) are left out of every figure.

Figures per tracker, overall and per sequence attribute (see :mod:`.metrics` for definitions):
success AUC (PySOT: mean of the success curve at IoU thresholds 0:0.05:1, averaged over
sequences), precision at 20 px, normalised precision at 0.2, GOT-10k AO / SR0.5 / SR0.75
(frame-weighted, frame 0 and invisible frames left out), VOT-LT precision / recall / F-score
over confidence thresholds, re-acquisition after out-of-view events (frames from re-entry until
IoU >= 0.5; mean over recovered events, and recovered/total), speed (frames / tracker seconds),
and, when VOT reset-protocol results exist, accuracy / failures / robustness / EAO.

JSON schema (``siam-track report --json OUT``; NaN values are written as null)::

    {
      "schema": "siam_tracker.report/1",
      "dataset": str, "root": str | null, "results": str,
      "thresholds": {"success_iou": [21 floats], "precision_px": [51 floats],
                     "norm_precision": [51 floats]},
      "excluded_sequences": [str],             # no ground truth after frame 0
      "trackers": {
        "<tracker>": {
          "path": str,
          "missing_sequences": [str],
          "has_confidence": bool,              # <sequence>_confidence.value files found
          "overall": Scores,
          "per_attribute": {"<attribute>": Scores},
          "per_sequence": {"<sequence>": Scores},
          "curves": {"success": [21], "precision": [51], "norm_precision": [51],
                     "lt_thresholds": [T], "lt_precision": [T], "lt_recall": [T], "lt_f": [T]},
          "vot": null | {"accuracy": float, "failures": int, "robustness": float,
                         "eao": float, "num_frames": int}
        }
      }
    }

    Scores = {"num_sequences": int, "num_frames": int, "success_auc": float,
              "precision_20px": float, "norm_precision_0.2": float, "ao": float, "sr50": float,
              "sr75": float, "lt_precision": float, "lt_recall": float, "lt_f": float,
              "lt_threshold": float, "reacq_events": int, "reacq_recovered": int,
              "reacq_mean_delay": float | null, "fps": float | null}
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence as SequenceType

import numpy as np

from ..core.errors import InvalidInputError
from ..data.sequence import Sequence
from . import metrics as M
from .runner import CONFIDENCE_SUFFIX, TIME_SUFFIX, read_boxes, read_values, read_vot_result, vot_result_path

SCHEMA = "siam_tracker.report/1"


@dataclass
class SequenceScore:
    """Per-sequence intermediate figures (curves and per-frame arrays needed for pooling)."""

    name: str
    attributes: tuple
    success: np.ndarray
    precision: np.ndarray
    norm_precision: np.ndarray
    got_ious: np.ndarray
    lt_overlaps: np.ndarray
    confidences: np.ndarray
    visible: np.ndarray
    reacq: List[M.AbsenceEvent]
    num_frames: int
    seconds: Optional[float]


def score_sequence(sequence: Sequence, boxes: np.ndarray, confidences: Optional[np.ndarray],
                   seconds: Optional[np.ndarray]) -> SequenceScore:
    """Figures of one sequence from the tracker's boxes (N, 4), confidences (N,) (None: the
    tracker always reports, confidence 1) and per-frame seconds (N,) or None."""
    gt = sequence.boxes_xywh
    n = len(sequence)
    if boxes.shape != (n, 4):
        raise InvalidInputError(f"sequence {sequence.name}: {boxes.shape[0]} result lines, ground truth has {n}")
    if confidences is None:
        confidences = np.ones(n)
    elif confidences.shape != (n,):
        raise InvalidInputError(f"sequence {sequence.name}: {confidences.shape[0]} confidences for {n} frames")
    # Frame 0 is the initialisation: it is left out of the long-term figures.
    return SequenceScore(
        name=sequence.name, attributes=tuple(sequence.attributes),
        success=M.success_curve(gt, boxes), precision=M.precision_curve(gt, boxes),
        norm_precision=M.normalized_precision_curve(gt, boxes),
        got_ious=M.got10k_sequence_ious(gt, boxes, sequence.visible),
        lt_overlaps=M.long_term_overlaps(gt, boxes, sequence.visible)[1:], confidences=np.asarray(confidences, dtype=np.float64)[1:],
        visible=sequence.visible[1:],
        reacq=[e for e in M.reacquisition_events(gt, boxes, sequence.visible) if e.out_of_view],
        num_frames=n,
        seconds=None if seconds is None or seconds.shape != (n,) else float(np.nansum(seconds)))


def aggregate(scores: SequenceType[SequenceScore]) -> dict:
    """Pooled figures (the ``Scores`` object of the JSON schema) plus curves under ``_curves``."""
    if not scores:
        return {"num_sequences": 0}
    success = np.mean([s.success for s in scores], axis=0)
    precision = np.mean([s.precision for s in scores], axis=0)
    norm = np.mean([s.norm_precision for s in scores], axis=0)
    got = M.got10k_scores([s.got_ious for s in scores])
    lt = M.long_term_curves([s.lt_overlaps for s in scores], [s.confidences for s in scores],
                            [s.visible for s in scores])
    events = [e for s in scores for e in s.reacq]
    delays = [e.delay for e in events if e.recovered]
    timed = [s for s in scores if s.seconds]
    fps = sum(s.num_frames for s in timed) / sum(s.seconds for s in timed) if timed else None
    return {
        "num_sequences": len(scores),
        "num_frames": int(sum(s.num_frames for s in scores)),
        "success_auc": M.success_auc(success),
        "precision_20px": M.curve_value_at(precision, M.PRECISION_THRESHOLDS_PX, M.PRECISION_AT_PX),
        "norm_precision_0.2": M.curve_value_at(norm, M.NORM_PRECISION_THRESHOLDS, M.NORM_PRECISION_AT),
        "ao": got.ao, "sr50": got.sr50, "sr75": got.sr75,
        "lt_precision": lt.precision_at_best, "lt_recall": lt.recall_at_best, "lt_f": lt.f_score,
        "lt_threshold": lt.best_threshold,
        "reacq_events": len(events), "reacq_recovered": len(delays),
        "reacq_mean_delay": float(np.mean(delays)) if delays else None,
        "fps": fps,
        "_curves": {"success": success, "precision": precision, "norm_precision": norm,
                    "lt_thresholds": lt.thresholds, "lt_precision": lt.precision,
                    "lt_recall": lt.recall, "lt_f": lt.f},
    }


def find_tracker_dirs(results: os.PathLike, dataset: str, sequence_names: SequenceType[str]) -> Dict[str, Path]:
    """Tracker result folders under ``results`` (itself, ``results/<dataset>`` or sub-folders)."""
    root = Path(results)
    if not root.is_dir():
        raise InvalidInputError(f"results folder {root} does not exist")
    if (root / dataset).is_dir():
        root = root / dataset

    def holds_results(d: Path) -> bool:
        return any((d / f"{s}.txt").is_file() or vot_result_path(d, s).is_file() for s in sequence_names)

    if holds_results(root):
        return {root.name: root}
    found = {d.name: d for d in sorted(root.iterdir()) if d.is_dir() and holds_results(d)}
    if not found:
        raise InvalidInputError(f"no result files for any {dataset} sequence in {root} or its sub-folders")
    return found


def _vot_scores(sequences: SequenceType[Sequence], folder: Path, dataset: str) -> Optional[dict]:
    from .vot_protocol import (EAO_RANGES, SupervisedRun, accuracy_robustness,
                               expected_average_overlap, frame_overlap, FRAME_TRACKED)

    runs = []
    for seq in sequences:
        path = vot_result_path(folder, seq.name)
        if not path.is_file():
            continue
        codes, boxes = read_vot_result(path)
        if len(codes) != len(seq):
            raise InvalidInputError(f"{path}: {len(codes)} lines, ground truth has {len(seq)}")
        overlaps = np.full(len(seq), np.nan)
        height, width = seq.frames[0].shape[:2]
        for t in np.nonzero(codes == FRAME_TRACKED)[0]:
            overlaps[t] = frame_overlap(seq, int(t), boxes[t], (width, height))
        runs.append(SupervisedRun(seq.name, codes, boxes, overlaps))
    if not runs:
        return None
    ar = accuracy_robustness(runs)
    low, high = EAO_RANGES.get(dataset.upper(), (None, None))
    return {"accuracy": ar.accuracy, "failures": ar.failures, "robustness": ar.robustness,
            "eao": expected_average_overlap(runs, low, high), "num_frames": ar.num_frames}


def build_report(dataset: str, sequences: SequenceType[Sequence], results: os.PathLike,
                 root: Optional[str] = None) -> dict:
    """The report dictionary (JSON schema in the module docstring, plus ``_curves`` entries)."""
    usable, excluded = [], []
    for seq in sequences:
        (usable if M.valid_boxes(seq.boxes_xywh)[1:].sum() > 0 else excluded).append(seq)
    if not usable:
        raise InvalidInputError(f"dataset {dataset}: no sequence has ground truth after frame 0 "
                                f"(test split?); nothing to score")
    report = {"schema": SCHEMA, "dataset": dataset, "root": root, "results": str(results),
              "thresholds": {"success_iou": M.OTB_IOU_THRESHOLDS.tolist(),
                             "precision_px": M.PRECISION_THRESHOLDS_PX.tolist(),
                             "norm_precision": M.NORM_PRECISION_THRESHOLDS.tolist()},
              "excluded_sequences": [s.name for s in excluded], "trackers": {}}
    for name, folder in find_tracker_dirs(results, dataset, [s.name for s in usable]).items():
        scores, missing, has_conf = [], [], True
        for seq in usable:
            box_file = folder / f"{seq.name}.txt"
            if not box_file.is_file():
                missing.append(seq.name)
                continue
            conf = read_values(folder / f"{seq.name}{CONFIDENCE_SUFFIX}")
            has_conf &= conf is not None
            seconds = read_values(folder / f"{seq.name}{TIME_SUFFIX}")
            scores.append(score_sequence(seq, read_boxes(box_file), conf, seconds))
        entry = {"path": str(folder), "missing_sequences": missing, "has_confidence": bool(has_conf and scores)}
        if scores:
            overall = aggregate(scores)
            entry["_curves"] = overall.pop("_curves")
            entry["overall"] = overall
            attributes = sorted({a for s in scores for a in s.attributes})
            entry["per_attribute"] = {}
            for attribute in attributes:
                pooled = aggregate([s for s in scores if attribute in s.attributes])
                pooled.pop("_curves")
                entry["per_attribute"][attribute] = pooled
            entry["per_sequence"] = {}
            for s in scores:
                single = aggregate([s])
                single.pop("_curves")
                entry["per_sequence"][s.name] = single
        entry["vot"] = _vot_scores(usable, folder, dataset)
        if not scores:
            if entry["vot"] is None:
                continue
            entry["missing_sequences"] = []   # VOT-protocol results only
        report["trackers"][name] = entry
    return report


# --------------------------------------------------------------------------- output

def _json_ready(value):
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_ready(value.tolist())
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def report_json(report: dict) -> dict:
    """The JSON document: curves moved under ``curves``, NaN/inf as null."""
    out = _json_ready(report)
    for name, entry in report["trackers"].items():
        if "_curves" in entry:
            out["trackers"][name]["curves"] = _json_ready(entry["_curves"])
    return out


def write_json(report: dict, path: os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report_json(report), indent=2, allow_nan=False) + "\n")
    return path


def _num(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}"


def _reacq(scores: dict) -> str:
    if not scores.get("reacq_events"):
        return "-"
    delay = scores["reacq_mean_delay"]
    return f"{_num(delay, 1)} ({scores['reacq_recovered']}/{scores['reacq_events']})"


def render_markdown(report: dict) -> str:
    """Markdown: overall table, per-attribute table, VOT table (when present)."""
    trackers = report["trackers"]
    order = sorted((n for n in trackers if "overall" in trackers[n]),
                   key=lambda n: -trackers[n]["overall"]["success_auc"])
    show_reacq = any(trackers[n]["overall"].get("reacq_events") for n in order)
    lines = [f"### {report['dataset']}: overall ({len(order)} tracker(s))", ""]
    header = ["Tracker", "Seqs", "AUC", "P@20px", "NP@0.2", "AO", "SR0.5", "SR0.75", "LT Pr", "LT Re", "LT F"]
    if show_reacq:
        header.append("Re-acq delay (rec/ev)")
    header.append("FPS")
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in order:
        s = trackers[name]["overall"]
        row = [name, str(s["num_sequences"]), _num(s["success_auc"]), _num(s["precision_20px"]),
               _num(s["norm_precision_0.2"]), _num(s["ao"]), _num(s["sr50"]), _num(s["sr75"]),
               _num(s["lt_precision"]), _num(s["lt_recall"]), _num(s["lt_f"])]
        if show_reacq:
            row.append(_reacq(s))
        row.append(_num(s["fps"], 1))
        lines.append("| " + " | ".join(row) + " |")
    attributes = sorted({a for n in order for a in trackers[n].get("per_attribute", {})})
    if attributes:
        lines += ["", f"### {report['dataset']}: per attribute", ""]
        header = ["Attribute", "Tracker", "Seqs", "AUC", "P@20px", "NP@0.2", "AO", "SR0.5", "SR0.75", "LT F"]
        if show_reacq:
            header.append("Re-acq delay (rec/ev)")
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for attribute in attributes:
            for name in order:
                s = trackers[name]["per_attribute"].get(attribute)
                if not s:
                    continue
                row = [attribute, name, str(s["num_sequences"]), _num(s["success_auc"]), _num(s["precision_20px"]),
                       _num(s["norm_precision_0.2"]), _num(s["ao"]), _num(s["sr50"]), _num(s["sr75"]), _num(s["lt_f"])]
                if show_reacq:
                    row.append(_reacq(s))
                lines.append("| " + " | ".join(row) + " |")
    vot = {n: e["vot"] for n, e in trackers.items() if e.get("vot")}
    if vot:
        lines += ["", f"### {report['dataset']}: VOT reset protocol", "",
                  "| Tracker | Accuracy | Failures | Robustness (PySOT) | EAO |", "|---|---|---|---|---|"]
        for name, v in sorted(vot.items(), key=lambda kv: -np.nan_to_num(kv[1]["eao"])):
            lines.append(f"| {name} | {_num(v['accuracy'])} | {v['failures']} | {_num(v['robustness'], 2)} | {_num(v['eao'])} |")
    notes = []
    for name, entry in trackers.items():
        if entry["missing_sequences"]:
            notes.append(f"- {name}: {len(entry['missing_sequences'])} sequence(s) without results "
                         f"({', '.join(entry['missing_sequences'][:5])}{' ...' if len(entry['missing_sequences']) > 5 else ''})")
    if report["excluded_sequences"]:
        notes.append(f"- {len(report['excluded_sequences'])} sequence(s) without ground truth after frame 0 left out")
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def write_plots(report: dict, plots_dir: os.PathLike) -> List[Path]:
    """success.png, precision.png and norm_precision.png of the overall curves."""
    from .plots import plot_curves

    trackers = {n: e for n, e in report["trackers"].items() if "_curves" in e}
    if not trackers:
        return []
    plots_dir = Path(plots_dir)
    name = report["dataset"]
    return [
        plot_curves({n: (e["_curves"]["success"], e["overall"]["success_auc"]) for n, e in trackers.items()},
                    M.OTB_IOU_THRESHOLDS, plots_dir / f"{name}_success.png",
                    f"Success plot of OPE on {name}", "Overlap threshold", "Success rate"),
        plot_curves({n: (e["_curves"]["precision"], e["overall"]["precision_20px"]) for n, e in trackers.items()},
                    M.PRECISION_THRESHOLDS_PX, plots_dir / f"{name}_precision.png",
                    f"Precision plot of OPE on {name}", "Location error threshold (px)", "Precision"),
        plot_curves({n: (e["_curves"]["norm_precision"], e["overall"]["norm_precision_0.2"]) for n, e in trackers.items()},
                    M.NORM_PRECISION_THRESHOLDS, plots_dir / f"{name}_norm_precision.png",
                    f"Normalized precision plot of OPE on {name}", "Normalized location error threshold",
                    "Normalized precision"),
    ]

