"""Configuration: the example, sources and their order, and every kind of wrong value."""

from __future__ import annotations

from pathlib import Path

import pytest

from companion.cli import main
from companion.config import (
    EXAMPLE_CONFIG,
    HubConfig,
    ReminderAction,
    default_config_path,
    load_config,
)
from companion.errors import ConfigError
from routines import RoutineLibrary


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path, library: RoutineLibrary) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, library=library)
    return str(caught.value)


def test_the_example_validates_as_written(xdg: Path, library: RoutineLibrary) -> None:
    config = load_config(write(xdg, EXAMPLE_CONFIG), library=library)
    assert config.routine == "one-minute-back"
    assert [s.name for s in config.schedules] == ["morning", "desk afternoon"]
    assert config.reminders.action is ReminderAction.WAIT_FOR_BUTTON
    assert config.quiet_hours is not None
    assert config.mqtt.base_topic == "backstretch"
    assert config.mqtt.discovery_prefix == "homeassistant"


def test_defaults_without_a_file(xdg: Path, library: RoutineLibrary) -> None:
    assert not default_config_path().exists()
    config = load_config(library=library)
    assert config.hub_id
    assert config.schedules == ()
    assert config.mqtt.url is None


def test_environment_overrides_the_file_and_options_override_both(
    xdg: Path, monkeypatch: pytest.MonkeyPatch, library: RoutineLibrary
) -> None:
    path = write(xdg, 'pace_bpm = 5\nhub_id = "file"\n[mqtt]\nbase_topic = "home/stretch"\n')
    monkeypatch.setenv("BACKSTRETCH_PACE_BPM", "7")
    monkeypatch.setenv("BACKSTRETCH_HUB_ID", "env")
    monkeypatch.setenv("BACKSTRETCH_MQTT__URL", "mqtt://broker.local:1883")
    config = load_config(path, overrides={"hub_id": "cli"}, library=library)
    assert config.pace_bpm == 7
    assert config.hub_id == "cli"
    # Nested: the variable sets one field of [mqtt], the file's other fields stay.
    assert config.mqtt.url == "mqtt://broker.local:1883"
    assert config.mqtt.base_topic == "home/stretch"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("colour = 'blue'\n", "colour: unknown field"),
        ("[reminders]\nsnoze_min = 5\n", "reminders.snoze_min: unknown field"),
        ('[[schedules]]\nat = ["25:00"]\n', 'schedules[0].at[0]: must be a time of day as "HH:MM"'),
        ('[[schedules]]\nat = ["9.30"]\n', "schedules[0].at[0]: must be a time of day"),
        ("[[schedules]]\nat = [09:30:15]\n", "schedules[0].at[0]: must be a time of day in whole"),
        (
            '[[schedules]]\nevery_min = 30\nbetween = ["17:00", "09:00"]\n',
            "schedules[0].between: the end (09:00) must be after the start (17:00)",
        ),
        ("[[schedules]]\nevery_min = 30\n", "schedules[0]: needs `at"),
        ('[[schedules]]\nat = ["10:00"]\ndays = ["funday"]\n', "schedules[0].days[0]: must be one"),
        ("pace_bpm = 30\n", "pace_bpm: must be at most 12"),
        ('time_zone = "Mars/Olympus"\n', "time_zone: unknown time zone 'Mars/Olympus'"),
        ('[quiet_hours]\nstart = "22:00"\nend = "22:00"\n', "quiet_hours: start and end"),
        ('[mqtt]\nurl = "http://broker"\n', "mqtt.url: must look like mqtt://HOST"),
        ('[mqtt]\nbase_topic = "a/#"\n', "mqtt.base_topic: must be a plain topic"),
        ('hub_id = "My Hub"\n', "hub_id:"),
        ('routine = "cartwheels"\n', "routine: unknown routine 'cartwheels'; known:"),
        (
            '[[schedules]]\nat = ["10:00"]\nroutine = "nope"\n',
            "schedules[0].routine: unknown routine 'nope'",
        ),
        ("x = [\n", "TOML syntax error"),
    ],
)
def test_a_wrong_value_names_the_file_the_field_and_the_problem(
    xdg: Path, library: RoutineLibrary, text: str, expected: str
) -> None:
    path = write(xdg, text)
    message = load_error(path, library)
    assert message.startswith(f"{path}: ")
    assert expected in message


