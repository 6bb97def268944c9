"""The broker goes away mid-session and comes back; Home Assistant restarts."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest

from companion.mqtt import Topics
from companion.session.engine import SessionState
from tests.mqtt.conftest import Broker, hub_rig, watching

pytestmark = pytest.mark.mqtt


async def test_a_broker_outage_never_touches_the_cues_and_the_hub_comes_back(
    own_broker: Broker, hub_id: str
) -> None:
    async with hub_rig(own_broker, hub_id, speed=10.0, reconnect_max_s=1.0) as rig:
        topics = Topics.of(rig.settings)
        await rig.mirror.wait_connected()
        events = rig.hub.bus.subscribe()
        engine = rig.hub.start(speed=10.0)
        async with asyncio.timeout(5):
            while (await events.get()).event_type != "step_changed":
                pass
        assert engine.state is SessionState.RUNNING

        own_broker.stop()
        # The hub keeps producing state and events while the broker is gone: the outbox
        # coalesces the state into one entry and the session does not notice.
        await asyncio.sleep(1.0)
        assert not rig.mirror.connected
        pending = rig.mirror.outbox.topics()
        assert pending.count(topics.state) == 1
        assert pending.count(topics.event) >= 1
        own_broker.start()
        back = asyncio.get_running_loop().time()
        async with watching(own_broker, f"{topics.hub}/#") as watcher:
            # The restarted broker kept nothing (no persistence): what the watcher gets was
            # published by the hub after it reconnected. The issue asks for 2 s; the test's
            # backoff cap (1 s) leaves a wide margin.
            remaining = 2.0 - (asyncio.get_running_loop().time() - back)
            await watcher.wait_for(
                lambda m: m.topic == topics.status and m.payload == b"online", timeout=remaining
            )
            remaining = 2.0 - (asyncio.get_running_loop().time() - back)
            state = await watcher.wait_for(lambda m: m.topic == topics.state, timeout=remaining)
            assert json.loads(state.payload)["session"] in ("running", "completed")
            assert rig.mirror.connections == 2

            result = await asyncio.wait_for(engine.wait(), 30)
            await watcher.wait_json(topics.state, 10.0, session="completed")

    assert result.status is SessionState.COMPLETED
    # Every cue was planned, sent and felt, the outage notwithstanding.
    assert result.figures.lost == 0
    assert result.figures.executed == len(result.planned) == len(engine.plan.cues)
    wearable_cues = [pulse.cue_id for pulse in rig.wearables[0].trace]
    assert sorted(wearable_cues) == [cue.index for cue in engine.plan.cues]


async def test_home_assistant_coming_online_gets_discovery_again(
    broker: Broker, hub_id: str
) -> None:
    async with hub_rig(broker, hub_id) as rig:
        topics = Topics.of(rig.settings)
        await rig.mirror.wait_connected()
        async with watching(broker, topics.discovery) as watcher:
            first = await watcher.wait_for(lambda m: m.topic == topics.discovery)
            assert first.retain  # retained: a late subscriber (openHAB, Domoticz) has it
            mark = len(watcher.seen)
            # HA's birth message (not retained, as HA sends it).
            await watcher.publish("homeassistant/status", "online")
            again = await watcher.wait_for(lambda m: m.topic == topics.discovery, start=mark)
            assert not again.retain  # a live message to a live subscriber
            assert json.loads(again.payload) == json.loads(first.payload)
            # Other birth payloads do nothing.
            mark = len(watcher.seen)
            await watcher.publish("homeassistant/status", "offline")
            await watcher.publish("homeassistant/status", "online")
            await watcher.wait_for(lambda m: m.topic == topics.discovery, start=mark)
            await asyncio.sleep(0.2)
            assert len(watcher.seen) == mark + 1


async def test_a_frozen_broker_never_delays_the_session(own_broker: Broker, hub_id: str) -> None:
    """SIGSTOP: the connection stays up but nothing is acknowledged (a slow broker)."""
    assert own_broker.process is not None
    async with hub_rig(own_broker, hub_id, speed=10.0) as rig:
        topics = Topics.of(rig.settings)
        await rig.mirror.wait_connected()
        engine = rig.hub.start(speed=10.0)
        own_broker.process.send_signal(signal.SIGSTOP)
        try:
            result = await asyncio.wait_for(engine.wait(), 30)
        finally:
            own_broker.process.send_signal(signal.SIGCONT)
        assert result.status is SessionState.COMPLETED
        assert result.figures.lost == 0
        assert result.figures.executed == len(engine.plan.cues)
        # Once the broker thaws, the retained state catches up with the session's end.
        async with watching(own_broker, topics.state) as watcher:
            await watcher.wait_json(topics.state, 15.0, session="completed")
