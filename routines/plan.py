"""The cue-plan compiler: a routine, a pace and a choice of exercises become timed cues.

Pure and deterministic: no I/O, no clock. The timeline of a plan, in order:

1. a 3-2-1 countdown, three ``countdown`` cues one second apart;
2. for each chosen exercise, in routine order:

   - a ``step_change`` cue (pattern ``go`` for the first exercise, ``step_change`` after).
     It opens the exercise's transition: the person feels it when it is time to move, and
     has ``transition_s`` to get into the starting position ("Sphinx: roll onto your
     belly") before the first breath cue;
   - one cue per breath phase, round after round. With ``sides = "alternating"`` each
     round does the phases to the first side then to the other; the side is carried by the
     breath cues themselves ("Exhale, knees to the right"), because a separate tap between
     two breaths would only add noise. With ``sides = "one_then_other"`` the change of
     side is a real change of posture, so it gets its own ``side_switch`` cue lasting
     ``side_switch_s``;

3. one ``end`` cue (pattern ``session_end``) whose offset is the plan's ``duration_s``.

So ``duration_s`` = countdown + transitions + side switches + breath phases, all divided
by ``speed``. Every cue's ``duration_s`` is the time until the next cue (0 for ``end``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from routines.errors import RoutineError
from routines.models import (
    COUNTDOWN_S,
    MAX_PACE_BPM,
    MAX_SESSION_S,
    MIN_PACE_BPM,
    SIDE_PLACEHOLDER,
    Direction,
    Exercise,
    Position,
    Routine,
    Side,
    Sides,
    format_hms,
)

COUNTDOWN: Final = ("3", "2", "1")
COUNTDOWN_STEP_S: Final = COUNTDOWN_S / len(COUNTDOWN)
# Faster is for tests and demos. Bounded both ways so that a plan's offsets, and the
# timestamps made from them, stay within days: at most MAX_SESSION_S / MIN_SPEED seconds.
MIN_SPEED: Final = 0.01
MAX_SPEED: Final = 1000.0


class CueKind(StrEnum):
    COUNTDOWN = "countdown"
    STEP_CHANGE = "step_change"
    INHALE = "inhale"
    EXHALE = "exhale"
    HOLD = "hold"
    SIDE_SWITCH = "side_switch"
    END = "end"


class HapticPattern(StrEnum):
    """The haptic pattern names a cue may ask for. The wire protocol maps them to ids."""

    COUNTDOWN_TICK = "countdown_tick"
    GO = "go"
    INHALE = "inhale"
    EXHALE = "exhale"
    HOLD = "hold"
    STEP_CHANGE = "step_change"
    SIDE_SWITCH = "side_switch"
    SESSION_END = "session_end"
    REMINDER = "reminder"


PATTERN_NAMES: Final = tuple(pattern.value for pattern in HapticPattern)

_BREATH_KIND: Final = {
    Direction.INHALE: (CueKind.INHALE, HapticPattern.INHALE),
    Direction.EXHALE: (CueKind.EXHALE, HapticPattern.EXHALE),
    Direction.HOLD: (CueKind.HOLD, HapticPattern.HOLD),
}
_ENTER: Final = {
    Position.LYING_ON_BACK: "lie on your back",
    Position.LYING_ON_BELLY: "roll onto your belly",
    Position.HANDS_AND_KNEES: "come onto your hands and knees",
    Position.SEATED: "sit upright",
    Position.STANDING: "stand tall",
}
_STAY: Final = {
    Position.LYING_ON_BACK: "stay on your back",
    Position.LYING_ON_BELLY: "stay on your belly",
    Position.HANDS_AND_KNEES: "stay on your hands and knees",
    Position.SEATED: "stay seated",
    Position.STANDING: "stay standing",
}


@dataclass(frozen=True, slots=True)
class Cue:
    """One cue of a plan. ``index`` is its id on the wire."""

    index: int
    offset_s: float
    duration_s: float
    kind: CueKind
    step_id: str
    step_index: int
    side: Side | None
    text: str
    pattern: str


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One exercise of a plan: from its step change to the end of its last breath phase."""

    index: int
    id: str
    title: str
    position: Position
    setup: str
    instructions: str
    note: str
    start_s: float
    end_s: float
    rounds: int
    sides: Sides
    first_side: Side | None


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """What a session asks of a routine.

    ``exercises``: a subset by id (kept in routine order; None for all). ``pace_bpm``:
    breaths per minute, 3 to 12 (None for the routine's own). ``speed``: divides every
    duration, 0.01 to 1000 (tests and demos). ``rounds``: per-exercise rounds, within what
    the exercise allows.
    """

    exercises: tuple[str, ...] | None = None
    pace_bpm: float | None = None
    speed: float = 1.0
    rounds: Mapping[str, int] | None = None


