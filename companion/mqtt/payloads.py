"""The bytes that go out on `state` and `event`."""

from __future__ import annotations

import json
import math
from typing import Any

from companion.events import (
    BatteryChanged,
    BreathPhase,
    ButtonPressed,
    DeviceConnected,
    DeviceLost,
    HubEvent,
    ReminderPlayed,
    SessionEnded,
    SessionPaused,
    SessionResumed,
    SessionStarted,
    SettingsChanged,
    StepChanged,
)
from companion.state import HubSnapshot

# What `event` carries. CueExecuted (one per cue per device) is timing telemetry for the
# session's figures, not something an automation reacts to, so it stays on the bus.
MIRRORED_EVENTS: tuple[type[HubEvent], ...] = (
    SessionStarted,
    StepChanged,
    BreathPhase,
    SessionPaused,
    SessionResumed,
    SessionEnded,
    DeviceConnected,
    DeviceLost,
    BatteryChanged,
    ButtonPressed,
    SettingsChanged,
    ReminderPlayed,
)
EVENT_TYPES: tuple[str, ...] = tuple(kind.event_type for kind in MIRRORED_EVENTS)
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
BREATH_PHASES = ("inhale", "exhale", "hold", "none")
# Fields that change every moment of a session; a change in them alone is not news.
_TICKING = frozenset({"remaining_s", "ends_at"})


def encode(data: dict[str, Any]) -> bytes:
    """Strict JSON: a non-finite number (which json would write as NaN, and Home Assistant
    refuse) goes out as null."""
    return json.dumps(
        _finite(data), separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def state_payload(snapshot: HubSnapshot) -> dict[str, Any]:
    return snapshot.mqtt_payload()


def news_key(payload: dict[str, Any]) -> dict[str, Any]:
    """The part of a state payload whose change is worth publishing on its own."""
    return {key: value for key, value in payload.items() if key not in _TICKING}


def event_payload(event: HubEvent) -> dict[str, Any] | None:
    """The `event` payload, or None for events that are not mirrored."""
    if not isinstance(event, MIRRORED_EVENTS):
        return None
    return event.to_dict()
