"""Hypothesis strategies for valid routines."""

from __future__ import annotations

from hypothesis import strategies as st

from routines import BreathPhase, Direction, Exercise, Position, Routine, Side, Sides

seconds = st.floats(min_value=0.05, max_value=30.0, allow_nan=False, allow_infinity=False)
shares = st.floats(min_value=0.05, max_value=2.0, allow_nan=False, allow_infinity=False)
paces = st.floats(min_value=3.0, max_value=12.0, allow_nan=False, allow_infinity=False)
speeds = st.floats(min_value=0.1, max_value=50.0, allow_nan=False, allow_infinity=False)


@st.composite
def phases(draw: st.DrawFn, *, with_side: bool) -> BreathPhase:
    direction = draw(st.sampled_from(Direction))
    movement = "to the {side}" if with_side and draw(st.booleans()) else "move slowly"
    if draw(st.booleans()):
        return BreathPhase(direction=direction, movement=movement, breaths=draw(shares))
    return BreathPhase(direction=direction, movement=movement, seconds=draw(seconds))


@st.composite
def exercises(draw: st.DrawFn, exercise_id: str) -> Exercise:
    sides = draw(st.sampled_from(Sides))
    rounds = draw(st.integers(min_value=1, max_value=4))
    return Exercise(
        id=exercise_id,
        title=f"Exercise {exercise_id}",
        position=draw(st.sampled_from(Position)),
        setup="Get ready",
        instructions="Do it slowly.",
        phases=tuple(
            draw(st.lists(phases(with_side=sides is not Sides.NONE), min_size=1, max_size=4))
        ),
        sides=sides,
        first_side=draw(st.sampled_from(Side)),
        rounds=rounds,
        max_rounds=rounds + draw(st.integers(min_value=0, max_value=2)),
        transition_s=draw(seconds),
        side_switch_s=draw(seconds),
    )


@st.composite
def routines(draw: st.DrawFn) -> Routine:
    count = draw(st.integers(min_value=1, max_value=5))
    return Routine(
        id="generated",
        title="Generated routine",
        summary="A routine made up by hypothesis.",
        safety_notes=("Move slowly.",),
        pace_bpm=draw(paces),
        exercises=tuple(draw(exercises(f"ex-{number}")) for number in range(count)),
    )
