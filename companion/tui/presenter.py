"""Display values from hub state: pure functions, no Textual, so they are tested on their own.

The session view is computed from the engine's view (`phase_started`, `phase_ends`, `ends_at`
on the hub's monotonic clock) and a `now` read from the same clock. The breath indicator is
therefore where the wearable's taps are, not a free-running animation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from companion.devices.capabilities import Capabilities
from companion.plurals import count_of
from companion.session.engine import ENDED_STATES, SessionResult, SessionState, SessionView
from companion.session.outcome import outcome_words
from companion.state import DeviceState, HubSnapshot
from routines import CuePlan, Routine, format_clock

PHASE_WORDS = {"inhale": "Breathe in", "exhale": "Breathe out", "hold": "Hold"}
# Below this round-trip time the clock sync is tight enough that the wearable's taps land
# within a few milliseconds of plan; above the second, expect visible lag on "immediate".
GOOD_RTT_MS = 30.0
FAIR_RTT_MS = 80.0


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def breath_level(phase: str, fraction: float, rest_level: float) -> float:
    """The indicator's size, 0 (empty lungs) to 1 (full), for a point in a phase.

    Inhale grows and exhale shrinks along a half cosine (slow at the turns, as breathing is);
    a hold, or anything that is not a breath, rests where the indicator was.
    """
    eased = (1.0 - math.cos(math.pi * clamp(fraction))) / 2.0
    if phase == "inhale":
        return eased
    if phase == "exhale":
        return 1.0 - eased
    return clamp(rest_level)


def phase_fraction(view: SessionView, now: float) -> float:
    """How far into the current cue we are, 0 to 1."""
    span = view.phase_ends - view.phase_started
    if span <= 0:
        return 1.0
    return clamp((now - view.phase_started) / span)


@dataclass(frozen=True, slots=True)
class SessionDisplay:
    """Everything the session view shows at one moment."""

    state: str
    routine_title: str
    step_label: str
    title: str
    instruction: str
    side: str | None
    phase: str
    phase_word: str
    cue_text: str
    seconds_left: float | None
    level: float
    progress: float
    remaining_s: float | None
    next_label: str
    device_line: str


def present_session(
    view: SessionView,
    plan: CuePlan,
    snapshot: HubSnapshot,
    now: float,
    *,
    rest_level: float = 0.0,
    cue_text: str = "",
    breathed_in_step: bool = False,
) -> SessionDisplay:
    """The session view's values. `cue_text` is the last breath cue's words (from the bus);
    `breathed_in_step` says whether a breath cue already came in this exercise (a cue-less
    pause inside an exercise is then a side switch, not the move into position)."""
    state = view.state
    step = plan.steps[view.step_index] if 0 <= view.step_index < len(plan.steps) else None
    remaining = max(0.0, view.ends_at - now) if view.ends_at is not None else None
    progress = 1.0 if state in (SessionState.COMPLETED, SessionState.PARTIAL) else 0.0
    if remaining is not None and plan.duration_s > 0:
        progress = clamp(1.0 - remaining / plan.duration_s)
    seconds_left: float | None = max(0.0, view.phase_ends - now)
    level = rest_level
    phase = view.phase
    title = step.title if step else plan.routine_title
    instruction = step.instructions if step else plan_summary_line(plan)
    text = cue_text if phase != "none" else ""

    if state is SessionState.PAUSED:
        word = f"Paused: {view.paused_reason}" if view.paused_reason != "paused" else "Paused"
        seconds_left = None
    elif state is SessionState.COUNTDOWN:
        word = "Get ready"
        first = plan.steps[0].start_s if plan.steps else 0.0
        if view.ends_at is not None:
            seconds_left = max(0.0, view.ends_at - plan.duration_s + first - now)
        level = 0.0
        text = plan.steps[0].setup if plan.steps else ""
    elif state in ENDED_STATES:
        word = (
            "Well done"
            if state in (SessionState.COMPLETED, SessionState.PARTIAL)
            else state.value.capitalize()
        )
        seconds_left = None
        level = 0.0
    elif phase in PHASE_WORDS:
        word = PHASE_WORDS[phase]
        level = breath_level(phase, phase_fraction(view, now), rest_level)
    elif breathed_in_step and view.side:
        word = f"Switch to the {view.side} side"
    else:
        word = "Get into position"
        text = step.setup if step else ""
        level = 0.0

    step_label, next_label = _step_labels(plan, view.step_index, state)
    return SessionDisplay(
        state=state.value,
        routine_title=plan.routine_title,
        step_label=step_label,
        title=title,
        instruction=" ".join(instruction.split()),
        side=view.side if phase != "none" or state is SessionState.RUNNING else None,
        phase=phase,
        phase_word=word,
        cue_text=text,
        seconds_left=seconds_left,
        level=level,
        progress=progress,
        remaining_s=remaining,
        next_label=next_label,
        device_line=device_line(snapshot),
    )


def _step_labels(plan: CuePlan, step_index: int, state: SessionState) -> tuple[str, str]:
    """'Exercise 2 of 4' and 'Next: Belly lift'."""
    count = len(plan.steps)
    if 0 <= step_index < count:
        label = f"Exercise {step_index + 1} of {count}"
        following = step_index + 1
    else:
        label = f"{count} exercise{'s' if count != 1 else ''}"
        following = 0
    if following < count:
        return label, f"Next: {plan.steps[following].title}"
    if state in (SessionState.COMPLETED, SessionState.PARTIAL):
        return label, "That was the last exercise"
    return label, "Last exercise"


def plan_summary_line(plan: CuePlan) -> str:
    titles = ", ".join(step.title for step in plan.steps)
    return f"{titles}, at {plan.pace_bpm:g} breaths per minute."


def screen_only_line(bell: bool) -> str:
    """The session view's line where the wearable would be, for a screen-only session."""
    ring = "the bell rings on each cue" if bell else "no bell"
    return f"Screen only: no wearable, follow the indicator ({ring}; b: bell on/off)"


