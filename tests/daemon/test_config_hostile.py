"""Hostile configuration: whatever the file or a BACKSTRETCH_* variable holds, the result is
a configuration whose every number is usable, or one ConfigError line naming the source.
The numeric limits are tested at their boundaries."""

from __future__ import annotations

import contextlib
import math
import os
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companion.config import EXAMPLE_CONFIG, HubConfig, load_config
from companion.config.models import MAX_DEVICES, MAX_SCHEDULES, MAX_TIMES_PER_SCHEDULE
from companion.errors import ConfigError
from routines import RoutineLibrary
from tests.routines.hostile import (
    assert_one_line,
    deep_headers,
    hostile_bytes,
    hostile_documents,
    hostile_values,
    to_toml,
)

BASES: list[dict[str, Any]] = [
    tomllib.loads(EXAMPLE_CONFIG),
    {},
    {"devices": ["BackStretch-1"], "pace_bpm": 6, "mqtt": {"url": "mqtt://localhost"}},
]
FIELDS = [
    "pace_bpm",
    "abort_after_s",
    "wait_min",
    "snooze_min",
    "skip_if_done_within_min",
    "catch_up_min",
    "every_min",
    "discovery_delay_s",
    "devices",
    "schedules",
    "at",
    "between",
    "days",
    "start",
    "end",
    "time_zone",
    "ca_file",
    "history_file",
    "hub_id",
    "routine",
    "url",
]
HYPOTHESIS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check_usable(config: HubConfig) -> None:
    """Every number is finite and turns into the timestamps the hub makes from it."""
    stack: list[Any] = [config.model_dump()]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, float):
            assert math.isfinite(value)
    now = datetime.now(UTC)
    reminders = config.reminders
    for minutes in (
        reminders.wait_min,
        reminders.snooze_min,
        reminders.skip_if_done_within_min,
        reminders.catch_up_min,
    ):
        assert now + timedelta(minutes=minutes) >= now
    assert now + timedelta(seconds=config.abort_after_s) > now
    for schedule in config.schedules:
        assert schedule.times()
    assert config.zone is not None


def outcome(path: Path, library: RoutineLibrary) -> None:
    try:
        config = load_config(path, library=library)
    except ConfigError as exc:
        assert_one_line(str(exc), str(path))
        return
    check_usable(config)


@pytest.fixture
def scratch(xdg: Path) -> Path:
    return xdg / "config.toml"


@HYPOTHESIS
@given(text=hostile_documents(BASES, FIELDS))
def test_a_hostile_file_is_a_configuration_or_one_line(
    scratch: Path, library: RoutineLibrary, text: str
) -> None:
    scratch.write_text(text, "utf-8")
    outcome(scratch, library)


@HYPOTHESIS
@given(data=hostile_bytes(hostile_documents(BASES, FIELDS)))
def test_hostile_bytes_are_a_configuration_or_one_line(
    scratch: Path, library: RoutineLibrary, data: bytes
) -> None:
    scratch.write_bytes(data)
    try:
        config = load_config(scratch, library=library)
    except ConfigError as exc:
        assert_one_line(str(exc), str(scratch))
        return
    check_usable(config)


@contextlib.contextmanager
def variable(name: str, value: str) -> Iterator[None]:
    os.environ[name] = value
    try:
        yield
    finally:
        del os.environ[name]


def _as_variable(value: Any) -> str:
    # What a person could put in a variable: a number or a word as is, a list or a table
    # as JSON (pydantic-settings' convention), or TOML-ish text that is neither.
    text = to_toml({"v": value}).removeprefix("v = ").rstrip("\n")
    return text.strip('"') if isinstance(value, str) else text


@HYPOTHESIS
@given(
    name=st.sampled_from(
        [
            "BACKSTRETCH_PACE_BPM",
            "BACKSTRETCH_ABORT_AFTER_S",
            "BACKSTRETCH_REMINDERS__WAIT_MIN",
            "BACKSTRETCH_REMINDERS__CATCH_UP_MIN",
            "BACKSTRETCH_MQTT__DISCOVERY_DELAY_S",
            "BACKSTRETCH_SCHEDULES",
            "BACKSTRETCH_DEVICES",
            "BACKSTRETCH_MQTT",
            "BACKSTRETCH_QUIET_HOURS",
            "BACKSTRETCH_TIME_ZONE",
        ]
    ),
    value=hostile_values.map(_as_variable),
)
def test_a_hostile_variable_is_a_configuration_or_one_line_naming_it(
    scratch: Path, library: RoutineLibrary, name: str, value: str
) -> None:
    scratch.write_text("", "utf-8")
    with variable(name, value.replace("\0", "")):
        try:
            config = load_config(scratch, library=library)
        except ConfigError as exc:
            message = str(exc)
            assert_one_line(message, f"environment variable {name}")
            return
    check_usable(config)


# ----------------------------------------------------------------------------- the limits


def error(scratch: Path, library: RoutineLibrary, text: str) -> str:
    scratch.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(scratch, library=library)
    assert_one_line(str(caught.value), str(scratch))
    return str(caught.value).removeprefix(f"{scratch}: ")


def loads(scratch: Path, library: RoutineLibrary, text: str) -> HubConfig:
    scratch.write_text(text, "utf-8")
    config = load_config(scratch, library=library)
    check_usable(config)
    return config


WINDOW = 'between = ["09:00", "10:00"]\n'


