"""What the session engine needs from a wearable, whatever its profile.

A link owns its device: it connects, reconnects, keeps time and decides how to get each
cue onto the skin on time. The engine only hands it a schedule on the hub's monotonic
clock. Every method the engine calls is synchronous and returns at once; the link does
its radio work in its own task. That keeps the engine free of I/O, and lets a profile for
a simple band (host-timed "vibrate now") or a watch running an uploaded player be added
without touching the engine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from companion.devices.capabilities import Capabilities
from companion.events import EventSink


class Delivery(StrEnum):
    """How cues reach the motor."""

    # Loaded ahead with device-clock deadlines; the device plays them on its own clock.
    SCHEDULED = "scheduled"
    # Written at their moment, early by the estimated one-way latency: host-timed.
    IMMEDIATE = "immediate"


class LinkState(StrEnum):
    CONNECTING = "connecting"
    READY = "ready"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class TimedCue:
    """One cue of a session, anchored on the hub's monotonic clock."""

    cue_id: int
    pattern: str
    deadline: float
    # The exercise it belongs to, for a device with a screen ("" before the first).
    step: str = ""


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """What a UI or the MQTT state shows about one wearable."""

    id: str
    name: str
    profile: str
    state: LinkState
    battery: int | None
    rssi: int | None
    clock_rtt_ms: float | None
    clock_drift_ppm: float | None


class DeviceLink(ABC):
    """A connection to one wearable. All engine-facing methods are non-blocking."""

    @property
    @abstractmethod
    def id(self) -> str:
        """A stable identifier: the device's address."""

    @property
    @abstractmethod
    def status(self) -> LinkStatus: ...

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities:
        """What this device can do (known from its profile before it connects)."""

    @property
    def ready(self) -> bool:
        return self.status.state is LinkState.READY

    @abstractmethod
    def play(self, cues: Sequence[TimedCue]) -> None:
        """Replace whatever is still to come with these cues (sorted by deadline)."""

    @abstractmethod
    def pause(self) -> None:
        """Stop the motor from playing anything still to come, until the next `play`."""

    @abstractmethod
    def stop(self) -> None:
        """The session is over (completed or aborted): drop what is to come, tell the device."""

    @abstractmethod
    def alert(self, pattern: str) -> None:
        """Play one pattern as soon as possible, outside any session (a reminder)."""

    @abstractmethod
    def holds_until(self) -> float:
        """Hub time up to which the device can go on without the hub: the deadline of the
        first cue it does not hold (infinity when it holds all that is left)."""

    @abstractmethod
    async def run(self, publish: EventSink) -> None:
        """Connect, keep connected and deliver, until cancelled or closed."""

    @abstractmethod
    async def close(self) -> None:
        """Tell the device the session is over (if connected) and disconnect."""