@pytest.mark.parametrize(
    ("schedules", "expected"),
    [
        # The same time on a shared day.
        (
            (
                '[[schedules]]\nname = "a"\nat = ["10:00"]\ndays = ["mon"]\n'
                '[[schedules]]\nname = "b"\nat = ["10:00", "15:00"]\ndays = ["weekdays"]\n'
            ),
            "schedules[1]: 'b' (10:00) overlaps schedules[0] 'a' (10:00) on mon",
        ),
        # A time inside another schedule's window.
        (
            (
                '[[schedules]]\nname = "desk"\nevery_min = 30\nbetween = ["09:00", "12:00"]\n'
                '[[schedules]]\nname = "tea"\nat = ["11:15"]\n'
            ),
            "schedules[1]: 'tea' (11:15) overlaps schedules[0] 'desk' (09:00-12:00)",
        ),
        # Two windows that cross.
        (
            (
                '[[schedules]]\nname = "am"\nevery_min = 30\nbetween = ["09:00", "12:00"]\n'
                '[[schedules]]\nname = "pm"\nevery_min = 45\nbetween = ["11:30", "17:00"]\n'
            ),
            "schedules[1]: 'pm' (11:30-17:00) overlaps schedules[0] 'am' (09:00-12:00)",
        ),
    ],
)
def test_overlapping_schedules_are_an_error(
    xdg: Path, library: RoutineLibrary, schedules: str, expected: str
) -> None:
    assert expected in load_error(write(xdg, schedules), library)


def test_schedules_on_different_days_or_times_do_not_overlap(
    xdg: Path, library: RoutineLibrary
) -> None:
    path = write(
        xdg,
        '[[schedules]]\nat = ["10:00"]\ndays = ["weekdays"]\n'
        '[[schedules]]\nat = ["10:00"]\ndays = ["weekend"]\n'
        '[[schedules]]\nevery_min = 30\nbetween = ["13:00", "16:00"]\n'
        '[[schedules]]\nat = ["12:59", "16:01"]\n',
    )
    assert len(load_config(path, library=library).schedules) == 4


def test_an_error_from_the_environment_names_the_variable(
    xdg: Path, monkeypatch: pytest.MonkeyPatch, library: RoutineLibrary
) -> None:
    path = write(xdg, "[mqtt]\nbase_topic = 'b'\n")
    monkeypatch.setenv("BACKSTRETCH_MQTT__DISCOVERY_DELAY_S", "-3")
    message = load_error(path, library)
    assert message.startswith(
        "environment variable BACKSTRETCH_MQTT__DISCOVERY_DELAY_S: mqtt.discovery_delay_s:"
    )


def test_an_unknown_field_in_the_file_is_not_blamed_on_a_variable(
    xdg: Path, monkeypatch: pytest.MonkeyPatch, library: RoutineLibrary
) -> None:
    path = write(xdg, "[mqtt]\nbase_topik = 'b'\n")
    monkeypatch.setenv("BACKSTRETCH_MQTT__URL", "mqtt://localhost")
    assert load_error(path, library).startswith(f"{path}: mqtt.base_topik: unknown field")


def test_a_missing_config_file_asked_for_is_an_error(xdg: Path, library: RoutineLibrary) -> None:
    message = load_error(xdg / "nowhere.toml", library)
    assert "no such file" in message
    assert "backstretch config init" in message


def test_schedule_times_of_an_interval(xdg: Path) -> None:
    config = HubConfig.model_validate(
        {"schedules": [{"every_min": 45, "between": ["09:00", "11:00"]}]}
    )
    assert [f"{t:%H:%M}" for t in config.schedules[0].times()] == ["09:00", "09:45", "10:30"]


def test_config_init_writes_an_example_that_config_check_accepts(
    xdg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "init"]) == 0
    path = default_config_path()
    assert path.read_text(encoding="utf-8") == EXAMPLE_CONFIG
    assert main(["config", "check"]) == 0
    assert f"{path}: ok" in capsys.readouterr().out
    # An existing file is kept.
    assert main(["config", "init"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_config_check_reports_one_line_and_exit_1(
    xdg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(xdg, '[[schedules]]\nat = ["7:5"]\n')
    assert main(["config", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"backstretch: error: {path}: schedules[0].at[0]: ")
    assert err.count("\n") == 1
