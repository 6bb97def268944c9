"""`backstretch mqtt forget` removes the device from Home Assistant without a complaint.

The entities read the state topic through templates until their discovery config is gone,
so the config must be cleared first. The second test clears them in the other order and
shows that Home Assistant then complains, and that the log check sees it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import aiomqtt
import pytest

from tests.ha.hass import HA_CLEANUP_NOTE, HomeAssistant, assert_clean_log, eventually, our_problems
from tests.ha.hub import HubProcess, entity_ids, forget
from tests.ha.test_discovery import available
from tests.mqtt.conftest import Broker

pytestmark = pytest.mark.ha


async def _a_hub_that_ran_and_stopped(
    ha: HomeAssistant, hubs: Callable[[str], HubProcess], hub_id: str
) -> None:
    hub = hubs(hub_id)
    await eventually(lambda: available(ha, hub_id), 60, "every entity available")
    assert await hub.terminate() == 0


async def _gone(ha: HomeAssistant, hub_id: str) -> bool:
    """No entity of the hub left in Home Assistant, and no device."""
    states = await ha.states()
    if any(entity in states for entity in entity_ids(hub_id).values()):
        return False
    async with ha.socket() as socket:
        devices = await socket.device_registry()
    return not any(["mqtt", f"backstretch_{hub_id}"] in d["identifiers"] for d in devices)


async def test_forget_removes_the_device_without_a_warning(
    ha: HomeAssistant,
    ha_broker: Broker,
    hubs: Callable[[str], HubProcess],
    hub_id: str,
    tmp_path: Path,
) -> None:
    await _a_hub_that_ran_and_stopped(ha, hubs, hub_id)
    mark = ha.log_mark()
    code, output = await forget(ha_broker.url, hub_id, tmp_path)
    assert code == 0, output
    assert f"cleared homeassistant/device/backstretch_{hub_id}/config" in output
    await eventually(lambda: _gone(ha, hub_id), 15, "the device removed")
    # Anything Home Assistant had to say about the cleared topics has been said by now.
    await asyncio.sleep(2.0)
    assert_clean_log(ha, mark, allowed=(HA_CLEANUP_NOTE,))


async def test_state_cleared_before_the_config_is_what_the_log_check_catches(
    ha: HomeAssistant, ha_broker: Broker, hubs: Callable[[str], HubProcess], hub_id: str
) -> None:
    """The order `forget` had before: the state first. Home Assistant's entities, still
    subscribed, render their templates on an empty payload."""
    await _a_hub_that_ran_and_stopped(ha, hubs, hub_id)
    mark = ha.log_mark()
    async with aiomqtt.Client("127.0.0.1", ha_broker.port) as client:
        for topic in (
            f"backstretch/{hub_id}/state",
            f"backstretch/{hub_id}/status",
            f"homeassistant/device/backstretch_{hub_id}/config",
        ):
            await client.publish(topic, b"", qos=1, retain=True)
    await eventually(lambda: _gone(ha, hub_id), 15, "the device removed")
    await asyncio.sleep(2.0)
    problems = our_problems(ha.log_since(mark), allowed=(HA_CLEANUP_NOTE,))
    assert any("'value_json' is undefined" in problem.message for problem in problems)