@pytest.mark.parametrize(
    ("table", "field", "low", "high", "below", "above", "low_word"),
    [
        ("", "pace_bpm", "3", "12", "2.99", "12.01", "at least 3"),
        ("", "abort_after_s", "1", "3600", "0.99", "3600.5", "at least 1"),
        ("[reminders]\n", "wait_min", "0.5", "120", "0.49", "120.5", "at least 0.5"),
        ("[reminders]\n", "snooze_min", "1", "240", "0", "240.5", "at least 1"),
        ("[reminders]\n", "skip_if_done_within_min", "0", "1440", "-1", "1441", "at least 0"),
        ("[reminders]\n", "catch_up_min", "0", "120", "-0.5", "121", "at least 0"),
        ("[mqtt]\n", "discovery_delay_s", "0", "60", "-1", "60.5", "at least 0"),
        ("[[schedules]]\n" + WINDOW, "every_min", "5", "720", "4", "721", "at least 5"),
    ],
)
def test_each_number_at_its_limits_and_just_past_them(
    scratch: Path,
    library: RoutineLibrary,
    table: str,
    field: str,
    low: str,
    high: str,
    below: str,
    above: str,
    low_word: str,
) -> None:
    where = {"[reminders]\n": "reminders.", "[mqtt]\n": "mqtt.", "": ""}.get(table, "schedules[0].")
    for value in (low, high):
        loads(scratch, library, f"{table}{field} = {value}\n")
    assert error(scratch, library, f"{table}{field} = {below}\n").startswith(
        f"{where}{field}: must be {low_word} (got {below})"
    )
    assert error(scratch, library, f"{table}{field} = {above}\n").startswith(
        f"{where}{field}: must be at most {high} (got {above})"
    )
    for value in ("inf", "-inf", "nan", "1e308", str(2**63 - 1)):
        assert error(scratch, library, f"{table}{field} = {value}\n").startswith(
            f"{where}{field}: "
        )
    assert error(scratch, library, f"{table}{field} = {2**63}\n").startswith(
        f"{where}{field}: integer out of range"
    )


@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
def test_a_number_that_is_not_finite_says_so(
    scratch: Path, library: RoutineLibrary, value: str
) -> None:
    assert error(scratch, library, f"[reminders]\nwait_min = {value}\n") == (
        "reminders.wait_min: must be a finite number"
    )


def _schedules(count: int) -> str:
    return "".join(
        f'[[schedules]]\nat = ["{hour % 24:02d}:{hour // 24:02d}"]\n' for hour in range(count)
    )


def test_counts_at_their_limit_load_and_one_more_is_named(
    scratch: Path, library: RoutineLibrary
) -> None:
    devices = [f"BackStretch-{n}" for n in range(MAX_DEVICES + 1)]
    loads(scratch, library, f"devices = {devices[:-1]}\n")
    assert error(scratch, library, f"devices = {devices}\n") == (
        f"devices: has too many items: at most {MAX_DEVICES} (got {MAX_DEVICES + 1})"
    )
    loads(scratch, library, _schedules(MAX_SCHEDULES))
    assert error(scratch, library, _schedules(MAX_SCHEDULES + 1)) == (
        f"schedules: has too many items: at most {MAX_SCHEDULES} (got {MAX_SCHEDULES + 1})"
    )
    times = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in (0, 30)]
    loads(scratch, library, f"[[schedules]]\nat = {times[:MAX_TIMES_PER_SCHEDULE]}\n")
    assert error(
        scratch, library, f"[[schedules]]\nat = {times[: MAX_TIMES_PER_SCHEDULE + 1]}\n"
    ) == (f"schedules[0].at: has too many items: at most {MAX_TIMES_PER_SCHEDULE} (got 25)")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x = " + "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("x = " + "{a = " * 3000 + "1" + "}" * 3000, "nested too deeply"),
        (deep_headers(20_000), "nested too deeply"),
        ("[reminders]\nwait_min = " + "9" * 5000, "an integer with thousands of digits"),
        ("time_zone = 5", "time_zone: must be a string (got 5)"),
        ("[mqtt]\nca_file = '" + "a" * 5000 + "'", "mqtt.ca_file: cannot use aaaa"),
        ('"new\\nline" = 1', "new\\nline: unknown field"),
        ("pace_bpm = 6\npace_bpm", "TOML syntax error"),
    ],
    ids=["arrays", "inline-tables", "headers", "digits", "type", "long-name", "newline", "cut"],
)
def test_a_file_that_breaks_a_parser_or_a_check_is_one_line(
    scratch: Path, library: RoutineLibrary, text: str, expected: str
) -> None:
    assert expected in error(scratch, library, text)


def test_a_file_that_is_not_utf8_gives_the_line(scratch: Path, library: RoutineLibrary) -> None:
    scratch.write_bytes(b'hub_id = "desk"\nroutine = "caf\xe9"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(scratch, library=library)
    assert str(caught.value) == (
        f"{scratch}: not UTF-8 text (byte 0xe9 at line 2, column 15); save the file as UTF-8"
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("BACKSTRETCH_SCHEDULES", "[", "schedules: not valid JSON (Expecting value"),
        ("BACKSTRETCH_MQTT", "{", "mqtt: not valid JSON"),
        ("BACKSTRETCH_SCHEDULES", "[" * 5000 + "]" * 5000, "its JSON is nested too deeply"),
        ("BACKSTRETCH_REMINDERS__WAIT_MIN", "inf", "reminders.wait_min: must be a finite number"),
        ("BACKSTRETCH_PACE_BPM", "1e999", "pace_bpm: must be a finite number"),
    ],
)
def test_a_broken_variable_is_named(
    scratch: Path,
    library: RoutineLibrary,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
    expected: str,
) -> None:
    scratch.write_text("", "utf-8")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_config(scratch, library=library)
    assert str(caught.value).startswith(f"environment variable {name}: {expected}")
