"""Onset errors from traces: the hub's planned moments joined with the motor's real starts.

Every figure comes from where the cue really started: the simulator's motor, on the host's
monotonic clock (the simulator's own trace when it runs as its own process). Never from a
wearable's reports converted by the hub, which pass through the hub's clock estimate and
so hide its error. Each onset error splits into clock sync (`meant`, the wearable's own
deadline in host time, minus the plan) and the motor (its start minus `meant`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from companion.session.figures import first_in_windows


@dataclass(frozen=True)
class Onset:
    device: str
    cue_id: int
    planned: float  # host seconds
    error_ms: float  # motor start minus plan
    sync_ms: float | None  # the device's deadline minus plan
    motor_ms: float | None  # motor start minus the device's deadline


def read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def onsets(
    planned_lines: Iterable[dict[str, Any]], executed_lines: Iterable[dict[str, Any]]
) -> list[Onset]:
    """Per device and planned cue, the execution nearest its plan (a cue re-anchored by a
    pause may run twice; the nearest is the one that counts)."""
    planned = [line for line in planned_lines if line["kind"] == "planned"]
    plan = {line["cue_id"]: line["t"] for line in planned}
    best: dict[tuple[str, int], Onset] = {}
    for line in _named(planned, executed_lines):
        if line.get("kind") != "executed" or line["cue_id"] not in plan:
            continue
        planned = plan[line["cue_id"]]
        meant = line.get("meant")
        onset = Onset(
            device=line.get("device", ""),
            cue_id=line["cue_id"],
            planned=planned,
            error_ms=(line["t"] - planned) * 1000,
            sync_ms=(meant - planned) * 1000 if meant is not None else None,
            motor_ms=(line["t"] - meant) * 1000 if meant is not None else None,
        )
        key = (onset.device, onset.cue_id)
        if key not in best or abs(onset.error_ms) < abs(best[key].error_ms):
            best[key] = onset
    return sorted(best.values(), key=lambda o: (o.device, o.planned))


def _named(
    planned: Sequence[dict[str, Any]], executed_lines: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Executed lines, each with its cue: a band's buzzes (cue id null: it knows no cues)
    are matched against the plan, the first buzz in each cue's window being its onset."""
    named: list[dict[str, Any]] = []
    buzzes: dict[str, list[float]] = {}
    for line in executed_lines:
        if line.get("kind") != "executed":
            continue
        if line.get("cue_id") is None:
            buzzes.setdefault(line.get("device", ""), []).append(line["t"])
        else:
            named.append(line)
    cues = [_Planned(line["cue_id"], line["t"]) for line in planned]
    for device, times in buzzes.items():
        named += [
            {"kind": "executed", "cue_id": cue_id, "t": t, "device": device}
            for cue_id, t in first_in_windows(cues, times).items()
        ]
    return named


@dataclass(frozen=True)
class _Planned:
    cue_id: int
    t: float


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; with 25 values p99 is their maximum."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def figures(values: Iterable[float]) -> dict[str, float | int | None]:
    magnitudes = [abs(v) for v in values]
    if not magnitudes:
        return {"cues": 0, "p50": None, "p99": None, "max": None}
    return {
        "cues": len(magnitudes),
        "p50": round(percentile(magnitudes, 50), 3),
        "p99": round(percentile(magnitudes, 99), 3),
        "max": round(max(magnitudes), 3),
    }


def summarise(found: Sequence[Onset], planned: int) -> dict[str, Any]:
    """Pooled and per-device figures, with the sync and motor parts and lost cues.

    `planned` is how many (cue, device) executions were planned in all.
    """
    devices = sorted({o.device for o in found})
    per_device = {
        device: {
            "onset_error_ms": figures(o.error_ms for o in found if o.device == device),
            "sync_error_ms": figures(
                o.sync_ms for o in found if o.device == device and o.sync_ms is not None
            ),
            "motor_late_ms": figures(
                o.motor_ms for o in found if o.device == device and o.motor_ms is not None
            ),
        }
        for device in devices
    }
    return {
        "onset_error_ms": figures(o.error_ms for o in found),
        "sync_error_ms": figures(o.sync_ms for o in found if o.sync_ms is not None),
        "motor_late_ms": figures(o.motor_ms for o in found if o.motor_ms is not None),
        "lost": planned - len(found),
        "worst_device_p99_ms": max(
            (d["onset_error_ms"]["p99"] or 0.0 for d in per_device.values()), default=None
        ),
        "devices": per_device,
    }


# A ping costs three packets: the write, its response, the pong.
PACKETS_PER_PING = 3


def messages_per_minute(trace_lines: Iterable[dict[str, Any]]) -> dict[str, float | None] | None:
    """Packets each way per connected minute, from the simulator's `link` lines, and the
    pings among them (its `messages` lines: what native wearables received, by type)."""
    lines = list(trace_lines)
    links = [line for line in lines if line.get("kind") == "link"]
    if not links:
        return None
    minutes = sum(line["t"] - line["since"] for line in links) / 60
    if minutes <= 0:
        return None
    to_device = sum(line["to_device"] for line in links) / minutes
    from_device = sum(line["from_device"] for line in links) / minutes
    counted = [line["received"] for line in lines if line.get("kind") == "messages"]
    pings = sum(r.get("TimeSyncPing", 0) for r in counted) / minutes if counted else None
    return {
        "to_device": round(to_device, 1),
        "from_device": round(from_device, 1),
        "total": round(to_device + from_device, 1),
        "pings": round(pings, 1) if pings is not None else None,
        "ping_packets": round(PACKETS_PER_PING * pings, 1) if pings is not None else None,
    }
