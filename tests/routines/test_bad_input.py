"""Every bad routine file becomes one clear RoutineError: file, field path, problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from routines import MAX_FILE_BYTES, PlanOptions, RoutineError, compile_plan, load_routine

VALID = """\
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
transition_s = 2.0

  [[exercises.phases]]
  direction = "inhale"
  movement = "up"
  breaths = 0.5

[[exercises]]
id = "second"
title = "Second"
position = "seated"
setup = "Stay seated"
instructions = "Breathe again."
rounds = 2

  [[exercises.phases]]
  direction = "exhale"
  movement = "down"
  breaths = 0.5

  [[exercises.phases]]
  direction = "hold"
  movement = "rest"
  seconds = 3.0
"""


def write(tmp_path: Path, text: str | bytes, name: str = "tiny.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    return path


def error_for(tmp_path: Path, text: str | bytes) -> str:
    path = write(tmp_path, text)
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    return message.removeprefix(f"{path}: ")


def test_the_valid_base_loads(tmp_path: Path) -> None:
    routine = load_routine(write(tmp_path, VALID))
    assert routine.exercise_ids() == ("first", "second")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("rounds = 2", 'rounds = 2\ncolour = "red"', "exercises[1].colour: unknown field"),
        ("pace_bpm = 6.0", "pace_bpm = 6.0\ntempo = 3", "tempo: unknown field"),
        ('title = "Second"\n', "", "exercises[1].title: required field is missing"),
        ('summary = "A small routine for tests."\n', "", "summary: required field is missing"),
        (
            "transition_s = 2.0",
            "transition_s = -1.5",
            ("exercises[0].transition_s: must be at least 0.05 (got -1.5)"),
        ),
        ("seconds = 3.0", "seconds = 0", "exercises[1].phases[1].seconds: must be at least 0.05"),
        (
            "breaths = 0.5\n\n[[exercises]]",
            "breaths = -0.5\n\n[[exercises]]",
            ("exercises[0].phases[0].breaths: must be at least 0.05 (got -0.5)"),
        ),
        ("rounds = 2", "rounds = 0", "exercises[1].rounds: must be at least 1 (got 0)"),
        ("rounds = 2", "rounds = 2.5", "exercises[1].rounds: must be a whole number (got 2.5)"),
        ("rounds = 2", 'rounds = "2"', "exercises[1].rounds: must be a whole number (got '2')"),
        ('title = "Tiny"', 'title = "   "', "title: must not be empty"),
        ('title = "First"', 'title = ""', "exercises[0].title: must not be empty"),
        (
            'id = "second"',
            'id = "first"',
            ("exercises[1].id: duplicate exercise id 'first' (already used by exercises[0])"),
        ),
        ('id = "tiny"', 'id = "Tiny Routine"', "id: must be a slug"),
        ("pace_bpm = 6.0", "pace_bpm = 30", "pace_bpm: must be at most 12 (got 30)"),
        ("pace_bpm = 6.0", "pace_bpm = 2", "pace_bpm: must be at least 3 (got 2)"),
        (
            'direction = "inhale"',
            'direction = "sneeze"',
            ("exercises[0].phases[0].direction: must be one of 'inhale', 'exhale' or 'hold'"),
        ),
        (
            "seconds = 3.0",
            "seconds = 3.0\nbreaths = 0.5",
            ("exercises[1].phases[1]: give exactly one of 'breaths'"),
        ),
        (
            'movement = "up"',
            'movement = "up to the {side}"',
            ("exercises[0].phases[0].movement: uses {side} but the exercise has sides = 'none'"),
        ),
        (
            "rounds = 2",
            "rounds = 2\nmax_rounds = 1",
            ("exercises[1].max_rounds: must be at least rounds (2), got 1"),
        ),
        (
            'safety_notes = ["Move slowly."]',
            "safety_notes = []",
            ("safety_notes: needs at least 1 item"),
        ),
    ],
)
def test_a_bad_field_is_named_with_its_path(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in VALID
    assert error_for(tmp_path, VALID.replace(old, new, 1)).startswith(expected)


def test_toml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    message = error_for(tmp_path, VALID.replace('title = "First"', "title = First"))
    assert message.startswith("TOML syntax error: ")
    assert "line 9" in message


def test_several_problems_report_the_first_and_count_the_rest(tmp_path: Path) -> None:
    text = VALID.replace("rounds = 2", "rounds = 0").replace('title = "Tiny"', 'title = ""')
    message = error_for(tmp_path, text)
    assert message == "title: must not be empty (and 1 more problem)"


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    data = VALID.replace('title = "Tiny"', 'title = "Ti\xe9ny"').encode("latin-1")
    message = error_for(tmp_path, data)
    assert message.startswith("not UTF-8 text (byte 0xe9 at line 2, column 12)")


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    assert load_routine(write(tmp_path, b"\xef\xbb\xbf" + VALID.encode())).id == "tiny"


def test_a_file_over_one_mebibyte_is_refused_by_its_size(tmp_path: Path) -> None:
    # Neither UTF-8 nor TOML: the size check must come first.
    message = error_for(tmp_path, b"\xff" * (MAX_FILE_BYTES + 1))
    assert message == f"file is too large ({MAX_FILE_BYTES + 1} bytes; the limit is 1 MiB)"


def test_a_file_of_exactly_one_mebibyte_is_read(tmp_path: Path) -> None:
    padding = MAX_FILE_BYTES - len(VALID.encode())
    routine = load_routine(write(tmp_path, VALID + "#" * (padding - 1) + "\n"))
    assert routine.id == "tiny"


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(RoutineError, match=r"absent\.toml: cannot read the file: No such file"):
        load_routine(path)


def test_a_directory_instead_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "dir.toml"
    path.mkdir()
    with pytest.raises(RoutineError, match=r"dir\.toml: cannot read the file"):
        load_routine(path)


def test_an_unknown_exercise_in_a_subset_is_refused_at_compile_time(tmp_path: Path) -> None:
    routine = load_routine(write(tmp_path, VALID))
    with pytest.raises(RoutineError) as caught:
        compile_plan(routine, PlanOptions(exercises=("first", "third")))
    assert (
        str(caught.value) == "routine 'tiny' has no exercise 'third'; its exercises: first, second"
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (PlanOptions(pace_bpm=2.9), "pace must be 3 to 12 breaths per minute (got 2.9)"),
        (PlanOptions(pace_bpm=12.5), "pace must be 3 to 12 breaths per minute (got 12.5)"),
        (PlanOptions(pace_bpm=float("nan")), "pace must be 3 to 12 breaths per minute"),
        (PlanOptions(speed=0), "speed must be 0.01 to 1000 (got 0)"),
        (PlanOptions(speed=-2), "speed must be 0.01 to 1000 (got -2)"),
        (PlanOptions(exercises=()), "choose at least one exercise of routine 'tiny'"),
        (PlanOptions(rounds={"first": 2}), "rounds for 'first' must be 1 (got 2)"),
        (PlanOptions(rounds={"nope": 1}), "rounds: routine 'tiny' has no exercise 'nope'"),
    ],
)
def test_bad_plan_options(tmp_path: Path, options: PlanOptions, expected: str) -> None:
    routine = load_routine(write(tmp_path, VALID))
    with pytest.raises(RoutineError) as caught:
        compile_plan(routine, options)
    assert str(caught.value).startswith(expected)


@pytest.mark.parametrize("pace", [3.0, 12.0])
def test_pace_bounds_are_inclusive(tmp_path: Path, pace: float) -> None:
    routine = load_routine(write(tmp_path, VALID))
    assert compile_plan(routine, PlanOptions(pace_bpm=pace)).pace_bpm == pace
