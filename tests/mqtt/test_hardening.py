"""The mirror's loops survive unexpected data: the bad message is logged and lost, the rest go
out; a command that trips a bug of ours is answered, and the next one still works."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from companion.events import ButtonPressed
from companion.mqtt import Topics
from companion.mqtt.payloads import encode
from tests.mqtt.conftest import Broker, hub_rig, watching

pytestmark = pytest.mark.mqtt


class Unprintable:
    """A value no JSON encoder knows."""


async def test_an_event_that_cannot_be_encoded_costs_that_event_only(
    broker: Broker, hub_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with hub_rig(broker, hub_id) as rig:
        topics = Topics.of(rig.settings)
        await rig.mirror.wait_connected()
        async with watching(broker, topics.event) as watcher:
            bad: Any = Unprintable()
            rig.hub.bus.publish(ButtonPressed(device_id=bad, press="short"))
            rig.hub.bus.publish(ButtonPressed(device_id="after", press="long"))
            good = await watcher.wait_for(lambda m: m.json().get("device_id") == "after")
    assert good.json()["press"] == "long"
    assert "MQTT event mirror failed: TypeError" in caplog.text
    assert "Traceback" not in caplog.text


async def test_a_state_that_cannot_be_built_is_retried(
    broker: Broker, hub_id: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with hub_rig(broker, hub_id) as rig:
        topics = Topics.of(rig.settings)
        await rig.mirror.wait_connected()
        real = rig.hub.snapshot
        failures = iter([RuntimeError("a snapshot of nonsense")])

        def flaky() -> Any:
            for failure in failures:
                raise failure
            return real()

        monkeypatch.setattr(rig.hub, "snapshot", flaky)
        async with watching(broker, topics.state) as watcher:
            mark = len(watcher.seen)
            rig.hub.set_pace(7.0)
            state = await watcher.wait_json(topics.state, start=mark, pace_bpm=7.0)
    assert state["session"] == "idle"
    assert "MQTT state mirror failed: RuntimeError: a snapshot of nonsense" in caplog.text


async def test_a_command_that_trips_a_bug_is_answered_and_the_next_one_works(
    broker: Broker, hub_id: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with hub_rig(broker, hub_id) as rig:
        topics = Topics.of(rig.settings)
        await rig.mirror.wait_connected()

        def broken(_enabled: bool) -> None:
            raise ZeroDivisionError("oops")

        monkeypatch.setattr(rig.hub, "set_schedule_enabled", broken)
        async with watching(broker, topics.result("schedule"), topics.result("pace")) as watcher:
            await watcher.publish(topics.command("schedule"), '{"enabled": true, "request_id": 1}')
            failed = await watcher.wait_json(topics.result("schedule"))
            await watcher.publish(topics.command("pace"), '{"pace_bpm": 8, "request_id": 2}')
            answered = await watcher.wait_json(topics.result("pace"))
    assert failed == {
        "request_id": 1,
        "status": "error",
        "error": "the hub failed to carry it out (ZeroDivisionError)",
    }
    assert answered == {"request_id": 2, "status": "ok", "error": None}
    assert "MQTT command on schedule/set failed: ZeroDivisionError: oops" in caplog.text


def test_non_finite_numbers_go_out_as_null_so_the_json_stays_valid() -> None:
    payload = {"a": float("nan"), "b": [float("inf"), 1.5], "c": {"d": -float("inf")}}
    assert json.loads(encode(payload)) == {"a": None, "b": [None, 1.5], "c": {"d": None}}