@dataclass(frozen=True, slots=True)
class CuePlan:
    """A compiled session: its cues in time order and its steps, one per exercise."""

    routine_id: str
    routine_title: str
    pace_bpm: float
    speed: float
    cues: tuple[Cue, ...]
    steps: tuple[PlanStep, ...]
    duration_s: float
    safety_notes: tuple[str, ...] = ()


def _choose_exercises(routine: Routine, wanted: tuple[str, ...] | None) -> list[Exercise]:
    if wanted is None:
        return list(routine.exercises)
    if not wanted:
        raise RoutineError(f"choose at least one exercise of routine '{routine.id}'")
    known = routine.exercise_ids()
    unknown = [exercise_id for exercise_id in wanted if exercise_id not in known]
    if unknown:
        raise RoutineError(
            f"routine '{routine.id}' has no exercise '{unknown[0]}'; "
            f"its exercises: {', '.join(known)}"
        )
    return [exercise for exercise in routine.exercises if exercise.id in wanted]


def _rounds_for(routine: Routine, overrides: Mapping[str, int] | None) -> dict[str, int]:
    rounds = {exercise.id: exercise.rounds for exercise in routine.exercises}
    for exercise_id, count in (overrides or {}).items():
        exercise = next((e for e in routine.exercises if e.id == exercise_id), None)
        if exercise is None:
            raise RoutineError(
                f"rounds: routine '{routine.id}' has no exercise '{exercise_id}'; "
                f"its exercises: {', '.join(routine.exercise_ids())}"
            )
        allowed = exercise.allowed_rounds
        if count not in allowed:
            wanted = (
                f"{allowed.start}" if len(allowed) == 1 else f"{allowed.start} to {allowed[-1]}"
            )
            raise RoutineError(f"rounds for '{exercise_id}' must be {wanted} (got {count})")
        rounds[exercise_id] = count
    return rounds


def _check_numbers(routine: Routine, options: PlanOptions) -> tuple[float, float]:
    pace = routine.pace_bpm if options.pace_bpm is None else options.pace_bpm
    if not (math.isfinite(pace) and MIN_PACE_BPM <= pace <= MAX_PACE_BPM):
        raise RoutineError(
            f"pace must be {MIN_PACE_BPM:g} to {MAX_PACE_BPM:g} breaths per minute (got {pace:g})"
        )
    if not (math.isfinite(options.speed) and MIN_SPEED <= options.speed <= MAX_SPEED):
        raise RoutineError(f"speed must be {MIN_SPEED:g} to {MAX_SPEED:g} (got {options.speed:g})")
    return pace, options.speed


def _check_length(
    routine: Routine, chosen: list[Exercise], rounds: Mapping[str, int], pace: float
) -> None:
    # Summed as Routine.longest_session_s does: at the routine's own pace this cannot fail.
    total = COUNTDOWN_S
    for exercise in chosen:
        total += exercise.duration_s(pace, rounds[exercise.id])
    if total > MAX_SESSION_S:
        raise RoutineError(
            f"a session of '{routine.id}' at {pace:g} breaths per minute would last "
            f"{format_hms(total)}; a session lasts at most {format_hms(MAX_SESSION_S)} "
            "(choose fewer exercises or rounds, or a faster pace)"
        )


def _side_order(exercise: Exercise) -> tuple[Side | None, ...]:
    if exercise.sides is Sides.NONE:
        return (None,)
    return (exercise.first_side, exercise.first_side.other)


