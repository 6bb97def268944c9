"""Command payloads parsed without a broker: plain words, JSON, and the stale-command rule."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.hub import Hub
from companion.mqtt.commands import Command, CommandError, apply, parse_command
from routines import load_library

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def parse(name: str, payload: str | bytes) -> Command:
    raw = payload.encode() if isinstance(payload, str) else payload
    return parse_command(name, raw, now=lambda: NOW)


@pytest.mark.parametrize(
    ("name", "payload", "expected"),
    [
        ("session", " Start\n", Command("session", "start")),
        ("session", "skip", Command("session", "skip")),
        ("routine", "desk-breathing", Command("routine", "select", routine="desk-breathing")),
        ("pace", "6", Command("pace", "set", pace_bpm=6.0)),
        ("pace", "none", Command("pace", "set", pace_bpm=None)),
        ("schedule", "on", Command("schedule", "set", enabled=True)),
        ("schedule", "OFF", Command("schedule", "set", enabled=False)),
        (
            "session",
            '{"action": "start", "routine": "r", "exercises": ["a", "b"], "request_id": 4}',
            Command("session", "start", 4, routine="r", exercises=("a", "b")),
        ),
        ("pace", '{"pace_bpm": 4.5, "request_id": "x"}', Command("pace", "set", "x", pace_bpm=4.5)),
        ("schedule", '{"enabled": true}', Command("schedule", "set", enabled=True)),
    ],
)
def test_accepted_forms(name: str, payload: str, expected: Command) -> None:
    assert parse(name, payload) == expected


@pytest.mark.parametrize(
    ("not_after", "accepted"),
    [
        ('"2026-03-02T15:00:01+00:00"', True),
        ('"2026-03-02T16:00:00+01:00"', True),  # the same instant in another zone: not after
        ('"2026-03-02T14:59:59Z"', False),
        (str(NOW.timestamp() + 5), True),  # Unix seconds
        (str(NOW.timestamp() - 5), False),
    ],
)
def test_not_after_drops_stale_commands(not_after: str, accepted: bool) -> None:
    payload = f'{{"action": "start", "not_after": {not_after}, "request_id": "q"}}'
    if accepted:
        assert parse("session", payload).action == "start"
    else:
        with pytest.raises(CommandError, match="expired") as caught:
            parse("session", payload)
        assert caught.value.request_id == "q"


def test_not_after_needs_a_time_zone() -> None:
    with pytest.raises(CommandError, match="not_after"):
        parse("session", '{"action": "start", "not_after": "2030-01-01T00:00:00"}')


def test_the_request_id_is_echoed_even_when_the_rest_is_wrong() -> None:
    with pytest.raises(CommandError) as caught:
        parse("session", '{"action": "start", "pace_bpm": "fast", "request_id": "keep"}')
    assert caught.value.request_id == "keep"
    with pytest.raises(CommandError) as caught:
        parse("session", '{"action": "start", "request_id": true}')
    assert caught.value.request_id is None


def test_size_is_checked_before_anything_else() -> None:
    with pytest.raises(CommandError, match="too large"):
        parse_command("session", b"{" * 5000, now=lambda: NOW, max_bytes=4096)
    deep = "[" * 3000 + "]" * 3000
    with pytest.raises(CommandError, match="invalid JSON"):
        parse_command(
            "session", ("{" + f'"a": {deep}' + "}").encode(), now=lambda: NOW, max_bytes=10_000
        )


# -- hostile payloads ------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=300),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=80), inner),
    max_leaves=20,
)
command_objects = st.dictionaries(
    st.sampled_from(["action", "routine", "exercises", "pace_bpm", "request_id", "not_after"])
    | st.text(max_size=200),
    json_values,
    max_size=6,
)


def check_refusal(error: CommandError) -> None:
    message = str(error)
    assert message.isprintable()
    assert len(message) <= 300
    if isinstance(error.request_id, str):
        assert len(error.request_id) <= 64
    if isinstance(error.request_id, int):
        assert -(2**63) <= error.request_id < 2**63


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(["session", "routine", "pace", "schedule"]),
    payload=st.binary(max_size=600)
    | st.text(max_size=600).map(str.encode)
    | command_objects.map(lambda obj: json.dumps(obj).encode()),
)
def test_any_payload_is_a_command_or_one_short_printable_refusal(name: str, payload: bytes) -> None:
    try:
        command = parse(name, payload)
    except CommandError as error:
        check_refusal(error)
        return
    assert command.name == name
    for text in (command.routine, *(command.exercises or ())):
        assert text is None or len(text) <= 64
    assert command.pace_bpm is None or math.isfinite(command.pace_bpm)


@pytest.mark.parametrize(
    "payload",
    [
        "\x1b[2J\x1b]0;owned\x07" + "x" * 3000,
        '{"action": "start", "routine": "' + "r" * 500 + '"}',
        '{"action": "\\u001b[31mred", "request_id": "' + "i" * 500 + '"}',
        '{"action": "start", "request_id": ' + "9" * 400 + "}",
        '{"' + "k" * 1000 + '": 1, "action": "stop"}',
    ],
    ids=["escape sequences", "long routine", "long id", "huge id", "long key"],
)
def test_what_a_client_sent_is_echoed_short_and_printable(payload: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse("session", payload)
    check_refusal(caught.value)
    assert "\x1b" not in str(caught.value)
    assert caught.value.request_id is None


def test_an_unknown_routine_from_a_client_is_echoed_short() -> None:
    hub = Hub(load_library(None))
    command = parse("routine", "\x1b[2J" + "y" * 60)
    with pytest.raises(CommandError) as caught:
        apply(hub, command)
    check_refusal(caught.value)
    assert "\\x1b[2J" in str(caught.value)
