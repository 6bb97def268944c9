"""The connection supervisor every profile shares: connect, back off, reconnect.

A profile's link provides a `Connection` (open one connection and set it up, serve it
until it drops, tear it down); the supervisor owns the loop around it. Failures are split
in two: transient ones (out of range, a timeout, the adapter gone for a moment) are
retried with exponential backoff and jitter; permanent ones (`PermanentLinkError`: not a
backstretch wearable, an unsupported profile, pairing refused) end the link with the
reason, since retrying cannot help.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Protocol

from bleak.exc import BleakError

from companion.devices.link import LinkState
from companion.devices.link_options import LinkOptions
from companion.errors import DeviceError, PermanentLinkError
from companion.events import DeviceConnected, DeviceLost, EventSink

log = logging.getLogger(__name__)

# Reconnect backoff: doubles from the first to the cap, each wait with +-25 % jitter.
BACKOFF_FIRST_S = 0.25
BACKOFF_CAP_S = 8.0

# What a radio stack raises for a connection that may work next time.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    DeviceError,
    BleakError,
    TimeoutError,
    OSError,
    EOFError,
)
# Words in a stack's error that mean the device refused us for good.
_REFUSALS = ("pairing", "authentication", "insufficient encryption")


class Connection(Protocol):
    """One profile's side of a connection, driven by the supervisor."""

    def describe(self) -> str:
        """The device as a person knows it: `name (address)`."""
        ...

    async def open(self, *, first: bool) -> None:
        """Connect and set the device up (`first`: never connected before). Raises on failure."""
        ...

    async def serve(self) -> str:
        """Deliver until the connection drops or the link closes; returns why it ended."""
        ...


def permanent_reason(exc: BaseException) -> str | None:
    """Why `exc` can never pass (None when it may)."""
    if isinstance(exc, PermanentLinkError):
        return str(exc)
    text = str(exc).casefold()
    if isinstance(exc, BleakError) and any(word in text for word in _REFUSALS):
        return f"the device refused: {exc}"
    return None


class Supervisor:
    """Runs one link's connection loop until closed or a permanent failure."""

    def __init__(
        self,
        connection: Connection,
        *,
        device_id: str,
        name: Callable[[], str],
        profile: str,
        options: LinkOptions,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._connection = connection
        self._device_id = device_id
        self._name = name
        self._profile = profile
        self._options = options
        self._rng = rng or random.Random()
        self._sleep = sleep
        self.state = LinkState.CONNECTING
        # Why the link ended for good, once it has.
        self.failure: str | None = None
        self.closed = asyncio.Event()

    def close(self) -> None:
        self.closed.set()

    async def run(self, publish: EventSink) -> None:
        """Connect, serve, reconnect until closed; raises PermanentLinkError when it must stop."""
        attempts = 0
        delay = BACKOFF_FIRST_S
        connected_before = False
        describe = self._connection.describe
        try:
            while not self.closed.is_set():
                try:
                    await self._open(first=not connected_before)
                except TRANSIENT_ERRORS as exc:
                    reason = permanent_reason(exc)
                    attempts += 1
                    limit = self._options.max_attempts
                    out_of_attempts = limit is not None and attempts >= limit
                    if reason is None and not connected_before and out_of_attempts:
                        reason = f"cannot connect after {attempts} attempts: {_text(exc)}"
                    if reason is not None:
                        self.failure = reason
                        raise PermanentLinkError(f"{describe()}: {reason}") from exc
                    wait = delay * self._rng.uniform(0.75, 1.25)
                    log.info(
                        "%s: connect failed (%s); retrying in %.1f s", describe(), _text(exc), wait
                    )
                    await self._sleep_or_close(wait)
                    delay = min(delay * 2, BACKOFF_CAP_S)
                    continue
                connected_before = True
                attempts = 0
                delay = BACKOFF_FIRST_S
                self.state = LinkState.READY
                log.debug("%s: connected", describe())
                publish(
                    DeviceConnected(
                        device_id=self._device_id, name=self._name(), profile=self._profile
                    )
                )
                reason = await self._connection.serve()
                if self.closed.is_set():
                    break
                self.state = LinkState.RECONNECTING
                log.info("%s: %s; reconnecting", describe(), reason)
                publish(DeviceLost(device_id=self._device_id, name=self._name(), reason=reason))
        finally:
            self.state = LinkState.CLOSED

    async def _open(self, *, first: bool) -> None:
        limit = self._options.connect_timeout_s
        try:
            async with asyncio.timeout(limit):
                await self._connection.open(first=first)
        except TimeoutError as exc:
            if str(exc):
                raise
            raise TimeoutError(f"no answer within {limit:g} s") from exc

    async def _sleep_or_close(self, seconds: float) -> None:
        closed = asyncio.ensure_future(self.closed.wait())
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait({closed, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (closed, sleeper):
                task.cancel()
            await asyncio.gather(closed, sleeper, return_exceptions=True)


def _text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
