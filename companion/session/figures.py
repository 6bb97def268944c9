"""Onset error figures: how far from its planned moment each cue reached the motor."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol


class _Planned(Protocol):
    @property
    def cue_id(self) -> int: ...
    @property
    def t(self) -> float: ...


class _Executed(Protocol):
    @property
    def cue_id(self) -> int: ...
    @property
    def t(self) -> float: ...
    @property
    def device(self) -> str: ...


@dataclass(frozen=True, slots=True)
class OnsetFigures:
    """Absolute onset errors in milliseconds over every (cue, device) pair executed.

    Where no device reports what it played (a host-timed band), everything but `planned`
    is None: "not reported", never "none played".
    """

    planned: int
    executed: int | None
    lost: int | None
    p50: float | None
    p99: float | None
    max: float | None

    @property
    def reported(self) -> bool:
        return self.executed is not None

    def as_dict(self) -> dict[str, float | None] | None:
        """The `onset_error_ms` of the trace summary and of `session_ended`: null where no
        device reports what it played (each figure null where no cue was measured)."""
        if not self.reported:
            return None
        return {"p50": self.p50, "p99": self.p99, "max": self.max}

    def felt(self) -> str:
        """`23 of 25` or `not reported`, for a person."""
        if self.executed is None:
            return "not reported"
        return f"{self.executed} of {self.planned}"

    def errors(self) -> str:
        """`p50 0.1 ms, p99 0.3 ms, max 0.4 ms` or `not reported`."""
        if self.p50 is None or self.p99 is None or self.max is None:
            return "not reported"
        return f"p50 {self.p50:.1f} ms, p99 {self.p99:.1f} ms, max {self.max:.1f} ms"


def unreported(planned: int) -> OnsetFigures:
    """The figures of a session on devices that do not report what they played."""
    return OnsetFigures(planned=planned, executed=None, lost=None, p50=None, p99=None, max=None)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def onset_errors_ms(
    planned: Iterable[_Planned], executed: Iterable[_Executed]
) -> dict[str, dict[int, float]]:
    """Per device, per planned cue: the absolute error of the execution nearest its plan.

    A cue re-anchored by a pause can be executed twice (once just before the pause took
    effect on the device); the execution nearest the plan is the one that counts.
    """
    plan = {cue.cue_id: cue.t for cue in planned}
    errors: dict[str, dict[int, float]] = {}
    for run in executed:
        if run.cue_id not in plan:
            continue
        error = abs(run.t - plan[run.cue_id]) * 1000.0
        per_device = errors.setdefault(run.device, {})
        if run.cue_id not in per_device or error < per_device[run.cue_id]:
            per_device[run.cue_id] = error
    return errors


def onset_figures(
    planned: Sequence[_Planned], executed: Iterable[_Executed], devices: int | None = None
) -> OnsetFigures:
    """Figures over all devices; a cue counts as executed when every device played it."""
    errors = onset_errors_ms(planned, executed)
    all_errors = [e for per_device in errors.values() for e in per_device.values()]
    count = devices if devices is not None else max(1, len(errors))
    played_everywhere = sum(
        1
        for cue in planned
        if sum(cue.cue_id in per_device for per_device in errors.values()) >= count
    )
    # No cue measured: no error figure either (a 0.0 would read as perfect timing).
    measured = bool(all_errors)
    return OnsetFigures(
        planned=len(planned),
        executed=played_everywhere,
        lost=len(planned) - played_everywhere,
        p50=round(percentile(all_errors, 50), 3) if measured else None,
        p99=round(percentile(all_errors, 99), 3) if measured else None,
        max=round(max(all_errors), 3) if measured else None,
    )


def first_in_windows(
    planned: Sequence[_Planned], times: Iterable[float], early_s: float = 0.1
) -> dict[int, float]:
    """Per planned cue, the first of `times` in its window, from `early_s` before its moment
    to `early_s` before the next cue's.

    A device told only "buzz now" cannot say which cue it played; with the plan in hand, the
    first buzz in a cue's window is that cue's onset as the motor felt it (later ones in the
    window are the rest of its pattern). A cue with nothing in its window was lost.
    """
    cues = sorted(planned, key=lambda cue: cue.t)
    moments = sorted(times)
    onsets: dict[int, float] = {}
    index = 0
    for number, cue in enumerate(cues):
        start = cue.t - early_s
        end = cues[number + 1].t - early_s if number + 1 < len(cues) else math.inf
        while index < len(moments) and moments[index] < start:
            index += 1
        if index < len(moments) and moments[index] < end:
            onsets[cue.cue_id] = moments[index]
    return onsets
