"""The bundled routines, and the seed routine's facts from the article."""

from __future__ import annotations

import tomllib

import pytest

from routines import (
    BUNDLED_ROUTINES_DIR,
    CueKind,
    Direction,
    PlanOptions,
    Position,
    Routine,
    RoutineError,
    Side,
    Sides,
    compile_plan,
    load_library,
    load_routine,
)

SEED = BUNDLED_ROUTINES_DIR / "one-minute-back.toml"


@pytest.fixture(scope="module")
def seed() -> Routine:
    return load_routine(SEED)


def test_every_bundled_file_loads_and_compiles() -> None:
    library = load_library(None)
    assert library.problems == ()
    assert set(library.routines) == {"one-minute-back", "desk-breathing"}
    for entry in library.entries:
        assert entry.origin == "bundled"
        assert entry.source.stem == entry.routine.id
        compile_plan(entry.routine)


def test_exercises_follow_the_article_order_and_positions(seed: Routine) -> None:
    assert [(e.id, e.position) for e in seed.exercises] == [
        ("knee-rolls", Position.LYING_ON_BACK),
        ("sphinx", Position.LYING_ON_BELLY),
        ("belly-lift", Position.LYING_ON_BELLY),
        ("cat-cow", Position.HANDS_AND_KNEES),
    ]


def test_knee_rolls_exhale_to_the_side_and_inhale_back_alternating_right_then_left(
    seed: Routine,
) -> None:
    plan = compile_plan(seed)
    knee = [c for c in plan.cues if c.step_id == "knee-rolls" and c.kind is not CueKind.STEP_CHANGE]
    assert [(c.kind, c.side) for c in knee] == [
        (CueKind.EXHALE, Side.RIGHT),
        (CueKind.INHALE, Side.RIGHT),
        (CueKind.EXHALE, Side.LEFT),
        (CueKind.INHALE, Side.LEFT),
    ]
    assert knee[0].text == "Exhale, knees to the right"
    assert knee[2].text == "Exhale, knees to the left"
    assert "centre" in knee[1].text
    assert plan.steps[0].sides is Sides.ALTERNATING
    # Sides alternate within the breathing: no separate side-switch tap.
    assert all(c.kind is not CueKind.SIDE_SWITCH for c in plan.cues)


def test_sphinx_holds_ten_seconds_at_any_pace(seed: Routine) -> None:
    sphinx = seed.exercises[1]
    assert [p.direction for p in sphinx.phases] == [
        Direction.INHALE,
        Direction.HOLD,
        Direction.EXHALE,
    ]
    for pace in (3.0, seed.pace_bpm, 12.0):
        plan = compile_plan(seed, PlanOptions(pace_bpm=pace))
        holds = [c for c in plan.cues if c.kind is CueKind.HOLD]
        assert [(h.step_id, h.duration_s) for h in holds] == [("sphinx", 10.0)]
        assert holds[0].pattern == "hold"


def test_belly_lift_breathing_is_marked_as_our_choice(seed: Routine) -> None:
    belly = seed.exercises[2]
    assert [p.direction for p in belly.phases] == [Direction.INHALE, Direction.EXHALE]
    assert "our choice" in belly.note
    assert "our choice" in SEED.read_text("utf-8").split('id = "belly-lift"')[0]


def test_cat_cow_does_three_rounds_by_default_and_allows_four(seed: Routine) -> None:
    cat_cow = seed.exercises[3]
    assert (cat_cow.rounds, cat_cow.max_rounds) == (3, 4)
    assert [p.direction for p in cat_cow.phases] == [Direction.INHALE, Direction.EXHALE]
    default = compile_plan(seed)
    breaths = [
        c for c in default.cues if c.step_id == "cat-cow" and c.kind is not CueKind.STEP_CHANGE
    ]
    assert [c.kind for c in breaths] == [CueKind.INHALE, CueKind.EXHALE] * 3
    four = compile_plan(seed, PlanOptions(rounds={"cat-cow": 4}))
    assert four.steps[3].rounds == 4
    assert four.duration_s == pytest.approx(default.duration_s + 60 / seed.pace_bpm)
    with pytest.raises(RoutineError, match=r"rounds for 'cat-cow' must be 3 to 4 \(got 5\)"):
        compile_plan(seed, PlanOptions(rounds={"cat-cow": 5}))
    with pytest.raises(RoutineError, match=r"must be 3 to 4 \(got 2\)"):
        compile_plan(seed, PlanOptions(rounds={"cat-cow": 2}))


def test_whole_routine_lasts_about_a_minute_countdown_included(seed: Routine) -> None:
    plan = compile_plan(seed)
    assert 55 <= plan.duration_s <= 75
    assert plan.duration_s == pytest.approx(71.0)
    assert plan.cues[-1].offset_s == plan.duration_s
    # Without the 3 s countdown it is still within the range.
    assert 55 <= plan.duration_s - 3 <= 75


def test_transitions_give_time_to_change_position(seed: Routine) -> None:
    plan = compile_plan(seed)
    changes = [c for c in plan.cues if c.kind is CueKind.STEP_CHANGE]
    assert [c.text for c in changes] == [
        "Knee rolls: lie on your back",
        "Sphinx: roll onto your belly",
        "Belly lift: stay on your belly",
        "Cat-cow: come onto your hands and knees",
    ]
    assert [c.pattern for c in changes] == ["go", "step_change", "step_change", "step_change"]
    assert all(c.duration_s >= 2 for c in changes)
    # Moving between positions takes longer than staying in one.
    assert changes[1].duration_s > changes[2].duration_s


def test_safety_notes_carry_the_articles_facts(seed: Routine) -> None:
    notes = " ".join(seed.safety_notes).lower()
    for fact in ("slowly", "clothes", "information", "certified specialist"):
        assert fact in notes


def test_any_single_exercise_can_be_run_alone(seed: Routine) -> None:
    for exercise in seed.exercises:
        plan = compile_plan(seed, PlanOptions(exercises=(exercise.id,)))
        assert [s.id for s in plan.steps] == [exercise.id]
        assert plan.cues[3].pattern == "go"


def test_seed_file_is_plain_toml_with_its_own_words() -> None:
    text = SEED.read_text("utf-8")
    data = tomllib.loads(text)
    assert data["id"] == "one-minute-back"
    # Our own words: none of the article's sentences is copied.
    for sentence in (
        "Lying on your back, bend your knees, then slowly turn them right and left",
        "Keep them parallel and concentrate your gaze down",
        "Lift your arms, chest and head at the same time",
        "on your inhale drop your belly down",
    ):
        assert sentence.lower() not in text.lower()


def test_desk_breathing_uses_the_rest_of_the_format() -> None:
    routine = load_routine(BUNDLED_ROUTINES_DIR / "desk-breathing.toml")
    assert routine.pace_bpm == 6
    plan = compile_plan(routine)
    switch = [c for c in plan.cues if c.kind is CueKind.SIDE_SWITCH]
    assert [(c.text, c.side, c.pattern) for c in switch] == [
        ("Switch to the left side", Side.LEFT, "side_switch")
    ]
    breathing = [c for c in plan.cues if c.step_id == "paced-breathing"]
    assert [c.duration_s for c in breathing[1:4]] == pytest.approx([4.0, 6.0, 2.0])
