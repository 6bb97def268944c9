"""The hub's bumble central: one host and controller, shared by every scanner and client."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bumble import hci
from bumble.device import Advertisement, Device

from companion.devices.bumble_backend.events import logged
from companion.errors import DeviceError

if TYPE_CHECKING:
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.scanner import BaseBleakScanner
    from bumble.link import LocalLink

__all__ = ["BumbleCentral", "open_central"]

logger = logging.getLogger(__name__)

AdvertisementListener = Callable[[Advertisement], None]


def _random_static_address(rng: random.Random) -> str:
    raw = [rng.getrandbits(8) for _ in range(6)]
    raw[0] |= 0xC0  # a random static address has its two top bits set
    return ":".join(f"{b:02X}" for b in raw)


class BumbleCentral:
    """A powered-on bumble device acting as the hub's central, and what closes it.

    Scanning is shared: it runs while at least one scanner listens, since one controller
    can only scan once.
    """

    def __init__(self, device: Device, close: Callable[[], Awaitable[None]], label: str) -> None:
        self.device = device
        self.label = label
        self._close = close
        self._listeners: dict[object, AdvertisementListener] = {}
        self._closed = False
        # A controller creates one connection at a time ("connection already pending"):
        # links that (re)connect together take turns.
        self.connect_lock = asyncio.Lock()
        device.on(Device.EVENT_ADVERTISEMENT, logged(self._on_advertisement))

    @property
    def scanner_backend(self) -> type[BaseBleakScanner]:
        """A bleak scanner backend class bound to this central."""
        from companion.devices.bumble_backend.scanner import BumbleScanner

        central = self

        class BoundBumbleScanner(BumbleScanner):
            _central = central

        return BoundBumbleScanner

    @property
    def client_backend(self) -> type[BaseBleakClient]:
        """A bleak client backend class bound to this central."""
        from companion.devices.bumble_backend.client import BumbleClient

        central = self

        class BoundBumbleClient(BumbleClient):
            _central = central

        return BoundBumbleClient

    async def add_advertisement_listener(self, listener: AdvertisementListener) -> object:
        """Deliver every advertisement to `listener` until removed; starts scanning if needed."""
        token = object()
        self._listeners[token] = listener
        if not self.device.is_scanning:
            # Duplicates are wanted: a scanner tracks RSSI and a device coming back.
            await self.device.start_scanning(active=True, filter_duplicates=False)
        return token

    async def remove_advertisement_listener(self, token: object) -> None:
        """Stop delivering to a listener; scanning stops with the last one."""
        self._listeners.pop(token, None)
        if not self._listeners and self.device.is_scanning and not self._closed:
            await self.device.stop_scanning()

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        for listener in list(self._listeners.values()):
            listener(advertisement)

    async def close(self) -> None:
        """Power the radio down and release its transport. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._listeners.clear()
        await self._close()


async def open_central(
    adapter: str | None = None, link: LocalLink | None = None, seed: int | None = None
) -> BumbleCentral:
    """A central on the bumble transport `adapter` (``usb:0``, ``tcp-client:HOST:PORT``...)
    or, with `link`, on an in-process virtual link (the `--sim` wiring)."""
    rng = random.Random(seed)
    address = _random_static_address(rng)
    if link is not None:
        from simulator.radio import local_device

        device, _controller = local_device("backstretch-hub", address, link)

        async def close_local() -> None:
            await device.power_off()

        await device.power_on()
        return BumbleCentral(device, close_local, "virtual link")

    if not adapter:
        raise DeviceError("no adapter given: pass a bumble transport such as usb:0")
    from bumble.transport import open_transport

    try:
        transport: Any = await open_transport(adapter)
    except (OSError, ValueError, RuntimeError) as exc:
        raise DeviceError(
            f"cannot open the Bluetooth adapter {adapter!r}: {exc}. Check the transport "
            "(usb:0, serial:/dev/ttyACM0,1000000, tcp-client:127.0.0.1:PORT) and that the "
            "dongle or simulator is there."
        ) from exc
    device = Device.with_hci("backstretch-hub", hci.Address(address), *transport)

    async def close_transport() -> None:
        try:
            await device.power_off()
        except Exception:
            logger.debug("power off failed on %s", adapter, exc_info=True)
        await transport.close()

    try:
        await device.power_on()
    except Exception as exc:
        await transport.close()
        raise DeviceError(
            f"the Bluetooth adapter {adapter!r} did not answer as an HCI controller: {exc}"
        ) from exc
    return BumbleCentral(device, close_transport, adapter)
