"""The library: bundled routines, user routines, overrides and broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from routines import RoutineError, default_user_routines_dir, load_library
from tests.routines.conftest import bundled_text


def test_user_dir_follows_xdg_config_home(user_dir: Path) -> None:
    assert default_user_routines_dir() == user_dir


@pytest.mark.parametrize("value", ["", "relative/dir"])
def test_user_dir_falls_back_to_dot_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", value)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_user_routines_dir() == tmp_path / ".config" / "backstretch" / "routines"


def test_without_user_routines_only_the_bundled_ones(user_dir: Path) -> None:
    library = load_library()
    assert library.problems == ()
    assert [e.origin for e in library.entries] == ["bundled", "bundled"]
    assert load_library(user_dir / "absent").routines.keys() == library.routines.keys()


def test_a_user_routine_is_added(user_dir: Path) -> None:
    text = bundled_text("desk-breathing").replace('id = "desk-breathing"', 'id = "my-break"')
    (user_dir / "mine.toml").write_text(text, "utf-8")
    library = load_library()
    entry = library.entry("my-break")
    assert (entry.origin, entry.overrides_bundled, entry.source) == (
        "user",
        False,
        user_dir / "mine.toml",
    )
    assert sorted(library.routines) == ["desk-breathing", "my-break", "one-minute-back"]


def test_a_user_routine_overrides_the_bundled_one_of_the_same_id(user_dir: Path) -> None:
    text = bundled_text("one-minute-back").replace("pace_bpm = 10.0", "pace_bpm = 8.0")
    (user_dir / "slower.toml").write_text(text, "utf-8")
    library = load_library()
    assert library.get("one-minute-back").pace_bpm == 8.0
    matching = [e for e in library.entries if e.routine.id == "one-minute-back"]
    assert len(matching) == 1
    assert (matching[0].origin, matching[0].overrides_bundled) == ("user", True)


def test_a_broken_user_file_never_hides_the_bundled_routines(user_dir: Path) -> None:
    (user_dir / "broken.toml").write_text('id = "one-minute-back"\ntitle = \n', "utf-8")
    (user_dir / "bad.toml").write_bytes(b"\xff\xfe")
    library = load_library()
    assert sorted(library.routines) == ["desk-breathing", "one-minute-back"]
    assert library.entry("one-minute-back").origin == "bundled"
    messages = [str(problem) for problem in library.problems]
    assert len(messages) == 2
    assert messages[0].startswith(f"{user_dir / 'bad.toml'}: not UTF-8")
    assert messages[1].startswith(f"{user_dir / 'broken.toml'}: TOML syntax error")


def test_two_user_files_with_one_id_keep_the_first(user_dir: Path) -> None:
    text = bundled_text("desk-breathing")
    (user_dir / "a.toml").write_text(text, "utf-8")
    (user_dir / "b.toml").write_text(text.replace("Desk breathing break", "Other"), "utf-8")
    library = load_library()
    assert library.get("desk-breathing").title == "Desk breathing break"
    assert [str(p) for p in library.problems] == [
        (
            f"{user_dir / 'b.toml'}: id: routine 'desk-breathing' is already defined by "
            f"{user_dir / 'a.toml'}; this file is ignored"
        )
    ]


def test_files_that_are_not_toml_are_ignored(user_dir: Path) -> None:
    (user_dir / "notes.txt").write_text("not a routine", "utf-8")
    assert load_library().problems == ()


def test_an_unknown_id_names_the_known_ones(user_dir: Path) -> None:
    with pytest.raises(RoutineError) as caught:
        load_library().get("nope")
    assert str(caught.value) == "unknown routine 'nope'; known: desk-breathing, one-minute-back"
