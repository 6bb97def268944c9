"""The routine models: a routine is a list of exercises, an exercise a list of breath phases.

Timing has two kinds of duration, so that a routine can be slowed down or sped up without
touching a hold that has a fixed length:

- a *paced* phase gives ``breaths``, its share of one breath cycle at the session's pace
  (0.5 = half a breath). At pace P breaths per minute it lasts ``breaths * 60 / P`` seconds,
  so changing the pace from the routine's default D to P scales it by D / P;
- a *fixed* phase gives ``seconds`` and lasts that long at any pace (the sphinx's 10 s hold).

Transitions (time to get into an exercise's starting position) and side switches are fixed
too. Only the plan's ``speed`` (for tests and demos) divides every duration.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

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

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Cue texts are shown on a watch face: keep the pieces they are made of short.
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Seconds = Annotated[float, Strict(), Field(gt=0, allow_inf_nan=False)]
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
    breaths: Annotated[float, Strict(), Field(gt=0, le=4, allow_inf_nan=False)] | None = None
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
    phases: Annotated[tuple[BreathPhase, ...], Field(min_length=1)]
    sides: Sides = Sides.NONE
    first_side: Side = Side.RIGHT
    rounds: Annotated[StrictInt, Field(ge=1, le=100)] = 1
    max_rounds: Annotated[StrictInt, Field(ge=1, le=100)] | None = None
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


class Routine(_Model):
    """A routine: exercises done in order at a breathing pace."""

    id: Slug
    title: ShortText
    summary: Text
    safety_notes: Annotated[tuple[Text, ...], Field(min_length=1)]
    pace_bpm: Pace = Field(description="default breathing pace, breaths per minute")
    exercises: Annotated[tuple[Exercise, ...], Field(min_length=1)]
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

    def exercise_ids(self) -> tuple[str, ...]:
        return tuple(exercise.id for exercise in self.exercises)
