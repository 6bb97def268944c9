"""The session trace (a public contract, README): JSON Lines of planned and executed cues.

The trace is written after the session, never from the cue path: a disk that stalls must
not delay a tap. Lines are in time order; `executed` lines carry the device they came from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from companion.errors import HubError
from companion.session.engine import ExecutedCue, PlannedCue, SessionResult
from companion.session.figures import OnsetFigures, onset_figures


def trace_lines(
    planned: Iterable[PlannedCue], executed: Iterable[ExecutedCue]
) -> Iterator[dict[str, Any]]:
    rows: list[tuple[float, dict[str, Any]]] = [
        (p.t, {"kind": "planned", "cue_id": p.cue_id, "cue": p.cue, "step": p.step, "t": p.t})
        for p in planned
    ]
    for e in executed:
        row = {"kind": "executed", "cue_id": e.cue_id, "cue": e.cue, "t": e.t, "device": e.device}
        if e.meant is not None:
            row["meant"] = e.meant
        rows.append((e.t, row))
    rows.sort(key=lambda row: row[0])
    for _, row in rows:
        yield row


def write_trace(path: Path, result: SessionResult) -> None:
    try:
        with path.open("w", encoding="utf-8") as out:
            for row in trace_lines(result.planned, result.executed):
                out.write(json.dumps(row, separators=(", ", ": ")) + "\n")
    except OSError as exc:
        raise HubError(f"cannot write the trace to {path}: {exc.strerror or exc}") from exc


def read_trace(path: Path) -> tuple[list[PlannedCue], list[ExecutedCue]]:
    """Read a trace back (for benchmarks and checks); raises HubError on a bad line."""
    planned: list[PlannedCue] = []
    executed: list[ExecutedCue] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                row = json.loads(line)
                if row["kind"] == "planned":
                    planned.append(PlannedCue(row["cue_id"], row["cue"], row["step"], row["t"]))
                elif row["kind"] == "executed":
                    executed.append(
                        ExecutedCue(
                            row["cue_id"],
                            row["cue"],
                            row["t"],
                            row.get("device", ""),
                            row.get("meant"),
                        )
                    )
            except (ValueError, KeyError, TypeError) as exc:
                raise HubError(f"{path}:{number}: not a trace line ({exc})") from exc
    return planned, executed


def summary(result: SessionResult) -> dict[str, Any]:
    """The `--json` summary object (README, "Session trace").

    `cues_executed` and `onset_error_ms` are null where no device reports what it played;
    `timing` says how the cues reached the skin (device-timed, host-timed, mixed).
    `onset_source` says what the figures were measured on.
    """
    figures = result.figures
    return {
        "status": result.status.value,
        "routine": result.routine,
        "cues_planned": figures.planned,
        "cues_executed": figures.executed,
        "onset_error_ms": figures.as_dict(),
        "timing": result.timing,
        "onset_source": result.onset_source if figures.reported else None,
    }


def figures_from_trace(
    planned: Sequence[PlannedCue], executed: Sequence[ExecutedCue]
) -> OnsetFigures:
    devices = len({e.device for e in executed}) or None
    return onset_figures(planned, executed, devices)
