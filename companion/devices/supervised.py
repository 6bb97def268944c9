"""What every profile's link shares: one device, a supervisor around its connections, the
serve loop while connected, and the radio client's lifecycle.

A profile's link subclasses `SupervisedLink` and gives what is its own: how to set a fresh
connection up (`set_up`), one round of radio work (`deliver`), and the engine-facing
methods. Connecting, reconnecting and tearing down are here, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from abc import abstractmethod
from typing import ClassVar

from bleak import BleakClient
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.exc import BleakError

from companion.clocks import Clock
from companion.devices.link import DeviceLink, LinkStatus
from companion.devices.link_options import LinkOptions
from companion.devices.serving import serve_rounds
from companion.devices.supervisor import Supervisor
from companion.events import EventSink

log = logging.getLogger(__name__)

# What a client may raise while it is torn down: nothing to do about any of it.
_TEARDOWN_ERRORS = (BleakError, TimeoutError, OSError)


class SupervisedLink(DeviceLink):
    """A link to one device, connected and reconnected by the shared supervisor."""

    # The profile's name, as the hub, MQTT and the UIs show it.
    profile: ClassVar[str]

    def __init__(
        self,
        device: BLEDevice | str,
        *,
        name: str = "",
        backend: type[BaseBleakClient] | None = None,
        options: LinkOptions | None = None,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
        rssi: int | None = None,
    ) -> None:
        self._device = device
        self._address = device if isinstance(device, str) else device.address
        self._name = name or (device.name if isinstance(device, BLEDevice) else "") or ""
        self._backend = backend
        self.options = options or LinkOptions()
        self._clock = clock
        # Signal strength as last heard advertising (BLE gives none while connected).
        self._rssi = rssi
        # Backoff jitter and the ping planner's draws come from here (seeded in tests).
        self._rng = rng or random.Random()
        self._supervisor = Supervisor(
            self,
            device_id=self._address,
            name=lambda: self._name,
            profile=self.profile,
            options=self.options,
            rng=random.Random(self._rng.random()),
        )
        self._client: BleakClient | None = None
        self._publish: EventSink = lambda _event: None
        self._battery: int | None = None
        self._wake = asyncio.Event()
        self._disconnected = asyncio.Event()
        self._closed = asyncio.Event()
        self.prepare()

    # -- what a profile gives --------------------------------------------------------

    @abstractmethod
    def prepare(self) -> None:
        """Set up the profile's own state (called once, at the end of `__init__`)."""

    @abstractmethod
    async def set_up(self, client: BleakClient, *, first: bool) -> None:
        """Make a fresh connection ready (`first`: never connected before); raise if not."""

    @abstractmethod
    async def deliver(self) -> float:
        """One round of radio work; returns how long to wait before the next."""

    async def say_goodbye(self) -> None:
        """Tell the device, still connected, that the hub is leaving (when it should know)."""

    def dropped(self) -> None:
        """The connection is gone (lost or closed): forget what belonged to it."""

    # -- shared ----------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self._address

    def describe(self) -> str:
        return f"{self._name} ({self._address})" if self._name else self._address

    @property
    def failure(self) -> str | None:
        return self._supervisor.failure

    def link_status(
        self, *, clock_rtt_ms: float | None = None, clock_drift_ppm: float | None = None
    ) -> LinkStatus:
        return LinkStatus(
            id=self._address,
            name=self._name,
            profile=self.profile,
            state=self._supervisor.state,
            battery=self._battery,
            rssi=self._rssi,
            clock_rtt_ms=clock_rtt_ms,
            clock_drift_ppm=clock_drift_ppm,
        )

    async def run(self, publish: EventSink) -> None:
        self._publish = publish
        await self._supervisor.run(publish)

    async def close(self) -> None:
        self._closed.set()
        self._supervisor.close()
        client = self._client
        if client is not None and client.is_connected:
            with contextlib.suppress(*_TEARDOWN_ERRORS):
                await self.say_goodbye()
                await client.disconnect()
        self._wake.set()

    # -- the supervisor's side (supervisor.Connection) -------------------------------

    async def open(self, *, first: bool) -> None:
        """One connection, set up: the supervisor calls this and retries on failure."""
        self._disconnected.clear()
        client = BleakClient(
            self._device,
            disconnected_callback=lambda _client: self._disconnected.set(),
            timeout=self.options.connect_timeout_s,
            backend=self._backend,
        )
        await client.connect()
        self._client = client
        try:
            if not self._name:
                self._name = client.name
            await self.set_up(client, first=first)
        except BaseException:
            with contextlib.suppress(*_TEARDOWN_ERRORS):
                await client.disconnect()
            self._client = None
            raise

    async def serve(self) -> str:
        """Deliver until the link drops; returns why it dropped."""
        try:
            return await serve_rounds(
                self.deliver,
                wake=self._wake,
                disconnected=self._disconnected,
                closed=self._closed,
                describe=self.describe,
                log=log,
            )
        finally:
            client, self._client = self._client, None
            self.dropped()
            if client is not None and client.is_connected and not self._closed.is_set():
                with contextlib.suppress(*_TEARDOWN_ERRORS):
                    await client.disconnect()
