"""The hub's events and the bus that carries them.

Publishing never awaits and never runs a subscriber's code: each subscriber owns a queue
and drains it in its own task, so the timing path cannot be slowed by a slow listener.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class HubEvent:
    """Base of every event; `event_type` names it on the bus and over MQTT."""

    event_type: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        return {"event_type": self.event_type, **asdict(self)}


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionStarted(HubEvent):
    event_type: ClassVar[str] = "session_started"
    session_id: str
    routine: str
    exercises: tuple[str, ...]
    pace_bpm: float
    duration_s: float
    # No wearable: the cues are on the screen only (and nothing is felt or reported).
    screen_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StepChanged(HubEvent):
    event_type: ClassVar[str] = "step_changed"
    session_id: str
    step: str
    step_title: str
    step_index: int
    steps_total: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BreathPhase(HubEvent):
    event_type: ClassVar[str] = "breath_phase"
    session_id: str
    phase: str
    side: str | None
    text: str
    duration_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionPaused(HubEvent):
    event_type: ClassVar[str] = "session_paused"
    session_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionResumed(HubEvent):
    event_type: ClassVar[str] = "session_resumed"
    session_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionEnded(HubEvent):
    """A session completed or was aborted; carries the figures history keeps."""

    event_type: ClassVar[str] = "session_ended"
    session_id: str
    routine: str
    status: str
    reason: str
    cues_planned: int
    # None when no wearable of the session reports what it played (host-timed bands).
    cues_executed: int | None
    # Null where no device reports what it played (see OnsetFigures.as_dict).
    onset_error_ms: dict[str, float | None] | None = None
    # How cues reached the skin: device-timed, host-timed, mixed; None with no wearable.
    timing: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceConnected(HubEvent):
    event_type: ClassVar[str] = "device_connected"
    device_id: str
    name: str
    profile: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceLost(HubEvent):
    event_type: ClassVar[str] = "device_lost"
    device_id: str
    name: str
    reason: str
    # True when the link stopped for good (a permanent error): it will not reconnect.
    final: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class BatteryChanged(HubEvent):
    event_type: ClassVar[str] = "battery"
    device_id: str
    battery: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPressed(HubEvent):
    event_type: ClassVar[str] = "button"
    device_id: str
    press: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CueExecuted(HubEvent):
    """A device reported that its motor started a cue, in hub monotonic seconds."""

    event_type: ClassVar[str] = "cue_executed"
    device_id: str
    cue_id: int
    t: float


EventSink = Callable[[HubEvent], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingsChanged(HubEvent):
    """The selected routine, the pace or the schedule switch changed."""

    event_type: ClassVar[str] = "settings_changed"
    routine: str
    pace_bpm: float | None
    schedule_enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ReminderPlayed(HubEvent):
    event_type: ClassVar[str] = "reminder"
    devices: int
    # How many of them have a button that can answer it.
    with_button: int = 0


class Subscription:
    """A subscriber's queue. Iterate it in the subscriber's own task."""

    def __init__(self, bus: EventBus, maxsize: int) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[HubEvent] = asyncio.Queue(maxsize)
        self.dropped = 0

    def offer(self, event: HubEvent) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            # A subscriber that cannot keep up loses events rather than slowing the hub.
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("an event subscriber is falling behind (%d dropped)", self.dropped)

    async def get(self) -> HubEvent:
        return await self._queue.get()

    def get_nowait(self) -> HubEvent | None:
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def close(self) -> None:
        self._bus.unsubscribe(self)

    async def __aiter__(self) -> AsyncIterator[HubEvent]:
        while True:
            yield await self._queue.get()


class EventBus:
    """Fan-out of hub events to subscriber queues; `publish` is synchronous and cheap."""

    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []

    def subscribe(self, maxsize: int = 10_000) -> Subscription:
        subscription = Subscription(self, maxsize)
        self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    def publish(self, event: HubEvent) -> None:
        for subscription in tuple(self._subscriptions):
            subscription.offer(event)
