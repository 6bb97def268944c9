"""A wearable link that stays put: fixed status, never reports anything. For snapshots.

Snapshots need figures that do not move (battery, clock sync); the behaviour over a real
radio is covered by the pilot tests on the simulator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from companion.devices.capabilities import Capabilities, Timing
from companion.devices.link import DeviceLink, LinkState, LinkStatus, TimedCue
from companion.events import EventSink


@dataclass
class StillLink(DeviceLink):
    name: str = "BackStretch-TEST"
    address: str = "F0:00:00:00:00:01"
    battery: int = 87
    rssi: int | None = -58
    state: LinkState = LinkState.READY
    played: int = 0
    caps: Capabilities = field(
        default_factory=lambda: Capabilities(Timing.DEVICE, True, True, True, (10, 2550), 255)
    )

    @property
    def capabilities(self) -> Capabilities:
        return self.caps

    @property
    def id(self) -> str:
        return self.address

    @property
    def status(self) -> LinkStatus:
        return LinkStatus(
            self.address, self.name, "native", self.state, self.battery, self.rssi, 4.2, 1.5
        )

    def play(self, cues: Sequence[TimedCue]) -> None:
        self.played += 1

    def pause(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def alert(self, pattern: str) -> None:
        pass

    def holds_until(self) -> float:
        return 0.0

    async def run(self, publish: EventSink) -> None:
        await asyncio.Event().wait()

    async def close(self) -> None:
        self.state = LinkState.CLOSED
