"""The Home Assistant discovery payload: a golden file, and the rules HA enforces."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from companion.mqtt import MqttSettings, Topics
from companion.mqtt.discovery import discovery_payload
from companion.mqtt.payloads import EVENT_TYPES
from companion.mqtt.topics import COMMANDS
from routines import load_library

GOLDEN = Path(__file__).parent / "golden" / "discovery.json"
# Home Assistant's rule for entity ids (homeassistant.core.valid_entity_id).
VALID_ENTITY_ID = re.compile(r"^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$")
ENTITY_PLATFORMS = {"button", "select", "sensor", "binary_sensor", "number", "switch", "event"}


@pytest.fixture
def settings() -> MqttSettings:
    return MqttSettings.from_url("mqtt://broker.lan", hub_id="living-room")


@pytest.fixture
def payload(settings: MqttSettings) -> dict[str, object]:
    return discovery_payload(settings, sorted(load_library(None).routines), "1.2.3")


def test_the_payload_matches_the_golden_file(payload: dict[str, object]) -> None:
    text = json.dumps(payload, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), "run with UPDATE_GOLDEN=1 after review"


def test_every_component_is_complete_and_unique(
    payload: dict[str, object], settings: MqttSettings
) -> None:
    components = payload["cmps"]
    assert isinstance(components, dict)
    assert set(components) == {
        "start", "stop", "routine", "session", "step", "phase", "ends_at",
        "sessions_today", "battery", "wearable", "pace", "schedule", "events",
    }  # fmt: skip
    unique_ids = [c["unique_id"] for c in components.values()]
    assert len(set(unique_ids)) == len(unique_ids)
    for key, component in components.items():
        assert component["p"] in ENTITY_PLATFORMS, key
        assert component["unique_id"] == f"backstretch_living-room_{key}"
        # `default_entity_id` replaced `object_id` in HA 2025.10; its domain is the platform.
        entity_id = component["default_entity_id"]
        assert entity_id == f"{component['p']}.backstretch_living_room_{key}"
        assert VALID_ENTITY_ID.match(entity_id), entity_id
        assert "object_id" not in component
        if component.get("device_class") == "enum":
            assert component["options"], key
    assert components["session"]["options"] == [
        "idle", "countdown", "running", "paused", "completed", "partial", "stopped", "aborted",
    ]  # fmt: skip
    assert components["phase"]["options"] == ["inhale", "exhale", "hold", "none"]
    assert components["phase"]["enabled_by_default"] is False
    assert components["routine"]["options"] == ["desk-breathing", "one-minute-back"]
    assert components["events"]["event_types"] == list(EVENT_TYPES)
    assert (components["pace"]["min"], components["pace"]["max"]) == (3, 12)


def test_the_root_carries_device_origin_and_availability(
    payload: dict[str, object], settings: MqttSettings
) -> None:
    topics = Topics.of(settings)
    assert payload["dev"] == {
        "identifiers": ["backstretch_living-room"],
        "name": "Backstretch living-room",
        "manufacturer": "backstretch",
        "model": "Breathing-cue hub",
        "sw_version": "1.2.3",
    }
    assert payload["o"] == {"name": "backstretch", "sw_version": "1.2.3"}
    assert payload["availability_topic"] == topics.status
    assert topics.discovery == "homeassistant/device/backstretch_living-room/config"
    components = payload["cmps"]
    assert isinstance(components, dict)
    # Every command topic in the config is one the mirror listens on; every state topic
    # is one it publishes.
    listened = {topics.command(name) for name in COMMANDS}
    assert {c["command_topic"] for c in components.values() if "command_topic" in c} == listened
    assert {c.get("state_topic") for c in components.values() if c["p"] != "button"} == {
        topics.state,
        topics.event,
    }


def test_the_prefix_and_base_topic_are_configurable() -> None:
    settings = MqttSettings.from_url(
        "mqtt://broker.lan", hub_id="desk", discovery_prefix="ha", base_topic="home/stretch"
    )
    payload = discovery_payload(settings, ["one-minute-back"], "1")
    assert Topics.of(settings).discovery == "ha/device/backstretch_desk/config"
    assert Topics.of(settings).ha_status == "ha/status"
    assert payload["availability_topic"] == "home/stretch/desk/status"


@pytest.mark.parametrize("hub_id", ["a--b", "x_-_y", "-edge-", "9"])
def test_entity_ids_stay_valid_for_any_hub_id(hub_id: str) -> None:
    settings = MqttSettings.from_url("mqtt://broker.lan", hub_id=hub_id)
    components = discovery_payload(settings, ["one-minute-back"], "1")["cmps"]
    for component in components.values():
        assert VALID_ENTITY_ID.match(component["default_entity_id"]), component
