"""Restarts on either side: Home Assistant's creates nothing twice; the hub's show unavailable."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tests.ha.hass import HaSocket, HomeAssistant, assert_clean_log, eventually
from tests.ha.hub import HubProcess, entity_ids
from tests.ha.test_discovery import DISABLED, available
from tests.mqtt.conftest import Broker, watching

pytestmark = pytest.mark.ha


async def test_home_assistant_restarting_creates_nothing_twice(
    ha: HomeAssistant, ha_broker: Broker, hubs: Callable[[str], HubProcess], hub_id: str
) -> None:
    hubs(hub_id)
    await eventually(lambda: available(ha, hub_id), 60, "every entity available")
    async with ha.socket() as socket:
        before = await _registered(socket, hub_id)
    assert len(before["entities"]) == len(entity_ids(hub_id))
    assert len(before["devices"]) == 1

    mark = ha.log_mark()
    discovery = f"homeassistant/device/backstretch_{hub_id}/config"
    async with watching(ha_broker, discovery) as watcher:
        seen = len(watcher.seen)
        await ha.restart()
        # The hub answers Home Assistant's birth by sending its discovery again; Home
        # Assistant now has it twice (retained, and re-sent) and must make nothing anew.
        await watcher.wait_for(lambda m: m.topic == discovery and not m.retain, 30.0, seen)
    await eventually(lambda: available(ha, hub_id), 60, "every entity available again")
    await asyncio.sleep(2.0)
    async with ha.socket() as socket:
        after = await _registered(socket, hub_id)
    assert after == before
    assert_clean_log(ha, mark)


async def _registered(socket: HaSocket, hub_id: str) -> dict[str, Any]:
    """The hub's device and entities in Home Assistant's registries: ids and creation times
    (anything made again would have new ones, or a `_2` entity id)."""
    node = f"backstretch_{hub_id}"
    devices = [d for d in await socket.device_registry() if ["mqtt", node] in d["identifiers"]]
    entities = [
        e
        for e in await socket.entity_registry()
        if e["platform"] == "mqtt" and str(e["unique_id"]).startswith(f"{node}_")
    ]
    return {
        "devices": sorted((d["id"], d.get("created_at")) for d in devices),
        "entities": sorted(
            (e["entity_id"], e["unique_id"], e["id"], e.get("created_at"), e["device_id"])
            for e in entities
        ),
    }


async def test_a_stopped_or_killed_hub_makes_every_entity_unavailable(
    ha: HomeAssistant, hubs: Callable[[str], HubProcess], hub_id: str
) -> None:
    mark = ha.log_mark()
    enabled = [entity for key, entity in entity_ids(hub_id).items() if key not in DISABLED]

    async def unavailable() -> bool:
        states = await ha.states()
        return all(states[entity]["state"] == "unavailable" for entity in enabled)

    hub = hubs(hub_id)
    await eventually(lambda: available(ha, hub_id), 60, "every entity available")
    assert await hub.terminate() == 0
    await eventually(unavailable, 15, "every entity unavailable after SIGTERM")

    hub = hubs(hub_id)
    await eventually(lambda: available(ha, hub_id), 60, "every entity available again")
    await hub.kill()
    # The broker publishes the hub's will (`offline`) when its connection drops.
    await eventually(unavailable, 15, "every entity unavailable after SIGKILL")
    assert_clean_log(ha, mark)
