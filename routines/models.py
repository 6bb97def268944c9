"""The routine models: a routine is a list of exercises, an exercise a list of breath phases.

Timing has two kinds of duration, so that a routine can be slowed down or sped up without
touching a hold that has a fixed length:

- a *paced* phase gives ``breaths``, its share of one breath cycle at the session's pace
  (0.5 = half a breath). At pace P breaths per minute it lasts ``breaths * 60 / P`` seconds,
  so changing the pace from the routine's default D to P scales it by D / P;
- a *fixed* phase gives ``seconds`` and lasts that long at any pace (the sphinx's 10 s hold).

Transitions (time to get into an exercise's starting position) and side switches are fixed
too. Only the plan's ``speed`` (for tests and demos) divides every duration.

Every number has an upper bound as well as a lower one (README, "Routines"), so that no
valid file can make a plan, its cue ids (16-bit on the wire), a timestamp or a snapshot
overflow: at most MAX_EXERCISES x (2 + MAX_ROUNDS x 2 sides x MAX_PHASES) + 4 cues, and at
most MAX_SESSION_S seconds at the routine's own pace.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Annotated, Final

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

MIN_PACE_BPM = 3.0
MAX_PACE_BPM = 12.0
SIDE_PLACEHOLDER = "{side}"

# A fixed phase, a transition or a side switch: a few minutes at most, and not so short
# that it is as good as zero (5e-324 is a valid float).
MIN_STEP_S: Final = 0.05
MAX_STEP_S: Final = 300.0
# A paced phase, in breaths: 80 s at the slowest pace, 0.25 s at the fastest.
MIN_BREATHS: Final = 0.05
MAX_BREATHS: Final = 4.0
MAX_ROUNDS: Final = 50
MAX_PHASES: Final = 20
MAX_EXERCISES: Final = 30
MAX_SAFETY_NOTES: Final = 20
# The whole session, countdown included, with every exercise at its max_rounds.
MAX_SESSION_S: Final = 2 * 3600.0
# The plan's 3-2-1 countdown opens every session, so it counts towards its length.
COUNTDOWN_S: Final = 3.0

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Cue texts are shown on a watch face: keep the pieces they are made of short.
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Seconds = Annotated[float, Strict(), Field(ge=MIN_STEP_S, le=MAX_STEP_S, allow_inf_nan=False)]
Breaths = Annotated[float, Strict(), Field(ge=MIN_BREATHS, le=MAX_BREATHS, allow_inf_nan=False)]
Rounds = Annotated[StrictInt, Field(ge=1, le=MAX_ROUNDS)]
Pace = Annotated[float, Strict(), Field(ge=MIN_PACE_BPM, le=MAX_PACE_BPM, allow_inf_nan=False)]


class NestedFieldError(ValueError):
    """A validator's complaint about a field below the one it validates.

    ``subpath`` (e.g. ``"[3].id"``) is appended to pydantic's location when the problem is
    reported, so that a person is pointed at the exact entry.
    """

    def __init__(self, subpath: str, message: str) -> None:
        super().__init__(message)
        self.subpath = subpath


class Direction(StrEnum):
    """What the breath does during a phase."""

    INHALE = "inhale"
    EXHALE = "exhale"
    HOLD = "hold"


class Position(StrEnum):
    """The body position an exercise starts from."""

    LYING_ON_BACK = "lying_on_back"
    LYING_ON_BELLY = "lying_on_belly"
    HANDS_AND_KNEES = "hands_and_knees"
    SEATED = "seated"
    STANDING = "standing"


class Side(StrEnum):
    """The side of the body a repetition works."""

    RIGHT = "right"
    LEFT = "left"

    @property
    def other(self) -> Side:
        return Side.LEFT if self is Side.RIGHT else Side.RIGHT


class Sides(StrEnum):
    """How an exercise uses the two sides of the body.

    - ``none``: the exercise is symmetric.
    - ``alternating``: each round does the phases once to the first side, then once to the
      other (knee rolls: right, centre, left, centre).
    - ``one_then_other``: every round on the first side, a side switch, every round on the
      other side.
    """

    NONE = "none"
    ALTERNATING = "alternating"
    ONE_THEN_OTHER = "one_then_other"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BreathPhase(_Model):
    """One breath phase and the movement done during it.

    ``movement`` may contain ``{side}`` in exercises that use sides ("knees to the {side}").
    Exactly one of ``breaths`` (paced) and ``seconds`` (fixed) is given.
    """

    direction: Direction
    movement: ShortText
    breaths: Breaths | None = None
    seconds: Seconds | None = None

    @model_validator(mode="after")
    def _one_timing(self) -> BreathPhase:
        if (self.breaths is None) == (self.seconds is None):
            raise ValueError(
                "give exactly one of 'breaths' (share of a breath at the pace) "
                "and 'seconds' (fixed length)"
            )
        return self

    @property
    def paced(self) -> bool:
        return self.breaths is not None

    def duration_at(self, pace_bpm: float) -> float:
        """Seconds this phase lasts at ``pace_bpm`` breaths per minute."""
        if self.breaths is not None:
            return self.breaths * 60.0 / pace_bpm
        assert self.seconds is not None
        return self.seconds


class Exercise(_Model):
    """One exercise of a routine."""

    id: Slug
    title: ShortText
    position: Position
    setup: ShortText = Field(description="how to get into the starting position, briefly")
    instructions: Text
    phases: Annotated[tuple[BreathPhase, ...], Field(min_length=1, max_length=MAX_PHASES)]
    sides: Sides = Sides.NONE
    first_side: Side = Side.RIGHT
    rounds: Rounds = 1
    max_rounds: Rounds | None = None
    transition_s: Seconds = Field(
        default=3.0,
        description="time given, from this exercise's step change, to get into its position",
    )
    side_switch_s: Seconds = Field(
        default=3.0, description="time to change sides (only with sides = 'one_then_other')"
    )
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Exercise:
        if self.max_rounds is not None and self.max_rounds < self.rounds:
            raise NestedFieldError(
                ".max_rounds",
                f"must be at least rounds ({self.rounds}), got {self.max_rounds}",
            )
        for number, phase in enumerate(self.phases):
            if SIDE_PLACEHOLDER in phase.movement and self.sides is Sides.NONE:
                raise NestedFieldError(
                    f".phases[{number}].movement",
                    "uses {side} but the exercise has sides = 'none'",
                )
            if re.search(r"\{(?!side\})", phase.movement):
                raise NestedFieldError(
                    f".phases[{number}].movement",
                    "the only placeholder allowed is {side}",
                )
        return self

    @property
    def allowed_rounds(self) -> range:
        """The rounds a session may ask for: the default up to ``max_rounds``."""
        return range(self.rounds, (self.max_rounds or self.rounds) + 1)

    def duration_s(self, pace_bpm: float, rounds: int) -> float:
        """Seconds from this exercise's step change to the end of its last phase (speed 1).

        The plan compiler and the session limit add these up in the same order, so a plan
        of a valid routine at its own pace never exceeds what the routine was checked for.
        """
        breath = sum(phase.duration_at(pace_bpm) for phase in self.phases)
        sides = 1 if self.sides is Sides.NONE else 2
        switch = self.side_switch_s if self.sides is Sides.ONE_THEN_OTHER else 0.0
        return self.transition_s + switch + rounds * sides * breath


class Routine(_Model):
    """A routine: exercises done in order at a breathing pace."""

    id: Slug
    title: ShortText
    summary: Text
    safety_notes: Annotated[tuple[Text, ...], Field(min_length=1, max_length=MAX_SAFETY_NOTES)]
    pace_bpm: Pace = Field(description="default breathing pace, breaths per minute")
    exercises: Annotated[tuple[Exercise, ...], Field(min_length=1, max_length=MAX_EXERCISES)]
    source: str = ""

    @field_validator("exercises")
    @classmethod
    def _unique_exercise_ids(cls, exercises: tuple[Exercise, ...]) -> tuple[Exercise, ...]:
        seen: dict[str, int] = {}
        for number, exercise in enumerate(exercises):
            if exercise.id in seen:
                raise NestedFieldError(
                    f"[{number}].id",
                    f"duplicate exercise id '{exercise.id}' "
                    f"(already used by exercises[{seen[exercise.id]}])",
                )
            seen[exercise.id] = number
        return exercises

    @model_validator(mode="after")
    def _fits_a_session(self) -> Routine:
        longest = self.longest_session_s()
        if longest > MAX_SESSION_S:
            raise NestedFieldError(
                "exercises",
                f"the session lasts up to {format_hms(longest)} (every exercise at its "
                f"max_rounds, at {self.pace_bpm:g} breaths per minute); "
                f"it must be at most {format_hms(MAX_SESSION_S)}",
            )
        return self

    def longest_session_s(self) -> float:
        """Seconds of the longest session this routine allows at its pace (speed 1)."""
        total = COUNTDOWN_S
        for exercise in self.exercises:
            total += exercise.duration_s(self.pace_bpm, exercise.allowed_rounds[-1])
        return total

    def exercise_ids(self) -> tuple[str, ...]:
        return tuple(exercise.id for exercise in self.exercises)


def format_hms(seconds: float) -> str:
    """``7200`` -> ``"2:00:00"`` (whole seconds, rounded up so a limit is never undersold)."""
    whole = math.ceil(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