class _Builder:
    """Accumulates cues on an unscaled timeline; offsets are divided by speed on the way out."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.now = 0.0
        self.cues: list[Cue] = []

    def add(
        self,
        seconds: float,
        kind: CueKind,
        pattern: HapticPattern,
        text: str,
        *,
        step: tuple[str, int] = ("", -1),
        side: Side | None = None,
    ) -> None:
        self.cues.append(
            Cue(
                index=len(self.cues),
                offset_s=self.now / self.speed,
                duration_s=seconds / self.speed,
                kind=kind,
                step_id=step[0],
                step_index=step[1],
                side=side,
                text=text,
                pattern=pattern.value,
            )
        )
        self.now += seconds


def compile_plan(routine: Routine, options: PlanOptions | None = None) -> CuePlan:
    """The timed cue plan for ``routine`` (see the module docstring for its timeline).

    The plan's ``duration_s`` includes the 3 s countdown: it is the offset of the ``end``
    cue, counted from the first countdown cue.

    Raises :class:`RoutineError` for an unknown exercise id, a pace outside 3-12 breaths per
    minute, a speed outside 0.01-1000, rounds an exercise does not allow, or a session
    longer than MAX_SESSION_S (possible at a slower pace than the routine's).
    """
    options = options or PlanOptions()
    pace, speed = _check_numbers(routine, options)
    chosen = _choose_exercises(routine, options.exercises)
    rounds = _rounds_for(routine, options.rounds)
    _check_length(routine, chosen, rounds, pace)

    build = _Builder(speed)
    for text in COUNTDOWN:
        build.add(COUNTDOWN_STEP_S, CueKind.COUNTDOWN, HapticPattern.COUNTDOWN_TICK, text)

    steps: list[PlanStep] = []
    previous: Position | None = None
    for step_index, exercise in enumerate(chosen):
        step = (exercise.id, step_index)
        start = build.now
        moving = (_STAY if exercise.position is previous else _ENTER)[exercise.position]
        build.add(
            exercise.transition_s,
            CueKind.STEP_CHANGE,
            HapticPattern.GO if step_index == 0 else HapticPattern.STEP_CHANGE,
            f"{exercise.title}: {moving}",
            step=step,
            side=None if exercise.sides is Sides.NONE else exercise.first_side,
        )
        # Each block is the rounds done on its sides; one_then_other has one block per side.
        order = _side_order(exercise)
        one_then_other = exercise.sides is Sides.ONE_THEN_OTHER
        blocks = [(side,) for side in order] if one_then_other else [order]
        for block_number, sides in enumerate(blocks):
            if block_number > 0:
                build.add(
                    exercise.side_switch_s,
                    CueKind.SIDE_SWITCH,
                    HapticPattern.SIDE_SWITCH,
                    f"Switch to the {sides[0]} side",
                    step=step,
                    side=sides[0],
                )
            for _ in range(rounds[exercise.id]):
                for side in sides:
                    for phase in exercise.phases:
                        kind, pattern = _BREATH_KIND[phase.direction]
                        movement = phase.movement.replace(SIDE_PLACEHOLDER, str(side or ""))
                        text = f"{phase.direction.value.capitalize()}, {movement}"
                        build.add(
                            phase.duration_at(pace), kind, pattern, text, step=step, side=side
                        )
        steps.append(
            PlanStep(
                index=step_index,
                id=exercise.id,
                title=exercise.title,
                position=exercise.position,
                setup=exercise.setup,
                instructions=exercise.instructions,
                note=exercise.note,
                start_s=start / speed,
                end_s=build.now / speed,
                rounds=rounds[exercise.id],
                sides=exercise.sides,
                first_side=None if exercise.sides is Sides.NONE else exercise.first_side,
            )
        )
        previous = exercise.position

    build.add(0.0, CueKind.END, HapticPattern.SESSION_END, "Session complete")
    return CuePlan(
        routine_id=routine.id,
        routine_title=routine.title,
        pace_bpm=pace,
        speed=speed,
        cues=tuple(build.cues),
        steps=tuple(steps),
        duration_s=build.now / speed,
        safety_notes=routine.safety_notes,
    )
