"""/diagnostics for the node: a typed snapshot of its health → diagnostic_msgs/DiagnosticArray."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from std_msgs.msg import Header

from ..core.runtime_stats import Summary
from ..core.types import TrackState


@dataclass(frozen=True)
class HealthSnapshot:
    """What the node reports once per diagnostics period. Rates in Hz, times in ms, memory in MiB
    (``gpu_memory_mib`` None on CPU)."""

    state: TrackState
    enabled: bool
    target_id: str
    device: str
    model_name: str
    input_rate_hz: float
    processed_rate_hz: float
    latency_ms: Summary
    stamp_age_ms: Summary
    frames_received: int
    frames_processed: int
    dropped_busy: int
    dropped_stale: int
    dropped_bad: int
    seconds_since_last_image: float   # inf before the first image
    gpu_memory_mib: Optional[float]
    last_error: str
    backend: str = "torch"


def _fmt(value: float, digits: int = 1) -> str:
    return "nan" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def health_level(snap: HealthSnapshot, stale_input_s: float = 2.0) -> tuple:
    """(level byte, message): WARN while the target is lost/searching or images stopped while
    a target is set; ERROR never (the node keeps running by design)."""
    if not snap.enabled:
        return DiagnosticStatus.OK, "disabled (model unloaded)"
    if snap.state != TrackState.IDLE and snap.seconds_since_last_image > stale_input_s:
        return DiagnosticStatus.WARN, f"no image for {snap.seconds_since_last_image:.1f} s"
    if snap.state in (TrackState.LOST, TrackState.SEARCHING):
        return DiagnosticStatus.WARN, f"target {snap.state.name.lower()}"
    return DiagnosticStatus.OK, snap.state.name.lower()


def diagnostics_message(snap: HealthSnapshot, header: Header, node_name: str) -> DiagnosticArray:
    """One DiagnosticStatus named ``<node_name>: tracker`` with every figure as a KeyValue."""
    level, message = health_level(snap)
    values: List[KeyValue] = [KeyValue(key=k, value=v) for k, v in (
        ("state", snap.state.name),
        ("enabled", str(snap.enabled).lower()),
        ("target_id", snap.target_id),
        ("device", snap.device),
        ("backend", snap.backend),
        ("model", snap.model_name),
        ("input_rate_hz", _fmt(snap.input_rate_hz)),
        ("processed_rate_hz", _fmt(snap.processed_rate_hz)),
        ("latency_ms_mean", _fmt(snap.latency_ms.mean)),
        ("latency_ms_p95", _fmt(snap.latency_ms.p95)),
        ("latency_ms_max", _fmt(snap.latency_ms.max)),
        ("stamp_age_ms_mean", _fmt(snap.stamp_age_ms.mean)),
        ("stamp_age_ms_max", _fmt(snap.stamp_age_ms.max)),
        ("frames_received", str(snap.frames_received)),
        ("frames_processed", str(snap.frames_processed)),
        ("frames_dropped_busy", str(snap.dropped_busy)),
        ("frames_dropped_stale", str(snap.dropped_stale)),
        ("frames_dropped_bad_input", str(snap.dropped_bad)),
        ("seconds_since_last_image", _fmt(snap.seconds_since_last_image, 2)),
        ("gpu_memory_mib", "n/a" if snap.gpu_memory_mib is None else _fmt(snap.gpu_memory_mib)),
        ("last_error", snap.last_error),
    )]
    status = DiagnosticStatus(level=level, name=f"{node_name}: tracker", message=message,
                              hardware_id=snap.device, values=values)
    return DiagnosticArray(header=header, status=[status])
