"""Fixtures: wearables and a hub central on one virtual link, and a tiny hub-side protocol peer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

import pytest
from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic

from companion.devices.bumble_backend import BumbleCentral, open_central
from firmware_protocol import codec, framing
from firmware_protocol.gatt import CONTROL_CHAR_UUID, DATA_CHAR_UUID, EVENT_CHAR_UUID
from firmware_protocol.messages import CueNow, LoadCues, Message
from simulator import LocalLink, SimOptions, SimulatedWearable
from simulator.radio import new_link


class MakeWearable(Protocol):
    """Starts a wearable on the test's link; it is stopped when the test ends."""

    async def __call__(
        self, options: SimOptions | None = None, clock: Callable[[], float] = time.monotonic
    ) -> SimulatedWearable: ...


@pytest.fixture
def link() -> LocalLink:
    return new_link()


@pytest.fixture
async def central(link: LocalLink) -> AsyncIterator[BumbleCentral]:
    hub = await open_central(link=link, seed=1)
    yield hub
    await hub.close()


@pytest.fixture
async def make_wearable(link: LocalLink) -> AsyncIterator[MakeWearable]:
    started: list[SimulatedWearable] = []

    async def make(
        options: SimOptions | None = None, clock: Callable[[], float] = time.monotonic
    ) -> SimulatedWearable:
        wearable = SimulatedWearable(options or SimOptions(), link, clock=clock)
        await wearable.start()
        started.append(wearable)
        return wearable

    yield make
    for wearable in started:
        await wearable.stop()


@pytest.fixture
async def wearable(make_wearable: MakeWearable) -> SimulatedWearable:
    return await make_wearable()


@dataclass
class HubPeer:
    """Speaks firmware_protocol to a wearable through a connected BleakClient."""

    client: BleakClient
    received: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    seq: int = 0

    def __post_init__(self) -> None:
        self._reassembler = framing.Reassembler()
        self._fragmenters = {
            CONTROL_CHAR_UUID: framing.Fragmenter(),
            DATA_CHAR_UUID: framing.Fragmenter(),
        }

    async def start(self) -> None:
        payload = framing.att_payload_size(self.client.mtu_size)
        for fragmenter in self._fragmenters.values():
            fragmenter.att_payload = payload
        await self.client.start_notify(EVENT_CHAR_UUID, self._on_event)

    def _on_event(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        message = self._reassembler.feed(bytes(data), time.monotonic())
        if message is not None:
            self.received.put_nowait(codec.decode(message))

    async def send(self, message: Message) -> None:
        data = isinstance(message, LoadCues | CueNow)
        uuid = DATA_CHAR_UUID if data else CONTROL_CHAR_UUID
        for fragment in self._fragmenters[uuid].split(codec.encode(message)):
            await self.client.write_gatt_char(uuid, fragment, response=not data)

    async def next(self, kind: type[Message], timeout: float = 5.0) -> Message:
        async with asyncio.timeout(timeout):
            while True:
                message = await self.received.get()
                if isinstance(message, kind):
                    return message