def device_line(snapshot: HubSnapshot) -> str:
    """One line about the wearables, and what a drop means for the session."""
    if not snapshot.devices:
        return "No wearable connected: enter starts on the screen alone; d, then s to scan"
    parts = [_device_words(device) for device in snapshot.devices]
    line = "; ".join(parts)
    connected = any(device.connected for device in snapshot.devices)
    if snapshot.session == "paused" and snapshot.paused_reason and not connected:
        line += f"; session paused ({snapshot.paused_reason}), it resumes when one is back"
    elif snapshot.session in ("countdown", "running") and not connected:
        line += "; the session goes on: the wearable plays the cues it already holds"
    return line


def _device_words(device: DeviceState) -> str:
    name = device.name or device.id
    if device.connected:
        battery = f", battery {device.battery}%" if device.battery is not None else ""
        return f"{name} connected{battery}"
    if device.state == "reconnecting":
        return f"{name} reconnecting…"
    if device.state == "connecting":
        return f"{name} connecting…"
    return f"{name} not connected"


@dataclass(frozen=True, slots=True)
class DeviceRow:
    name: str
    address: str
    state: str
    battery: str
    signal: str
    profile: str
    clock_sync: str
    # One line on what the device can do, shown for the selected row.
    detail: str


def capability_words(name: str, profile: str, capabilities: Capabilities | None) -> str:
    """`Band (ias): host-timed, cues not reported, battery; 35 ms pulses, on/off`."""
    if capabilities is None:
        return f"{name} ({profile}): capabilities not known yet"
    low, high = capabilities.pulse_ms
    pulses = f"{low} ms pulses" if low == high else f"pulses {low} to {high} ms"
    levels = capabilities.intensity_levels
    strength = "on/off" if levels <= 1 else f"{levels} intensity levels"
    return f"{name} ({profile}): {capabilities.describe()}; {pulses}, {strength}"


