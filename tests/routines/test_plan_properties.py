"""Properties of the compiler over generated routines."""

from __future__ import annotations

import math
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from routines import (
    PATTERN_NAMES,
    BreathPhase,
    CueKind,
    CuePlan,
    Exercise,
    PlanOptions,
    Routine,
    Side,
    Sides,
    compile_plan,
)
from tests.routines.strategies import paces, routines, speeds

BREATH_KINDS = {CueKind.INHALE, CueKind.EXHALE, CueKind.HOLD}


def expected_phases(exercise: Exercise) -> list[tuple[BreathPhase, Side | None]]:
    """The breath phases an exercise plays, in order, re-derived from its definition."""
    if exercise.sides is Sides.NONE:
        return [(phase, None) for _ in range(exercise.rounds) for phase in exercise.phases]
    first, second = exercise.first_side, exercise.first_side.other
    if exercise.sides is Sides.ALTERNATING:
        return [
            (phase, side)
            for _ in range(exercise.rounds)
            for side in (first, second)
            for phase in exercise.phases
        ]
    return [
        (phase, side)
        for side in (first, second)
        for _ in range(exercise.rounds)
        for phase in exercise.phases
    ]


def breath_cues(plan: CuePlan, step_index: int) -> list[tuple[CueKind, Side | None]]:
    return [
        (cue.kind, cue.side)
        for cue in plan.cues
        if cue.step_index == step_index and cue.kind in BREATH_KINDS
    ]


@given(routines(), st.one_of(st.none(), paces), speeds)
def test_cues_are_ordered_indexed_and_chained(
    routine: Routine, pace: float | None, speed: float
) -> None:
    plan = compile_plan(routine, PlanOptions(pace_bpm=pace, speed=speed))
    cues = plan.cues
    assert [cue.index for cue in cues] == list(range(len(cues)))
    assert all(a.offset_s <= b.offset_s for a, b in pairwise(cues))
    assert all(
        math.isclose(a.offset_s + a.duration_s, b.offset_s, rel_tol=1e-9, abs_tol=1e-9)
        for a, b in pairwise(cues)
    )
    assert [cue.kind for cue in cues[:3]] == [CueKind.COUNTDOWN] * 3
    assert [cue.text for cue in cues[:3]] == ["3", "2", "1"]
    assert cues[3].kind is CueKind.STEP_CHANGE
    assert cues[3].pattern == "go"
    assert cues[-1].kind is CueKind.END
    assert cues[-1].pattern == "session_end"
    assert [c for c in cues if c.kind is CueKind.END] == [cues[-1]]
    assert cues[-1].offset_s == plan.duration_s
    assert all(cue.pattern in PATTERN_NAMES for cue in cues)
    assert all(cue.duration_s > 0 for cue in cues[:-1])
    step_changes = [cue for cue in cues if cue.kind is CueKind.STEP_CHANGE]
    assert [cue.step_id for cue in step_changes] == [e.id for e in routine.exercises]
    assert all(cue.pattern == "step_change" for cue in step_changes[1:])


@given(routines(), paces, speeds)
def test_total_is_countdown_plus_transitions_plus_phases(
    routine: Routine, pace: float, speed: float
) -> None:
    plan = compile_plan(routine, PlanOptions(pace_bpm=pace, speed=speed))
    total = 3.0
    for exercise in routine.exercises:
        total += exercise.transition_s
        if exercise.sides is Sides.ONE_THEN_OTHER:
            total += exercise.side_switch_s
        total += sum(phase.duration_at(pace) for phase, _ in expected_phases(exercise))
    assert math.isclose(plan.duration_s, total / speed, rel_tol=1e-9)
    assert plan.steps[-1].end_s == plan.duration_s


@given(routines())
def test_each_exercise_keeps_its_breath_directions_and_sides_in_order(routine: Routine) -> None:
    plan = compile_plan(routine)
    for step_index, exercise in enumerate(routine.exercises):
        expected = [
            (CueKind(phase.direction.value), side) for phase, side in expected_phases(exercise)
        ]
        assert breath_cues(plan, step_index) == expected
        switches = [
            cue
            for cue in plan.cues
            if cue.step_index == step_index and cue.kind is CueKind.SIDE_SWITCH
        ]
        assert len(switches) == (1 if exercise.sides is Sides.ONE_THEN_OTHER else 0)


@given(routines(), paces)
def test_pace_scales_paced_phases_and_leaves_fixed_ones(routine: Routine, pace: float) -> None:
    default = compile_plan(routine)
    paced = compile_plan(routine, PlanOptions(pace_bpm=pace))
    assert [c.kind for c in paced.cues] == [c.kind for c in default.cues]
    for step_index, exercise in enumerate(routine.exercises):
        phases = [phase for phase, _ in expected_phases(exercise)]
        before = [c for c in default.cues if c.step_index == step_index and c.kind in BREATH_KINDS]
        after = [c for c in paced.cues if c.step_index == step_index and c.kind in BREATH_KINDS]
        for phase, old, new in zip(phases, before, after, strict=True):
            factor = routine.pace_bpm / pace if phase.paced else 1.0
            assert math.isclose(new.duration_s, old.duration_s * factor, rel_tol=1e-9)
    others = [c for c in default.cues if c.kind not in BREATH_KINDS]
    others_paced = [c for c in paced.cues if c.kind not in BREATH_KINDS]
    assert [c.duration_s for c in others] == [c.duration_s for c in others_paced]


@given(routines(), speeds)
def test_speed_divides_every_offset_and_duration(routine: Routine, speed: float) -> None:
    normal = compile_plan(routine)
    fast = compile_plan(routine, PlanOptions(speed=speed))
    for slow_cue, fast_cue in zip(normal.cues, fast.cues, strict=True):
        assert math.isclose(fast_cue.offset_s, slow_cue.offset_s / speed, rel_tol=1e-9)
        assert math.isclose(fast_cue.duration_s, slow_cue.duration_s / speed, rel_tol=1e-9)
        assert (fast_cue.kind, fast_cue.text, fast_cue.side) == (
            slow_cue.kind,
            slow_cue.text,
            slow_cue.side,
        )
    assert math.isclose(fast.duration_s, normal.duration_s / speed, rel_tol=1e-9)


@given(routines(), st.data())
def test_a_subset_keeps_routine_order_and_only_its_steps(
    routine: Routine, data: st.DataObject
) -> None:
    ids = [exercise.id for exercise in routine.exercises]
    chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    plan = compile_plan(routine, PlanOptions(exercises=tuple(chosen)))
    assert [step.id for step in plan.steps] == [i for i in ids if i in chosen]
    assert [step.index for step in plan.steps] == list(range(len(chosen)))
    assert {cue.step_id for cue in plan.cues} - {""} == set(chosen)


@given(routines())
def test_compiling_is_deterministic(routine: Routine) -> None:
    assert compile_plan(routine) == compile_plan(routine)
