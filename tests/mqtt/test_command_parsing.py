"""Command payloads parsed without a broker: plain words, JSON, and the stale-command rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from companion.mqtt.commands import Command, CommandError, parse_command

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
