"""Hostile routine files: whatever a file holds, the result is a routine or one RoutineError.

Property tests feed generated documents (deep nesting, numbers out of range or not finite,
wrong types, truncated files, bytes that are not UTF-8) through the same path as a user's
file; the limits are tested at their boundaries below.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routines import (
    BUNDLED_ROUTINES_DIR,
    MAX_EXERCISES,
    MAX_PHASES,
    MAX_ROUNDS,
    MAX_SAFETY_NOTES,
    MAX_SESSION_S,
    MAX_SPEED,
    MIN_SPEED,
    PlanOptions,
    Routine,
    RoutineError,
    compile_plan,
    load_library,
    load_routine,
    parse_routine,
    plan_summary,
    plan_to_dict,
)
from routines.tomlfile import MAX_DEPTH, parse_toml
from tests.routines.hostile import (
    assert_one_line,
    deep_headers,
    hostile_bytes,
    hostile_documents,
    to_toml,
)

BASES = [
    tomllib.loads(path.read_text("utf-8")) for path in sorted(BUNDLED_ROUTINES_DIR.glob("*.toml"))
]
NUMERIC_FIELDS = [
    "pace_bpm",
    "rounds",
    "max_rounds",
    "transition_s",
    "side_switch_s",
    "seconds",
    "breaths",
]
SOURCE = "hostile.toml"
# The wire's cue ids are 16 bits and 0xFFFF is reserved for a test cue.
MAX_CUE_ID = 0xFFFE


def check_usable(routine: Routine) -> None:
    """A routine that loaded compiles, at any pace and speed allowed, into a bounded plan."""
    plans = [compile_plan(routine), compile_plan(routine, PlanOptions(speed=MIN_SPEED))]
    for plan in plans:
        assert math.isfinite(plan.duration_s)
        assert plan.duration_s <= MAX_SESSION_S / plan.speed
        assert all(math.isfinite(c.offset_s) and c.duration_s >= 0 for c in plan.cues)
        assert plan.cues[-1].index <= MAX_CUE_ID
        plan_summary(plan)
        plan_to_dict(plan)


def outcome(text: str) -> Routine | None:
    try:
        routine = parse_routine(text, SOURCE)
    except RoutineError as exc:
        assert_one_line(str(exc), SOURCE)
        return None
    check_usable(routine)
    return routine


@settings(max_examples=200, deadline=None)
@given(hostile_documents(BASES, NUMERIC_FIELDS))
def test_a_hostile_document_is_a_routine_or_one_line(text: str) -> None:
    outcome(text)


@pytest.mark.parametrize("base", BASES, ids=lambda base: str(base["id"]))
def test_the_writer_round_trips_the_bases(base: dict[str, Any]) -> None:
    # Guards the generator: unchanged, a base must load, or the test above proves little.
    assert outcome(to_toml(base)) is not None


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile") / "routine.toml"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=hostile_bytes(hostile_documents(BASES, NUMERIC_FIELDS)))
def test_hostile_bytes_in_a_file_are_a_routine_or_one_line(scratch: Path, data: bytes) -> None:
    scratch.write_bytes(data)
    try:
        routine = load_routine(scratch)
    except RoutineError as exc:
        assert_one_line(str(exc), str(scratch))
        return
    check_usable(routine)


@settings(max_examples=100, deadline=None)
@given(
    st.floats() | st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from(NUMERIC_FIELDS),
)
def test_any_number_in_any_numeric_field(number: float, field: str) -> None:
    text = (BUNDLED_ROUTINES_DIR / "desk-breathing.toml").read_text("utf-8")
    # The first occurrence of the field, or a new top-level one.
    lines = text.splitlines()
    found = [i for i, line in enumerate(lines) if line.strip().startswith(f"{field} =")]
    if found:
        lines[found[0]] = f"{field} = {number!r}"
    else:
        lines.insert(0, f"{field} = {number!r}")
    outcome("\n".join(lines) + "\n")


# ------------------------------------------------------------------------ nesting and parser


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 300 + "]" * 300,
        "x = " + "[" * 100_000 + "]" * 100_000,
        "x = " + "{a = " * 5000 + "1" + "}" * 5000,
        "x = " + "[" * 200_000,
        deep_headers(50_000),
        "[[exercises]]\n[exercises." + ".".join(["b"] * 20_000) + "]\n",
    ],
    ids=[
        "300-arrays",
        "100k-arrays",
        "5k-inline-tables",
        "unclosed",
        "50k-headers",
        "50k-in-exercises",
    ],
)
def test_deep_nesting_is_one_line_saying_so(text: str) -> None:
    with pytest.raises(RoutineError) as caught:
        parse_routine(text, SOURCE)
    assert_one_line(str(caught.value), SOURCE)
    assert "nested too deeply" in str(caught.value)


def test_nesting_is_allowed_up_to_the_limit() -> None:
    at_limit = "x = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_toml(at_limit, SOURCE, error=RoutineError)
    with pytest.raises(
        RoutineError, match=rf"^{SOURCE}: x(\[0\])+: nested too deeply \(at most 16"
    ):
        parse_toml(
            "x = " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), SOURCE, error=RoutineError
        )


def test_nesting_that_pydantic_would_recurse_on_is_caught_too() -> None:
    from routines.loading import routine_from_data

    deep: dict[str, Any] = {}
    for _ in range(100_000):
        deep = {"a": deep}
    with pytest.raises(RoutineError, match="nested too deeply"):
        routine_from_data({"id": deep}, SOURCE)


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        (str(2**63 - 1), True),
        (str(-(2**63)), True),
        (str(2**63), False),
        (str(-(2**63) - 1), False),
    ],
)
def test_integers_are_64_bit(value: str, accepted: bool) -> None:
    if accepted:
        assert parse_toml(f"x = {value}", SOURCE, error=RoutineError) == {"x": int(value)}
    else:
        with pytest.raises(RoutineError) as caught:
            parse_toml(f"[t]\nx = {value}", SOURCE, error=RoutineError)
        assert str(caught.value).startswith(f"{SOURCE}: t.x: integer out of range (TOML integers")


def test_an_integer_of_thousands_of_digits() -> None:
    with pytest.raises(RoutineError) as caught:
        parse_routine("x = " + "9" * 5000, SOURCE)
    assert str(caught.value) == (
        f"{SOURCE}: TOML syntax error: an integer with thousands of digits "
        "(TOML integers are 64-bit)"
    )


def test_a_newline_in_a_key_does_not_break_the_line() -> None:
    with pytest.raises(RoutineError) as caught:
        parse_routine('"evil\\nkey" = 1\n' + TINY, SOURCE)
    assert_one_line(str(caught.value), SOURCE)
    assert "evil\\nkey" in str(caught.value)


# -------------------------------------------------------------------------------- the limits

TINY = """\
id = "tiny"
title = "Tiny"
summary = "A small routine for tests."
pace_bpm = 6.0
safety_notes = ["Move slowly."]