def device_row(device: DeviceState) -> DeviceRow:
    state = {
        "ready": "connected",
        "reconnecting": "reconnecting…",
        "connecting": "connecting…",
        "closed": "not connected",
    }.get(device.state, device.state or ("connected" if device.connected else "not connected"))
    return DeviceRow(
        name=device.name or "?",
        address=device.id,
        state=state,
        battery=f"{device.battery}%" if device.battery is not None else "—",
        signal=f"{device.rssi} dBm" if device.rssi is not None else "—",
        profile=device.profile,
        clock_sync=clock_sync_words(device.clock_rtt_ms, device.clock_drift_ppm),
        detail=capability_words(device.name or device.id, device.profile, device.capabilities),
    )


def clock_sync_words(rtt_ms: float | None, drift_ppm: float | None) -> str:
    if rtt_ms is None:
        return "not synced"
    grade = "good" if rtt_ms <= GOOD_RTT_MS else "fair" if rtt_ms <= FAIR_RTT_MS else "poor"
    drift = f" {drift_ppm:+.0f}ppm" if drift_ppm is not None else ""
    return f"{grade} {rtt_ms:.1f}ms{drift}"


@dataclass(frozen=True, slots=True)
class RoutineRow:
    id: str
    title: str
    length: str
    exercises: int


def routine_row(routine: Routine, duration_s: float) -> RoutineRow:
    return RoutineRow(routine.id, routine.title, format_clock(duration_s), len(routine.exercises))


def pace_words(pace: float, source: str, own: float) -> str:
    """The pace a start would use and which setting gives it (see `Hub.pace_for`)."""
    if source == "all":
        return f"{pace:g} breaths per minute, set for every routine (this one's own: {own:g})"
    if source == "routine":
        return f"{pace:g} breaths per minute, set for this routine (its own: {own:g})"
    return f"{pace:g} breaths per minute, the routine's own"


def exercise_timing(plan: CuePlan) -> dict[str, str]:
    """Per exercise id in the plan: its length and rounds, e.g. '0:14 · 2 rounds'."""
    words: dict[str, str] = {}
    for step in plan.steps:
        rounds = count_of(step.rounds, "round")
        sides = {"alternating": ", both sides in turn", "one_then_other": ", each side"}.get(
            step.sides.value, ""
        )
        words[step.id] = f"{format_clock(step.end_s - step.start_s)} · {rounds}{sides}"
    return words


@dataclass(frozen=True, slots=True)
class SummaryRow:
    label: str
    value: str


def exercises_done(result: SessionResult) -> int:
    """Exercises finished: every one reached, less the one a stop cut short."""
    reached = list(dict.fromkeys(cue.step for cue in result.planned if cue.step))
    if result.status in (SessionState.COMPLETED, SessionState.PARTIAL):
        return len(reached)
    return max(0, len(reached) - 1)


def summary_rows(
    result: SessionResult,
    steps_total: int,
    sessions_today: int,
    streak_days: int,
    *,
    screen_only: bool = False,
) -> Sequence[SummaryRow]:
    figures = result.figures
    status = outcome_words(result.outcome, result.reason)
    felt = "not reported (screen only, no wearable)" if screen_only else figures.felt()
    timing = "not reported" if screen_only else figures.errors().replace(", ", " · ")
    return (
        SummaryRow("Result", status),
        SummaryRow("Duration", format_clock(max(0.0, result.ended - result.started))),
        SummaryRow("Exercises done", f"{exercises_done(result)} of {steps_total}"),
        SummaryRow("Cues felt", felt),
        SummaryRow("Cue timing", timing),
        SummaryRow("Sessions today", str(sessions_today)),
        SummaryRow("Streak", count_of(streak_days, "day")),
    )


def format_seconds(seconds: float | None) -> str:
    """Seconds left in a phase as whole seconds counting down (3, 2, 1), as a clock would."""
    if seconds is None:
        return ""
    return str(math.ceil(seconds - 1e-6)) if seconds > 0 else "0"
