"""Home Assistant device discovery: one retained config that declares every entity.

The payload is a pure function of the settings, the routine ids and the version, so it
can be compared with a golden file. Every entity reads the retained `state` (or `event`)
topic through a template and writes to a command topic; availability follows `status`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from companion.mqtt.payloads import BREATH_PHASES, EVENT_TYPES, SESSION_STATES
from companion.mqtt.settings import MqttSettings
from companion.mqtt.topics import Topics
from routines import MAX_PACE_BPM, MIN_PACE_BPM

# Home Assistant reads the rendered text "None" as "no value" (unknown).
_NONE = "None"


def entity_slug(text: str) -> str:
    """An entity id's object part: a-z, 0-9 and single inner underscores (no '-')."""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]", "_", text.lower())).strip("_")


def discovery_payload(
    settings: MqttSettings, routine_ids: Sequence[str], version: str
) -> dict[str, Any]:
    topics = Topics.of(settings)
    hub = settings.hub_id
    node = f"backstretch_{hub}"
    state = topics.state

    def entity(key: str, platform: str, name: str, **options: Any) -> dict[str, Any]:
        return {
            "p": platform,
            "name": name,
            "unique_id": f"{node}_{key}",
            "default_entity_id": f"{platform}.{entity_slug(f'{node}_{key}')}",
            **options,
        }

    def reads(template: str) -> dict[str, Any]:
        return {"state_topic": state, "value_template": template}

    components = {
        "start": entity(
            "start",
            "button",
            "Start session",
            command_topic=topics.command("session"),
            payload_press="start",
            icon="mdi:play",
        ),
        "stop": entity(
            "stop",
            "button",
            "Stop session",
            command_topic=topics.command("session"),
            payload_press="stop",
            icon="mdi:stop",
        ),
        "routine": entity(
            "routine",
            "select",
            "Routine",
            command_topic=topics.command("routine"),
            options=sorted(routine_ids),
            icon="mdi:yoga",
            **reads("{{ value_json.routine }}"),
        ),
        "session": entity(
            "session",
            "sensor",
            "Session",
            device_class="enum",
            options=list(SESSION_STATES),
            json_attributes_topic=state,
            icon="mdi:meditation",
            **reads("{{ value_json.session }}"),
        ),
        "step": entity(
            "step",
            "sensor",
            "Exercise",
            icon="mdi:human-handsup",
            **reads(f"{{{{ value_json.step_title or '{_NONE}' }}}}"),
        ),
        "phase": entity(
            "phase",
            "sensor",
            "Breath phase",
            device_class="enum",
            options=list(BREATH_PHASES),
            enabled_by_default=False,
            icon="mdi:lungs",
            **reads("{{ value_json.phase }}"),
        ),
        "ends_at": entity(
            "ends_at",
            "sensor",
            "Session end",
            device_class="timestamp",
            **reads(f"{{{{ value_json.ends_at or '{_NONE}' }}}}"),
        ),
        "sessions_today": entity(
            "sessions_today",
            "sensor",
            "Sessions today",
            state_class="total_increasing",
            icon="mdi:counter",
            **reads("{{ value_json.sessions_today }}"),
        ),
        "battery": entity(
            "battery",
            "sensor",
            "Wearable battery",
            device_class="battery",
            unit_of_measurement="%",
            state_class="measurement",
            entity_category="diagnostic",
            **reads(
                "{% set d = value_json.devices %}"
                f"{{{{ d[0].battery if d and d[0].battery is not none else '{_NONE}' }}}}"
            ),
        ),
        "wearable": entity(
            "wearable",
            "binary_sensor",
            "Wearable",
            device_class="connectivity",
            payload_on="ON",
            payload_off="OFF",
            **reads("{{ 'ON' if value_json.devices | selectattr('connected') | list else 'OFF' }}"),
        ),
        "pace": entity(
            "pace",
            "number",
            "Breathing pace",
            command_topic=topics.command("pace"),
            min=MIN_PACE_BPM,
            max=MAX_PACE_BPM,
            step=0.5,
            mode="slider",
            unit_of_measurement="breaths/min",
            icon="mdi:metronome",
            **reads(
                f"{{{{ value_json.pace_bpm if value_json.pace_bpm is not none else '{_NONE}' }}}}"
            ),
        ),
        "schedule": entity(
            "schedule",
            "switch",
            "Schedule",
            command_topic=topics.command("schedule"),
            payload_on="ON",
            payload_off="OFF",
            icon="mdi:calendar-clock",
            **reads("{{ 'ON' if value_json.schedule_enabled else 'OFF' }}"),
        ),
        "events": entity(
            "events",
            "event",
            "Session events",
            state_topic=topics.event,
            event_types=list(EVENT_TYPES),
        ),
    }
    return {
        "dev": {
            "identifiers": [node],
            "name": f"Backstretch {hub}",
            "manufacturer": "backstretch",
            "model": "Breathing-cue hub",
            "sw_version": version,
        },
        "o": {"name": "backstretch", "sw_version": version},
        "availability_topic": topics.status,
        "payload_available": "online",
        "payload_not_available": "offline",
        "qos": 1,
        "cmps": components,
    }
