"""Commands over a real broker: each works and answers; bad ones are refused and change nothing."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from companion.mqtt import Topics
from companion.session.engine import SessionState
from tests.mqtt.conftest import Broker, HubRig, Watcher, hub_rig, watching

pytestmark = pytest.mark.mqtt


async def ask(
    watcher: Watcher, topics: Topics, name: str, payload: bytes | str | dict[str, Any]
) -> Any:
    """Send a command and return its result."""
    mark = len(watcher.seen)
    body = json.dumps(payload) if isinstance(payload, dict) else payload
    await watcher.publish(topics.command(name), body)
    return await watcher.wait_json(topics.result(name), start=mark)


async def test_every_command_works_and_answers(broker: Broker, hub_id: str) -> None:
    async with watching(broker, "backstretch/#") as watcher, hub_rig(broker, hub_id) as rig:
        topics = Topics.of(rig.settings)
        await rig.mirror.wait_connected()
        ok: dict[str, Any] = {"request_id": None, "status": "ok", "error": None}

        assert await ask(watcher, topics, "routine", "desk-breathing") == ok
        await watcher.wait_json(topics.state, routine="desk-breathing")
        answer = await ask(
            watcher, topics, "routine", {"routine": "one-minute-back", "request_id": 7}
        )
        assert answer == {**ok, "request_id": 7}
        assert rig.hub.routine == "one-minute-back"

        assert await ask(watcher, topics, "pace", "6.0") == ok  # what HA's number sends
        await watcher.wait_json(topics.state, pace_bpm=6.0)
        assert await ask(watcher, topics, "pace", {"pace_bpm": None}) == ok
        assert rig.hub.pace_bpm is None

        assert await ask(watcher, topics, "schedule", "ON") == ok
        await watcher.wait_json(topics.state, schedule_enabled=True)
        assert await ask(watcher, topics, "schedule", {"enabled": False, "request_id": "s"}) == {
            **ok,
            "request_id": "s",
        }
        assert rig.hub.schedule_enabled is False

        mark = len(watcher.seen)
        assert await ask(watcher, topics, "session", "start") == ok
        await watcher.wait_json(topics.state, start=mark, session="countdown")
        assert await ask(watcher, topics, "session", "pause") == ok
        await watcher.wait_json(topics.state, start=mark, session="paused")
        assert await ask(watcher, topics, "session", "resume") == ok
        assert rig.hub.session_state is SessionState.COUNTDOWN
        assert await ask(watcher, topics, "session", "skip") == ok
        await watcher.wait_json(topics.state, start=mark, session="running", step="knee-rolls")
        assert await ask(watcher, topics, "session", "STOP") == ok
        await watcher.wait_json(topics.state, start=mark, session="stopped")

        mark = len(watcher.seen)
        start = {
            "action": "start",
            "routine": "one-minute-back",
            "exercises": ["sphinx", "cat-cow"],
            "pace_bpm": 5,
            "request_id": "r2",
            "not_after": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
        }
        assert await ask(watcher, topics, "session", start) == {**ok, "request_id": "r2"}
        state = await watcher.wait_json(topics.state, start=mark, session="countdown")
        assert (state["steps_total"], state["pace_bpm"]) == (2, 5.0)
        assert await ask(watcher, topics, "session", {"action": "stop", "request_id": 3}) == {
            **ok,
            "request_id": 3,
        }


def settings_of(rig: HubRig) -> tuple[object, ...]:
    engine = rig.hub.engine
    return (
        rig.hub.routine,
        rig.hub.pace_bpm,
        rig.hub.schedule_enabled,
        engine and engine.session_id,
    )


async def test_bad_commands_get_an_error_and_change_nothing(broker: Broker, hub_id: str) -> None:
    expired = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    bad: list[tuple[str, bytes | str | dict[str, Any], str]] = [
        ("session", "{nope", "invalid JSON"),
        ("session", "dance", "unknown session action 'dance'"),
        ("session", {"action": "dance", "request_id": 1}, "unknown action"),
        ("session", {"action": "start", "routine": "handstand"}, "unknown routine 'handstand'"),
        ("session", {"action": "start", "exercises": ["backflip"]}, "backflip"),
        ("session", {"action": "start", "pace_bpm": 20}, "pace must be 3 to 12"),
        ("session", {"action": "start", "exercise": ["sphinx"]}, "unknown field 'exercise'"),
        ("session", {"action": "start", "not_after": expired}, "expired"),
        ("session", b"x" * (1 << 20), "command too large (1048576 bytes"),
        ("session", b"\xff\xfe", "not UTF-8"),
        ("session", "[1, 2]", "unknown session action"),
        ("session", "pause", "no session is running"),
        ("routine", "handstand", "unknown routine 'handstand'"),
        ("routine", {"routine": 5}, "routine"),
        ("pace", "2", "pace must be 3 to 12"),
        ("pace", "fast", "pace must be a number"),
        ("pace", "nan", "finite"),
        ("pace", {"pace_bpm": 13, "request_id": "p"}, "pace must be 3 to 12"),
        ("schedule", "maybe", "ON or OFF"),
        ("schedule", {"enabled": "sometimes"}, "enabled"),
    ]
    async with watching(broker, "backstretch/#") as watcher, hub_rig(broker, hub_id) as rig:
        topics = Topics.of(rig.settings)
        await rig.mirror.wait_connected()
        before = settings_of(rig)
        for name, payload, message in bad:
            answer = await ask(watcher, topics, name, payload)
            assert answer["status"] == "error", (name, payload)
            assert message in answer["error"], (payload, answer)
            if isinstance(payload, dict):
                assert answer["request_id"] == payload.get("request_id")
            else:
                assert answer["request_id"] is None
        assert settings_of(rig) == before
        assert rig.hub.session_state is SessionState.IDLE

        # A start while another session runs is refused; the running one goes on.
        assert (await ask(watcher, topics, "session", "start"))["status"] == "ok"
        running = rig.hub.engine
        answer = await ask(watcher, topics, "session", {"action": "start", "request_id": "again"})
        assert answer["request_id"] == "again"
        assert "already countdown" in answer["error"] or "already running" in answer["error"]
        assert rig.hub.engine is running
        assert running is not None
        assert running.active
        running.stop()


async def test_a_retained_command_is_never_carried_out(
    broker: Broker, hub_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    topics = Topics(f"backstretch/{hub_id}", "", "homeassistant/status")
    async with watching(broker, "backstretch/#") as watcher:
        # A stale `start` left retained on the broker, as a misconfigured tool would leave it.
        await watcher.publish(topics.command("session"), "start", retain=True)
        try:
            with caplog.at_level(logging.WARNING, logger="companion.mqtt"):
                async with hub_rig(broker, hub_id) as rig:
                    await rig.mirror.wait_connected()
                    # The retained message arrives with the subscription; a live command after
                    # it proves the hub has read past it.
                    answer = await ask(watcher, topics, "routine", "desk-breathing")
                    assert answer["status"] == "ok"
                    assert rig.hub.engine is None
            assert not watcher.on(topics.result("session"))
            assert any("ignoring a retained command" in r.getMessage() for r in caplog.records)
        finally:
            await watcher.publish(topics.command("session"), b"", retain=True)
