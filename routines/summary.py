"""Readable and JSON forms of a cue plan, for the CLI and anything else that shows one."""

from __future__ import annotations

import dataclasses
from typing import Any

from routines.models import Sides
from routines.plan import CueKind, CuePlan, PlanStep


def format_clock(seconds: float, *, tenths: bool = False) -> str:
    """``71.0`` -> ``"1:11"``; with ``tenths``, ``3.25`` -> ``"0:03.2"``."""
    if tenths:
        minutes, rest = divmod(round(seconds, 1), 60)
        return f"{int(minutes)}:{rest:04.1f}"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def describe_sides(step: PlanStep) -> str:
    if step.sides is Sides.ALTERNATING:
        return f"alternating {step.first_side}/{step.first_side and step.first_side.other}"
    if step.sides is Sides.ONE_THEN_OTHER:
        return f"{step.first_side} side, then {step.first_side and step.first_side.other}"
    return ""


def _count(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def plan_headline(plan: CuePlan) -> str:
    speed = "" if plan.speed == 1 else f", speed x{plan.speed:g}"
    return (
        f"{plan.routine_title} ({plan.routine_id}): {_count(len(plan.steps), 'exercise')}, "
        f"{format_clock(plan.duration_s)} at {plan.pace_bpm:g} breaths per minute{speed}, "
        "3-2-1 countdown included"
    )


def plan_lines(plan: CuePlan) -> list[str]:
    """The plan as text: each step with its timing, its instructions and its timed cues."""
    lines = [plan_headline(plan), ""]
    countdown = [cue for cue in plan.cues if cue.kind is CueKind.COUNTDOWN]
    if countdown:
        lines.append(f"  {format_clock(countdown[0].offset_s, tenths=True)}  countdown 3-2-1")
    for step in plan.steps:
        sides = describe_sides(step)
        lines += [
            "",
            (
                f"{step.index + 1}. {step.title} [{step.id}]  "
                f"{format_clock(step.start_s, tenths=True)}-{format_clock(step.end_s, tenths=True)}"
                f", {_count(step.rounds, 'round')}{', ' + sides if sides else ''}"
            ),
            f"   Start: {step.setup}",
            *(f"   {line.strip()}" for line in step.instructions.strip().splitlines()),
        ]
        if step.note:
            lines.append(f"   Note: {step.note}")
        for cue in plan.cues:
            if cue.step_index == step.index:
                lines.append(
                    f"  {format_clock(cue.offset_s, tenths=True)}  {cue.kind.value:<11} "
                    f"{cue.duration_s:5.1f} s  {cue.text}"
                )
    end = plan.cues[-1]
    lines += ["", f"  {format_clock(end.offset_s, tenths=True)}  {end.kind.value:<11} {end.text}"]
    if plan.safety_notes:
        lines += ["", "Safety:", *(f"  - {note}" for note in plan.safety_notes)]
    return lines


def plan_summary(plan: CuePlan) -> str:
    """:func:`plan_lines` as one text."""
    return "\n".join(plan_lines(plan))


def plan_to_dict(plan: CuePlan) -> dict[str, Any]:
    """The plan as JSON-ready data (enums become their string values)."""
    data: dict[str, Any] = dataclasses.asdict(plan)
    return data
