"""`backstretch mqtt forget` clears the hub's discovery config and retained topics."""

from __future__ import annotations

import asyncio

import pytest

from companion.cli import main
from companion.mqtt import Topics
from companion.mqtt.forget import forget_hub
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


async def test_forget_removes_the_entities_before_their_state(broker: Broker, hub_id: str) -> None:
    """Home Assistant's entities read the state topic until their config is gone: the config
    is cleared first, and the state only after a pause for Home Assistant to act on it."""
    async with hub_rig(broker, hub_id) as rig:
        topics = Topics.of(rig.settings)
        await rig.mirror.wait_connected()
    async with watching(broker, f"{topics.hub}/#", topics.discovery) as watcher:
        await _retained(watcher)
        mark = len(watcher.seen)
        task = asyncio.create_task(forget_hub(rig.settings, listen_s=0.3, settle_s=0.5))
        config = await watcher.wait_for(
            lambda m: m.topic == topics.discovery and not m.payload, start=mark
        )
        # Nothing else is cleared until the config has been gone a while.
        assert [m.topic for m in watcher.seen[mark:] if not m.payload] == [topics.discovery]
        state = await watcher.wait_for(
            lambda m: m.topic == topics.state and not m.payload, start=mark
        )
        cleared = await asyncio.wait_for(task, 10)
    assert cleared == sorted({topics.discovery, topics.status, topics.state})
    empties = [m.topic for m in watcher.seen[mark:] if not m.payload]
    assert empties[0] == topics.discovery
    assert set(empties) == set(cleared)
    assert state.received - config.received >= 0.5


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
