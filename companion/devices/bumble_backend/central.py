"""The hub's bumble central: one host and controller, shared by every scanner and client.

On a transport (a USB dongle, a serial board, a `backstretch sim` process over TCP) the
adapter can go away: the central notices, tells its connected clients, and reopens the
same transport with backoff until it answers again, under the same address.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from bleak.exc import BleakError
from bumble import core, hci
from bumble.device import Advertisement, Device

from companion.devices.bumble_backend.events import logged
from companion.errors import DeviceError

if TYPE_CHECKING:
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.scanner import BaseBleakScanner
    from bumble.link import LocalLink
    from bumble.transport.common import Transport

__all__ = ["BumbleCentral", "open_central"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
AdvertisementListener = Callable[[Advertisement], None]

# A controller that takes the transport but never answers HCI_Reset is not an adapter.
POWER_ON_TIMEOUT_S = 10.0
# Reopening a lost adapter: doubles from the first wait to the cap, each with +-25 % jitter.
REOPEN_FIRST_S = 0.5
REOPEN_CAP_S = 5.0
# After this many failed reopens (about 40 s), say that the adapter is still away.
STILL_AWAY_TRIES = 10


def _random_static_address(rng: random.Random) -> str:
    raw = [rng.getrandbits(8) for _ in range(6)]
    raw[0] |= 0xC0  # a random static address has its two top bits set
    return ":".join(f"{b:02X}" for b in raw)


@dataclass(frozen=True)
class _Attachment:
    """A powered-on bumble Device and the transport it runs on (None on a virtual link)."""

    device: Device
    transport: Transport | None = None

    @property
    def lost(self) -> asyncio.Future[None] | None:
        """Done when the transport goes away (the peer closed, the dongle was pulled)."""
        if self.transport is None:
            return None
        terminated = getattr(self.transport.source, "terminated", None)
        return terminated if isinstance(terminated, asyncio.Future) else None

    async def close(self, *, power_off: bool = True) -> None:
        # A lost controller answers nothing: powering it off would only wait.
        if power_off:
            try:
                await asyncio.wait_for(self.device.power_off(), POWER_ON_TIMEOUT_S)
            except Exception:
                logger.debug("power off failed", exc_info=True)
        if self.transport is not None:
            await self.transport.close()


async def _open_adapter(spec: str, address: str) -> _Attachment:
    """Open the bumble transport `spec` and power a Device with `address` on it."""
    from bumble.transport import open_transport

    try:
        transport = await open_transport(spec)
    except (OSError, ValueError, RuntimeError, core.BaseBumbleError) as exc:
        raise DeviceError(
            f"cannot open the Bluetooth adapter {spec!r}: {exc}. Check the transport "
            "(usb:0, serial:/dev/ttyACM0,1000000, tcp-client:127.0.0.1:PORT) and that the "
            "dongle or simulator is there."
        ) from exc
    try:
        device = Device.with_hci("backstretch-hub", hci.Address(address), *transport)
        async with asyncio.timeout(POWER_ON_TIMEOUT_S):
            await device.power_on()
    except BaseException as exc:
        await transport.close()
        if isinstance(exc, Exception) and not isinstance(exc, DeviceError):
            raise DeviceError(
                f"the Bluetooth adapter {spec!r} did not answer as an HCI controller: "
                f"{exc or type(exc).__name__}"
            ) from exc
        raise
    return _Attachment(device, transport)


class BumbleCentral:
    """A powered-on bumble device acting as the hub's central, and what closes it.

    Scanning is shared: it runs while at least one scanner listens, since one controller
    can only scan once. With `reopen`, the central watches its transport and, when it is
    lost, reopens it in its own task until it is back (`close` ends that task); while the
    adapter is away, connects fail at once and scanners hear nothing.
    """

    def __init__(
        self,
        attachment: _Attachment,
        label: str,
        reopen: Callable[[], Awaitable[_Attachment]] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._attachment = attachment
        self.label = label
        self._reopen = reopen
        self._rng = rng or random.Random()
        self._listeners: dict[object, AdvertisementListener] = {}
        # Called once when the current adapter goes away: the connected clients.
        self._loss_callbacks: dict[object, Callable[[], None]] = {}
        self._available = asyncio.Event()
        self._available.set()
        self._closed = False
        # A controller creates one connection at a time ("connection already pending"):
        # links that (re)connect together take turns.
        self.connect_lock = asyncio.Lock()
        # Starting and stopping the scan are HCI round trips: one change at a time.
        self._scan_lock = asyncio.Lock()
        self._on_advertisement_logged = logged(self._on_advertisement)
        attachment.device.on(Device.EVENT_ADVERTISEMENT, self._on_advertisement_logged)
        self._keeper: asyncio.Task[None] | None = None
        if reopen is not None and attachment.lost is not None:
            self._keeper = asyncio.get_running_loop().create_task(
                self._keep_adapter(), name=f"keep the Bluetooth adapter {label}"
            )

    @property
    def device(self) -> Device:
        """The bumble Device now; a reopened adapter is a new one, so never keep it."""
        return self._attachment.device

    @property
    def available(self) -> bool:
        """False from the moment the adapter is lost until it is back (and once closed)."""
        lost = self._attachment.lost
        return self._available.is_set() and not self._closed and not (lost and lost.done())

    def require_available(self) -> None:
        """Raise BleakError, which the link supervisor retries, if the adapter is away."""
        if not self.available:
            raise BleakError(f"the Bluetooth adapter {self.label} is not available")

    async def until_lost(self, awaitable: Awaitable[T]) -> T:
        """Await `awaitable`, abandoning it with BleakError if the adapter goes meanwhile.

        bumble leaves a pending connect waiting for its own timeout when the transport
        dies; this makes it fail at once, as a connect on a missing adapter does.
        """
        lost = self._attachment.lost
        if lost is None:
            return await awaitable
        task = asyncio.ensure_future(awaitable)
        try:
            either: set[asyncio.Future[Any]] = {task, lost}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if lost.done():
            # Even if it also finished: what it made belongs to a controller that is gone.
            raise BleakError(f"the Bluetooth adapter {self.label} was lost")
        return task.result()

    def on_adapter_lost(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` once if the current adapter goes away; returns what unregisters it."""
        token = object()
        self._loss_callbacks[token] = callback

        def unregister() -> None:
            self._loss_callbacks.pop(token, None)

        return unregister

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
        await self._update_scanning()
        return token

    async def remove_advertisement_listener(self, token: object) -> None:
        """Stop delivering to a listener; scanning stops with the last one."""
        self._listeners.pop(token, None)
        await self._update_scanning()

    async def _update_scanning(self) -> None:
        """Scan while someone listens and the adapter is there."""
        async with self._scan_lock:
            if not self.available:
                # A reopened adapter starts scanning for the listeners there are then.
                return
            device = self.device
            try:
                if self._listeners and not device.is_scanning:
                    # Duplicates are wanted: a scanner tracks RSSI and a device coming back.
                    await device.start_scanning(active=True, filter_duplicates=False)
                elif not self._listeners and device.is_scanning:
                    await device.stop_scanning()
            except core.BaseBumbleError:
                # The adapter went while we asked: scanners hear nothing until it is back.
                if self.available:
                    raise

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        for listener in list(self._listeners.values()):
            listener(advertisement)

    # -- a lost adapter --------------------------------------------------------------

    async def _keep_adapter(self) -> None:
        """Wait for the transport to go, then reopen it; again each time it goes."""
        try:
            await self._keep_reopening()
        except Exception:
            # Nothing should get here; if something does, say so now, not at close.
            logger.exception("keeping the Bluetooth adapter %s failed", self.label)

    async def _keep_reopening(self) -> None:
        while True:
            lost = self._attachment.lost
            assert lost is not None
            # wait(), not await: cancelling this task must not cancel bumble's future.
            await asyncio.wait({lost})
            self._adapter_lost(lost)
            try:
                await self._attachment.close(power_off=False)
            except Exception:
                logger.debug("closing the lost transport failed", exc_info=True)
            self._attachment = await self._reopen_with_backoff()
            await self._adapter_back()

    def _adapter_lost(self, lost: asyncio.Future[None]) -> None:
        error = None if lost.cancelled() else lost.exception()
        self._available.clear()
        self._attachment.device.remove_listener(
            Device.EVENT_ADVERTISEMENT, self._on_advertisement_logged
        )
        why = f" ({error})" if error is not None else ""
        logger.info("lost the Bluetooth adapter %s%s; reopening", self.label, why)
        # bumble reports its connections closed when the transport dies; this covers a
        # transport that ends without saying so, and the client ignores a second report.
        callbacks, self._loss_callbacks = list(self._loss_callbacks.values()), {}
        for callback in callbacks:
            logged(callback)()

    async def _reopen_with_backoff(self) -> _Attachment:
        assert self._reopen is not None
        delay = REOPEN_FIRST_S
        tries = 0
        while True:
            await asyncio.sleep(delay * self._rng.uniform(0.75, 1.25))
            tries += 1
            try:
                return await self._reopen()
            except DeviceError as exc:
                logger.debug("the Bluetooth adapter %s is still away: %s", self.label, exc)
            except Exception:
                # Unexpected, but giving up would leave the hub deaf for good: keep trying.
                logger.exception("reopening the Bluetooth adapter %s failed", self.label)
            if tries == STILL_AWAY_TRIES:
                # Once, not every try: a dongle left unplugged overnight must not flood the log.
                logger.warning(
                    "the Bluetooth adapter %s is still not back after %d tries; still trying",
                    self.label,
                    tries,
                )
            delay = min(delay * 2, REOPEN_CAP_S)

    async def _adapter_back(self) -> None:
        self._attachment.device.on(Device.EVENT_ADVERTISEMENT, self._on_advertisement_logged)
        self._available.set()
        logger.info("the Bluetooth adapter %s is back", self.label)
        try:
            await self._update_scanning()
        except Exception:
            # Scanners stay deaf, but connects work: not a reason to stop keeping the adapter.
            logger.warning("cannot scan again on %s", self.label, exc_info=True)

    async def close(self) -> None:
        """Stop reopening, power the radio down and release its transport. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._listeners.clear()
        self._loss_callbacks.clear()
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
        lost = self._attachment.lost
        await self._attachment.close(power_off=not (lost and lost.done()))


async def open_central(
    adapter: str | None = None, link: LocalLink | None = None, seed: int | None = None
) -> BumbleCentral:
    """A central on the bumble transport `adapter` (``usb:0``, ``tcp-client:HOST:PORT``...)
    or, with `link`, on an in-process virtual link (the `--sim` wiring).

    On a transport, the central reopens `adapter` whenever it is lost, until closed.
    """
    rng = random.Random(seed)
    address = _random_static_address(rng)
    if link is not None:
        from simulator.radio import local_device

        device, _controller = local_device("backstretch-hub", address, link)
        await device.power_on()
        return BumbleCentral(_Attachment(device), "virtual link")

    if not adapter:
        raise DeviceError("no adapter given: pass a bumble transport such as usb:0")
    spec = adapter

    async def reopen() -> _Attachment:
        return await _open_adapter(spec, address)

    return BumbleCentral(await _open_adapter(spec, address), spec, reopen=reopen, rng=rng)
