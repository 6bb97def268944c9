"""`backstretch routines ...`, run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from companion.cli import main
from routines import BUNDLED_ROUTINES_DIR
from tests.routines.conftest import bundled_text


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["routines", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_bundled_routines(user_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "TITLE", "DURATION", "EXERCISES", "ORIGIN"]
    seed = next(line for line in lines if line.startswith("one-minute-back "))
    assert "One-minute back stretch" in seed
    assert seed.split()[-3:] == ["1:11", "4", "bundled"]


def test_list_says_when_a_user_routine_overrides_and_reports_broken_files(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = bundled_text("desk-breathing").replace("Desk breathing break", "My own break")
    (user_dir / "desk.toml").write_text(text, "utf-8")
    (user_dir / "broken.toml").write_text(text.replace("rounds = 2", "rounds = 0"), "utf-8")
    code, out, err = run(capsys, "list")
    assert code == 0
    desk = next(line for line in out.splitlines() if line.startswith("desk-breathing "))
    assert "My own break" in desk
    assert f"user (overrides the bundled routine; {user_dir / 'desk.toml'})" in desk
    assert "one-minute-back" in out
    assert err == (
        f"backstretch: warning: skipped {user_dir / 'broken.toml'}: "
        "exercises[0].rounds: must be at least 1 (got 0)\n"
    )


def test_show_prints_timed_steps(user_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "one-minute-back")
    assert code == 0
    assert out.startswith("One-minute back stretch (one-minute-back): 4 exercises, 1:11 at 10")
    assert "2. Sphinx [sphinx]  0:17.0-0:36.0" in out
    assert "0:23.0  hold         10.0 s  Hold, breathe calmly" in out
    assert "Consult a certified specialist" in out


def test_show_a_subset_at_another_pace(user_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "show",
        "one-minute-back",
        "--exercise",
        "cat-cow",
        "--exercise",
        "sphinx",
        "--pace",
        "6",
    )
    assert code == 0
    assert "1. Sphinx" in out
    assert "2. Cat-cow" in out
    assert "Knee rolls" not in out
    assert "at 6 breaths per minute" in out


def test_show_json_is_the_compiled_plan(user_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "one-minute-back", "--json", "--rounds", "cat-cow=4")
    assert code == 0
    plan = json.loads(out)
    assert plan["routine_id"] == "one-minute-back"
    assert plan["duration_s"] == pytest.approx(77.0)
    assert plan["cues"][0] == {
        "index": 0,
        "offset_s": 0.0,
        "duration_s": 1.0,
        "kind": "countdown",
        "step_id": "",
        "step_index": -1,
        "side": None,
        "text": "3",
        "pattern": "countdown_tick",
    }
    assert plan["cues"][-1]["offset_s"] == plan["duration_s"]
    assert [s["id"] for s in plan["steps"]] == ["knee-rolls", "sphinx", "belly-lift", "cat-cow"]
    assert plan["cues"][4]["side"] == "right"


def test_show_uses_a_user_override(user_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = bundled_text("one-minute-back").replace("pace_bpm = 10.0", "pace_bpm = 5.0")
    (user_dir / "slow.toml").write_text(text, "utf-8")
    code, out, _ = run(capsys, "show", "one-minute-back")
    assert code == 0
    assert "at 5 breaths per minute" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "nope"], "unknown routine 'nope'; known: desk-breathing, one-minute-back"),
        (
            ["show", "one-minute-back", "--exercise", "plank"],
            "routine 'one-minute-back' has no exercise 'plank'",
        ),
        (
            ["show", "one-minute-back", "--rounds", "cat-cow=9"],
            "rounds for 'cat-cow' must be 3 to 4 (got 9)",
        ),
    ],
)
def test_show_errors_are_one_line_and_exit_1(
    user_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (1, "")
    assert err.startswith(f"backstretch: error: {message}")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_show_mentions_broken_user_files_when_the_id_is_unknown(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (user_dir / "mine.toml").write_text('id = "mine"\n', "utf-8")
    code, _, err = run(capsys, "show", "mine")
    assert code == 1
    assert f"warning: skipped {user_dir / 'mine.toml'}: title: required field is missing" in err
    assert "backstretch: error: unknown routine 'mine'" in err


def test_bad_rounds_option_is_a_usage_error(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["routines", "show", "one-minute-back", "--rounds", "cat-cow"])
    assert caught.value.code == 2
    assert "expected EXERCISE=N" in capsys.readouterr().err


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", str(BUNDLED_ROUTINES_DIR / "one-minute-back.toml"))
    assert (code, err) == (0, "")
    assert out == (
        "ok: one-minute-back (One-minute back stretch): 4 exercises, "
        "1:11 at 10 breaths per minute\n"
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"id = \n", "TOML syntax error: Invalid value (at line 1, column 6)"),
        (b"\xff\xfe", "not UTF-8 text"),
        (
            bundled_text("one-minute-back").replace("rounds = 3", "rounds = 0").encode(),
            "exercises[3].rounds: must be at least 1 (got 0)",
        ),
        (
            bundled_text("one-minute-back").replace('id = "sphinx"', 'id = "knee-rolls"').encode(),
            "exercises[1].id: duplicate exercise id 'knee-rolls'",
        ),
    ],
)
def test_validate_reports_one_line_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, problem: str
) -> None:
    path = tmp_path / "mine.toml"
    path.write_bytes(content)
    code, out, err = run(capsys, "validate", str(path))
    assert (code, out) == (1, "")
    assert err.startswith(f"backstretch: error: {path}: {problem}")
    assert err.count("\n") == 1


def test_validate_refuses_a_huge_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.toml"
    path.write_bytes(b"#" * (2 * 1024 * 1024))
    code, _, err = run(capsys, "validate", str(path))
    assert code == 1
    assert "huge.toml: file is too large (2097152 bytes; the limit is 1 MiB)" in err


def test_routines_alone_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys)
    assert code == 2
    assert "list" in err
    assert "validate" in err


def test_validate_names_every_problem_of_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        bundled_text("one-minute-back")
        .replace("rounds = 2", "rounds = 0")
        .replace("rounds = 1\n", "rounds = 0\n")
        .replace("pace_bpm = 10.0", "pace_bpm = 40.0")
    )
    path = tmp_path / "many.toml"
    path.write_text(text, "utf-8")
    code, out, err = run(capsys, "validate", str(path))
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert len(lines) >= 3
    assert all(line.startswith(f"backstretch: error: {path}: ") for line in lines)
    assert f"backstretch: error: {path}: pace_bpm: must be at most 12 (got 40.0)" in lines
    assert sum(".rounds: must be at least 1 (got 0)" in line for line in lines) >= 2
    assert "more problem" not in err


def test_a_bad_pace_is_a_usage_error_whatever_is_wrong(capsys: pytest.CaptureFixture[str]) -> None:
    for pace in ("abc", "20"):
        with pytest.raises(SystemExit) as exited:
            main(["routines", "show", "one-minute-back", "--pace", pace])
        assert exited.value.code == 2
        usage, error = capsys.readouterr().err.splitlines()
        assert usage == "usage: backstretch routines show [options] ID"
        assert error.startswith("backstretch routines show: error: argument --pace: ")
