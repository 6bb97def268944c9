"""`backstretch mqtt forget` clears the hub's discovery config and retained topics."""

from __future__ import annotations

import asyncio

import pytest

from companion.cli import main
from companion.mqtt import Topics
from tests.mqtt.conftest import Broker, Seen, Watcher, hub_rig, watching

pytestmark = pytest.mark.mqtt


async def test_forget_removes_discovery_and_every_retained_topic(
    broker: Broker, hub_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with hub_rig(broker, hub_id) as rig:
        topics = Topics.of(rig.settings)
        await rig.mirror.wait_connected()
    async with watching(broker, f"{topics.hub}/#", topics.discovery) as watcher:
        # A leftover from some older tool, retained under the hub's base.
        await watcher.publish(f"{topics.hub}/legacy/thing", "x", retain=True)
    async with watching(broker, f"{topics.hub}/#", topics.discovery) as watcher:
        retained = {m.topic for m in await _retained(watcher)}
        assert retained == {
            topics.status,
            topics.state,
            topics.discovery,
            f"{topics.hub}/legacy/thing",
        }

    code = await asyncio.to_thread(
        main, ["mqtt", "forget", "--mqtt", broker.url, "--hub-id", hub_id]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert f"cleared {topics.discovery}" in printed
    assert f"cleared {topics.hub}/legacy/thing" in printed

    async with watching(broker, f"{topics.hub}/#", topics.discovery) as watcher:
        assert await _retained(watcher) == []


async def _retained(watcher: Watcher) -> list[Seen]:
    # A broker sends retained messages right after SUBACK; a live marker shows they are all in.
    marker = f"marker/{id(watcher)}"
    await watcher.client.subscribe(marker, qos=1)
    await watcher.publish(marker, "end")
    await watcher.wait_for(lambda m: m.topic == marker)
    return [m for m in watcher.seen if m.retain and m.payload]


def test_forget_with_a_bad_url_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["mqtt", "forget", "--mqtt", "mqtt://ann:hunter2@127.0.0.1:1", "--hub-id", "x"]) == 1
    )
    err = capsys.readouterr().err
    assert err.startswith("backstretch: error: MQTT broker mqtt://ann@127.0.0.1:1")
    assert "hunter2" not in err
