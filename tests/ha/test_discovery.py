"""Home Assistant makes one device with every entity of our discovery, as we mean them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from companion import __version__
from companion.mqtt import MqttSettings
from companion.mqtt.discovery import discovery_payload
from routines import load_library
from tests.ha.hass import HomeAssistant, assert_clean_log, eventually
from tests.ha.hub import DISABLED_BY_DEFAULT, HubProcess, entity_ids

pytestmark = pytest.mark.ha

ROUTINES = ("desk-breathing", "one-minute-back")
SESSION_STATES = (
    "idle",
    "countdown",
    "running",
    "paused",
    "completed",
    "partial",
    "stopped",
    "aborted",
)
EVENT_TYPES = (
    "session_started",
    "step_changed",
    "breath_phase",
    "session_paused",
    "session_resumed",
    "session_ended",
    "device_connected",
    "device_lost",
    "battery",
    "button",
    "settings_changed",
    "reminder",
)


@dataclass(frozen=True, slots=True)
class Expected:
    """One entity as Home Assistant should show it."""

    key: str
    name: str
    device_class: str | None = None
    unit: str | None = None
    # A select's or an enum sensor's options, an event entity's event types.
    options: tuple[str, ...] | None = None
    enabled: bool = True
    category: str | None = None


EXPECTED = (
    Expected("start", "Start session"),
    Expected("stop", "Stop session"),
    Expected("routine", "Routine", options=ROUTINES),
    Expected("session", "Session", "enum", options=SESSION_STATES),
    Expected("step", "Exercise"),
    Expected(
        "phase", "Breath phase", "enum", options=("inhale", "exhale", "hold", "none"), enabled=False
    ),
    Expected("ends_at", "Session end", "timestamp"),
    Expected("sessions_today", "Sessions today"),
    Expected("battery", "Wearable battery", "battery", "%", category="diagnostic"),
    Expected("wearable", "Wearable", "connectivity"),
    Expected("pace", "Breathing pace", unit="breaths/min"),
    Expected("schedule", "Schedule"),
    Expected("events", "Session events", options=EVENT_TYPES),
)
DISABLED = frozenset(expected.key for expected in EXPECTED if not expected.enabled)


def test_the_expectations_cover_every_entity_we_announce() -> None:
    payload = discovery_payload(MqttSettings.from_url("mqtt://h"), ["x"], "0")
    assert {expected.key for expected in EXPECTED} == set(payload["cmps"])
    assert set(entity_ids("h")) == set(payload["cmps"])
    assert DISABLED == DISABLED_BY_DEFAULT
    assert {
        key for key, cmp in payload["cmps"].items() if cmp.get("enabled_by_default") is False
    } == DISABLED


async def available(home: HomeAssistant, hub_id: str) -> bool:
    """Every enabled entity of the hub exists in Home Assistant and is not unavailable."""
    states = await home.states()
    return all(
        entity_id in states and states[entity_id]["state"] != "unavailable"
        for key, entity_id in entity_ids(hub_id).items()
        if key not in DISABLED
    )


async def test_one_device_with_every_entity_and_no_warning(
    ha: HomeAssistant, hubs: Callable[[str], HubProcess], hub_id: str
) -> None:
    mark = ha.log_mark()
    hubs(hub_id)
    ids = entity_ids(hub_id)

    async def wearable_connected() -> bool:
        state = await ha.state(ids["wearable"])
        return state is not None and state["state"] == "on"

    await eventually(lambda: available(ha, hub_id), 60, "every entity available")
    # The hub is on MQTT before its wearable has connected.
    await eventually(wearable_connected, 30, "the wearable shown connected")
    node = f"backstretch_{hub_id}"
    async with ha.socket() as socket:
        devices = [
            device
            for device in await socket.device_registry()
            if ["mqtt", node] in device["identifiers"]
        ]
        assert len(devices) == 1
        device = devices[0]
        assert device["name"] == f"Backstretch {hub_id}"
        assert device["manufacturer"] == "backstretch"
        assert device["model"] == "Breathing-cue hub"
        assert device["sw_version"] == __version__
        ours = [
            entry for entry in await socket.entity_registry() if entry["device_id"] == device["id"]
        ]
        assert sorted(entry["entity_id"] for entry in ours) == sorted(ids.values())
        entries = {key: await socket.entity_entry(ids[key]) for key in ids}
    states = await ha.states()
    for expected in EXPECTED:
        entry = entries[expected.key]
        assert entry["platform"] == "mqtt"
        assert entry["unique_id"] == f"{node}_{expected.key}"
        assert entry["original_name"] == expected.name
        assert entry["original_device_class"] == expected.device_class
        assert entry["entity_category"] == expected.category
        assert entry["disabled_by"] == (None if expected.enabled else "integration")
        _check_state(expected, states.get(ids[expected.key]), hub_id)
    assert states[ids["session"]]["state"] == "idle"
    assert states[ids["routine"]]["state"] == "one-minute-back"
    assert states[ids["wearable"]]["state"] == "on"
    assert states[ids["battery"]]["state"] == "100"
    assert states[ids["sessions_today"]]["state"] == "0"
    assert states[ids["schedule"]]["state"] == "on"
    assert_clean_log(ha, mark)


def _check_state(expected: Expected, state: dict[str, Any] | None, hub_id: str) -> None:
    if not expected.enabled:
        # Disabled by default: Home Assistant keeps no state for it.
        assert state is None, expected.key
        return
    assert state is not None, expected.key
    attributes = state["attributes"]
    assert attributes["friendly_name"] == f"Backstretch {hub_id} {expected.name}"
    assert attributes.get("device_class") == expected.device_class, expected.key
    assert attributes.get("unit_of_measurement") == expected.unit, expected.key
    listed = attributes.get("event_types", attributes.get("options"))
    assert (tuple(listed) if listed is not None else None) == expected.options, expected.key


def test_routine_options_are_the_bundled_library() -> None:
    assert tuple(sorted(load_library(None).routines)) == ROUTINES
