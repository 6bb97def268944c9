"""A virtual radio for tests: simulated devices of one kind started on demand, the hub's
central on the same link, and a way to wait for the hub's events without sleeping."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from companion.devices.bumble_backend import BumbleCentral, open_central
from companion.devices.radio import Radio
from companion.events import HubEvent, Subscription
from simulator import LocalLink, Pulse, SimOptions, SimulatedWearable
from simulator.band import SimulatedBand
from simulator.bangle import SimulatedBangle
from simulator.devices import SimulatedDevice
from simulator.radio import new_link

D = TypeVar("D", bound=SimulatedDevice)
# Builds one device on the link: (options, link, on_pulse).
Maker = Callable[[SimOptions, LocalLink, Callable[[Pulse], None] | None], D]


@dataclass
class Air(Generic[D]):
    """A virtual link the test can start more devices on, and the hub's radio on it."""

    link: LocalLink
    central: BumbleCentral
    make: Maker[D]
    devices: list[D] = field(default_factory=list)

    @property
    def radio(self) -> Radio:
        central = self.central
        return Radio(central.scanner_backend, central.client_backend, central=central)

    async def start(
        self, options: SimOptions, on_pulse: Callable[[Pulse], None] | None = None
    ) -> D:
        device = self.make(options, self.link, on_pulse)
        await device.start()
        self.devices.append(device)
        return device


@contextlib.asynccontextmanager
async def open_air(make: Maker[D], seed: int = 5) -> AsyncIterator[Air[D]]:
    """An `Air`; its central and every device started on it are stopped at the end."""
    link = new_link()
    central = await open_central(link=link, seed=seed)
    air = Air(link, central, make)
    try:
        yield air
    finally:
        await central.close()
        for device in air.devices:
            await device.stop()


async def next_of(events: Subscription, event_type: str, timeout: float = 30) -> HubEvent:
    """The next event of that type (others are passed over)."""
    async with asyncio.timeout(timeout):
        while True:
            event = await events.get()
            if event.event_type == event_type:
                return event


def wearables(
    options: SimOptions, link: LocalLink, on_pulse: Callable[[Pulse], None] | None
) -> SimulatedWearable:
    return SimulatedWearable(options, link, on_pulse=on_pulse)


def bangles(
    options: SimOptions, link: LocalLink, on_pulse: Callable[[Pulse], None] | None
) -> SimulatedBangle:
    return SimulatedBangle(options, link, on_pulse=on_pulse)


def bands(
    options: SimOptions, link: LocalLink, on_pulse: Callable[[Pulse], None] | None
) -> SimulatedBand:
    return SimulatedBand(options, link, on_pulse=on_pulse)
