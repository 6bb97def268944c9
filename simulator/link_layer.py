"""A simulated peripheral's side of its connections: what crossed each one, and its air.

Every ACL packet between the peripheral's host and the air passes here, whatever the
profile. Each connection counts the packets that crossed it (ATT requests, responses and
notifications, each way) and, when it ends, leaves a `LinkRecord` with the link it was on.
With `AirOptions` (the `ble` link model) the packets also wait for connection events
(`simulator.air`); without them (the `jitter` model, whose delays the device applies to
GATT values itself) they cross at once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bumble import hci
from bumble.controller import Connection, Controller

from simulator.air import AirCounters, AirOptions, ConnectionAir

if TYPE_CHECKING:
    from simulator.air import Cancellable

__all__ = ["LinkLayer", "LinkRecord"]


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """One connection of a simulated device, once it ended (host clock seconds)."""

    device: str
    model: str  # "ble" or "jitter"
    since: float
    until: float
    to_device: int  # packets the central sent that reached the device
    from_device: int  # packets the device sent that reached the central
    events: int | None  # connection events the device listened to (ble model)
    lost: int | None  # packets lost on air and sent again (ble model)

    def as_json(self) -> dict[str, object]:
        return {
            "kind": "link",
            "device": self.device,
            "model": self.model,
            "since": self.since,
            "t": self.until,
            "to_device": self.to_device,
            "from_device": self.from_device,
            "events": self.events,
            "lost": self.lost,
        }


class _LoopTimers:
    """asyncio's loop as the air's clock (the loop's time is the host monotonic clock)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def time(self) -> float:
        return self._loop.time()

    def call_at(self, when: float, callback: Callable[[], object], /) -> Cancellable:
        return self._loop.call_at(when, callback)


class _Link:
    def __init__(self, since: float, air: ConnectionAir | None) -> None:
        self.counters = air.counters if air is not None else AirCounters(since=since)
        self.air = air


class LinkLayer:
    """The peripheral connections of one controller; `lose(peer)` takes one down."""

    def __init__(
        self,
        controller: Controller,
        air: AirOptions | None,
        rng: random.Random,
        lose: Callable[[hci.Address], object],
        report: Callable[[LinkRecord], None] | None = None,
    ) -> None:
        self._controller = controller
        self.air = air
        self._rng = rng
        self._lose = lose
        self.report = report
        self._links: dict[hci.Address, _Link] = {}

    @property
    def model(self) -> str:
        return "jitter" if self.air is None else "ble"

    def connected(self, connection: Connection) -> None:
        """A central connected to us: its link begins (its events, with an air model)."""
        loop = asyncio.get_running_loop()
        peer = connection.peer_address
        air = None
        if self.air is not None:
            timers = _LoopTimers(loop)
            rng = random.Random(self._rng.random())
            air = ConnectionAir(self.air, rng, timers, lambda: self._lose(peer))
        self._links[peer] = _Link(loop.time(), air)

    def disconnected(self, connection: Connection) -> None:
        """The link ended (either side, or the air): stop its events and record it."""
        link = self._links.pop(connection.peer_address, None)
        if link is None:
            return
        if link.air is not None:
            link.air.close()
        if self.report is not None:
            counters = link.counters
            ble = link.air is not None
            self.report(
                LinkRecord(
                    device=self._controller.name,
                    model=self.model,
                    since=counters.since,
                    until=asyncio.get_running_loop().time(),
                    to_device=counters.to_peripheral,
                    from_device=counters.to_central,
                    events=counters.events if ble else None,
                    lost=counters.lost if ble else None,
                )
            )

    def from_host(self, packet: hci.HCI_AclDataPacket, send: Callable[[], None]) -> None:
        """Our host's packet for the air: `send` puts it on the link once it crossed."""
        connection = self._controller.find_connection_by_handle(packet.connection_handle)
        link = self._links.get(connection.peer_address) if connection is not None else None
        if link is None:
            send()
        elif link.air is None:
            link.counters.to_central += 1
            send()
        else:
            link.air.to_central(send, len(packet.data))

    def from_air(self, sender: hci.Address, data: bytes, receive: Callable[[], None]) -> None:
        """A central's packet for our host: `receive` hands it over once it crossed."""
        link = self._links.get(sender)
        if link is None:
            receive()
        elif link.air is None:
            link.counters.to_peripheral += 1
            receive()
        else:
            link.air.to_peripheral(receive, len(data))

    def interrupt(self, for_s: float) -> bool:
        """Radio silence for `for_s` seconds. True when the links must be dropped now (no
        air model); with one, each link drops itself if silence outlasts its supervision."""
        if self.air is None:
            return True
        for link in self._links.values():
            if link.air is not None:
                link.air.silence(for_s)
        return False
