"""The hub's state as one snapshot: what the MQTT mirror publishes and the TUI shows.

Built on demand from the engine, the links and the services, so there is exactly one
source for each fact and nothing to keep in sync.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from companion.devices.capabilities import Capabilities


class DeviceState(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    connected: bool
    battery: int | None
    profile: str
    # What the device can do (timing, played-cue reports, button...); None if not known.
    capabilities: Capabilities | None = None
    state: str = ""
    rssi: int | None = None
    clock_rtt_ms: float | None = None
    clock_drift_ppm: float | None = None


class HubSnapshot(BaseModel):
    """The retained `state` payload (README, Public contracts), plus a few fields for local UIs."""

    model_config = ConfigDict(frozen=True)

    session: str = "idle"
    session_id: str | None = None
    routine: str | None = None
    step: str | None = None
    step_title: str | None = None
    step_index: int | None = None
    steps_total: int | None = None
    side: str | None = None
    phase: str = "none"
    remaining_s: float | None = None
    ends_at: datetime | None = None
    pace_bpm: float | None = None
    paused_reason: str | None = None
    schedule_enabled: bool = False
    sessions_today: int = 0
    streak_days: int = 0
    devices: tuple[DeviceState, ...] = ()

    def mqtt_payload(self) -> dict[str, Any]:
        """The fields the public contract fixes for `backstretch/<hub>/state` (README)."""
        return self.model_dump(
            mode="json",
            include={
                "session",
                "routine",
                "step",
                "step_title",
                "step_index",
                "steps_total",
                "side",
                "phase",
                "remaining_s",
                "ends_at",
                "pace_bpm",
                "schedule_enabled",
                "sessions_today",
                "streak_days",
                "devices",
            },
        )