[[exercises]]
id = "first"
title = "First"
position = "seated"
setup = "Sit tall"
instructions = "Breathe."
sides = "one_then_other"
transition_s = 2.0
side_switch_s = 2.0
rounds = 1
max_rounds = 2

  [[exercises.phases]]
  direction = "inhale"
  movement = "up"
  breaths = 0.5

  [[exercises.phases]]
  direction = "hold"
  movement = "rest"
  seconds = 3.0
"""


def tiny_error(old: str, new: str) -> str:
    assert old in TINY
    with pytest.raises(RoutineError) as caught:
        parse_routine(TINY.replace(old, new, 1), SOURCE)
    assert_one_line(str(caught.value), SOURCE)
    return str(caught.value).removeprefix(f"{SOURCE}: ")


def tiny_loads(old: str, new: str) -> Routine:
    assert old in TINY
    routine = parse_routine(TINY.replace(old, new, 1), SOURCE)
    check_usable(routine)
    return routine


@pytest.mark.parametrize(
    ("old", "at_limit", "over", "expected"),
    [
        (
            "seconds = 3.0",
            "seconds = 300.0",
            "seconds = 300.001",
            "exercises[0].phases[1].seconds: must be at most 300 (got 300.001)",
        ),
        (
            "seconds = 3.0",
            "seconds = 300",
            "seconds = 1e308",
            "exercises[0].phases[1].seconds: must be at most 300 (got 1e+308)",
        ),
        (
            "transition_s = 2.0",
            "transition_s = 300.0",
            "transition_s = 301",
            "exercises[0].transition_s: must be at most 300 (got 301)",
        ),
        (
            "side_switch_s = 2.0",
            "side_switch_s = 300.0",
            "side_switch_s = 9223372036854775807",
            "exercises[0].side_switch_s: must be at most 300 (got 9223372036854775807)",
        ),
        (
            "breaths = 0.5",
            "breaths = 4.0",
            "breaths = 4.001",
            "exercises[0].phases[0].breaths: must be at most 4 (got 4.001)",
        ),
        (
            "max_rounds = 2",
            f"max_rounds = {MAX_ROUNDS}",
            f"max_rounds = {MAX_ROUNDS + 1}",
            f"exercises[0].max_rounds: must be at most {MAX_ROUNDS} (got {MAX_ROUNDS + 1})",
        ),
        (
            "rounds = 1\nmax_rounds = 2",
            f"rounds = {MAX_ROUNDS}",
            f"rounds = {MAX_ROUNDS + 1}",
            f"exercises[0].rounds: must be at most {MAX_ROUNDS} (got {MAX_ROUNDS + 1})",
        ),
        ("pace_bpm = 6.0", "pace_bpm = 12.0", "pace_bpm = 12.01", "pace_bpm: must be at most 12"),
        ("pace_bpm = 6.0", "pace_bpm = 3", "pace_bpm = 2.99", "pace_bpm: must be at least 3"),
        (
            "seconds = 3.0",
            "seconds = 0.05",
            "seconds = 5e-324",
            "exercises[0].phases[1].seconds: must be at least 0.05 (got 5e-324)",
        ),
        (
            "transition_s = 2.0",
            "transition_s = 0.05",
            "transition_s = 0.0499",
            "exercises[0].transition_s: must be at least 0.05 (got 0.0499)",
        ),
        (
            "breaths = 0.5",
            "breaths = 0.05",
            "breaths = 0.0",
            "exercises[0].phases[0].breaths: must be at least 0.05 (got 0.0)",
        ),
    ],
)
def test_a_number_at_its_limit_loads_and_just_past_it_is_named(
    old: str, at_limit: str, over: str, expected: str
) -> None:
    tiny_loads(old, at_limit)
    assert tiny_error(old, over).startswith(expected)


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "+nan"])
def test_a_number_that_is_not_finite_is_named(value: str) -> None:
    for old in ("transition_s = 2.0", "seconds = 3.0", "breaths = 0.5", "pace_bpm = 6.0"):
        field = old.split(" =")[0]
        assert field in tiny_error(old, f"{field} = {value}")
        assert "must be a finite number" in tiny_error(old, f"{field} = {value}")


def _phases(count: int, seconds: float = 0.5) -> str:
    phase = (
        '\n  [[exercises.phases]]\n  direction = "exhale"\n  movement = "down"\n'
        f"  seconds = {seconds}\n"
    )
    return phase * count


def _exercises(
    count: int, phases: int = 1, rounds: int = 1, sides: str = "none", seconds: float = 0.5
) -> str:
    return "".join(
        f'\n[[exercises]]\nid = "ex-{n}"\ntitle = "Exercise {n}"\nposition = "seated"\n'
        f'setup = "Sit"\ninstructions = "Breathe."\nsides = "{sides}"\nrounds = {rounds}\n'
        "transition_s = 0.1\n" + _phases(phases, seconds)
        for n in range(count)
    )


HEAD = 'id = "big"\ntitle = "Big"\nsummary = "Big."\npace_bpm = 12.0\nsafety_notes = ["Slowly."]\n'


@pytest.mark.parametrize(
    ("text", "over", "expected"),
    [
        (
            HEAD + _exercises(1, phases=MAX_PHASES),
            HEAD + _exercises(1, phases=MAX_PHASES + 1),
            f"exercises[0].phases: has too many items: at most {MAX_PHASES} (got 21)",
        ),
        (
            HEAD + _exercises(MAX_EXERCISES),
            HEAD + _exercises(MAX_EXERCISES + 1),
            f"exercises: has too many items: at most {MAX_EXERCISES} (got 31)",
        ),
        (
            HEAD.replace('["Slowly."]', str(["Slowly."] * MAX_SAFETY_NOTES)) + _exercises(1),
            HEAD.replace('["Slowly."]', str(["Slowly."] * (MAX_SAFETY_NOTES + 1))) + _exercises(1),
            f"safety_notes: has too many items: at most {MAX_SAFETY_NOTES} (got 21)",
        ),
    ],
    ids=["phases", "exercises", "safety_notes"],
)
def test_counts_at_their_limit_load_and_one_more_is_named(
    text: str, over: str, expected: str
) -> None:
    check_usable(parse_routine(text, SOURCE))
    with pytest.raises(RoutineError) as caught:
        parse_routine(over, SOURCE)
    assert str(caught.value) == f"{SOURCE}: {expected}"


def test_the_largest_routine_allowed_fits_the_wire_and_the_session_limit() -> None:
    # Every count at its limit, with phases short enough to stay under two hours.
    text = HEAD + _exercises(
        MAX_EXERCISES, phases=MAX_PHASES, rounds=MAX_ROUNDS, sides="alternating", seconds=0.1
    )
    routine = parse_routine(text, SOURCE)
    plan = compile_plan(routine)
    # 3 countdown cues, per exercise a step change and 50 rounds x 2 sides x 20 phases, end.
    assert len(plan.cues) == 3 + MAX_EXERCISES * (1 + MAX_ROUNDS * 2 * MAX_PHASES) + 1
    assert plan.cues[-1].index <= MAX_CUE_ID
    assert plan.duration_s <= MAX_SESSION_S
    # The worst case the limits allow, side switches included, still fits 16-bit cue ids.
    assert 3 + MAX_EXERCISES * (2 + MAX_ROUNDS * 2 * MAX_PHASES) + 1 <= MAX_CUE_ID + 1


INHALE_UP = '  [[exercises.phases]]\n  direction = "inhale"\n  movement = "up"\n  breaths = 0.5\n\n'


def _long(transition: float) -> str:
    # 3 s countdown + transition + 23 rounds of a 300 s hold.
    return (
        TINY.replace("transition_s = 2.0", f"transition_s = {transition}")
        .replace('sides = "one_then_other"', 'sides = "none"')
        .replace("rounds = 1\nmax_rounds = 2", "rounds = 23")
        .replace(INHALE_UP, "")
        .replace("seconds = 3.0", "seconds = 300.0")
    )


def test_a_session_of_exactly_two_hours_loads_and_one_second_more_is_refused() -> None:
    routine = parse_routine(_long(297.0), SOURCE)
    assert routine.longest_session_s() == MAX_SESSION_S
    assert compile_plan(routine).duration_s == MAX_SESSION_S
    with pytest.raises(RoutineError) as caught:
        parse_routine(_long(297.5), SOURCE)
    assert str(caught.value) == (
        f"{SOURCE}: exercises: the session lasts up to 2:00:01 (every exercise at its "
        "max_rounds, at 6 breaths per minute); it must be at most 2:00:00"
    )


def test_max_rounds_count_towards_the_session_limit() -> None:
    text = _long(297.0).replace("rounds = 23", "rounds = 1\nmax_rounds = 24")
    with pytest.raises(RoutineError, match=r"exercises: the session lasts up to 2:05:00"):
        parse_routine(text, SOURCE)


def test_a_slower_pace_than_the_routines_may_not_make_a_session_too_long() -> None:
    # 20 phases of 4 breaths: 400 s a round at 12 breaths per minute, four times that at 3.
    phase = (
        '\n  [[exercises.phases]]\n  direction = "exhale"\n  movement = "down"\n  breaths = 4.0\n'
    )
    text = HEAD + _exercises(1, rounds=5).replace(_phases(1), phase * MAX_PHASES)
    routine = parse_routine(text, SOURCE)
    assert compile_plan(routine, PlanOptions(pace_bpm=4)).duration_s == pytest.approx(6003.1)
    with pytest.raises(RoutineError) as caught:
        compile_plan(routine, PlanOptions(pace_bpm=3))
    assert str(caught.value) == (
        "a session of 'big' at 3 breaths per minute would last 2:13:24; a session lasts at "
        "most 2:00:00 (choose fewer exercises or rounds, or a faster pace)"
    )


@pytest.mark.parametrize(
    ("speed", "accepted"),
    [
        (MIN_SPEED, True),
        (MAX_SPEED, True),
        (MIN_SPEED * 0.99, False),
        (MAX_SPEED * 1.01, False),
        (5e-324, False),
        (math.inf, False),
    ],
)
def test_speed_limits(speed: float, accepted: bool) -> None:
    routine = load_library(None).get("one-minute-back")
    if accepted:
        plan = compile_plan(routine, PlanOptions(speed=speed))
        assert math.isfinite(plan.duration_s)
    else:
        with pytest.raises(RoutineError, match=r"^speed must be 0\.01 to 1000 \(got "):
            compile_plan(routine, PlanOptions(speed=speed))


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[" + "a." * 100_000 + "a]\n", 1),
        ("x = 1\n" + "a." * 100_000 + "a = 1\n", 2),
        ("x = {" + "a." * 5_000 + "a = 1}\n", 1),
    ],
    ids=["100k-part-header", "100k-part-key", "5k-part-inline-key"],
)
def test_a_dotted_key_of_thousands_of_parts_is_refused_unparsed(text: str, line: int) -> None:
    # tomllib takes time quadratic in a key's parts (minutes for these): refused first.
    with pytest.raises(RoutineError) as caught:
        parse_toml(text, SOURCE, error=RoutineError)
    assert_one_line(str(caught.value), SOURCE)
    assert f"line {line}: a dotted key of too many parts: nested too deeply" in str(caught.value)


def test_dots_in_strings_and_comments_are_not_keys() -> None:
    text = (
        'a = "' + "." * 500 + '"\n'
        "b = '" + "." * 500 + "'\n"
        'c = """\n' + "Move slowly. " * 200 + '\n"""\n'
        "# " + "." * 500 + "\n"
        "d.e.f = 1.5\n"
    )
    data = parse_toml(text, SOURCE, error=RoutineError)
    assert data["d"] == {"e": {"f": 1.5}}
    assert data["a"] == "." * 500
