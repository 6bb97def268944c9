"""The loop every link runs while connected: a round of radio work, then wait to be woken.

A round races the disconnection (a write in flight when the adapter vanishes may never be
answered); between rounds the link sleeps until the round's own timeout, a wake from the
engine (a new schedule, an alert) or the disconnection, whichever comes first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bleak.exc import BleakError

from companion.errors import DeviceError

# After a round that failed without losing the link, try again this soon.
RETRY_S = 0.5
# The errors a round may end with while the link stays up (a refused or unanswered request).
ROUND_ERRORS: tuple[type[BaseException], ...] = (BleakError, DeviceError, TimeoutError, OSError)


async def serve_rounds(
    deliver: Callable[[], Awaitable[float]],
    *,
    wake: asyncio.Event,
    disconnected: asyncio.Event,
    closed: asyncio.Event,
    describe: Callable[[], str],
    log: logging.Logger,
) -> str:
    """Run `deliver` rounds (each returns how long to wait before the next) until the link
    drops or closes; returns why it ended: "link lost" or "closed"."""
    lost = asyncio.ensure_future(disconnected.wait())
    try:
        while not closed.is_set():
            wake.clear()
            if disconnected.is_set():
                return "link lost"
            delivery = asyncio.ensure_future(deliver())
            await asyncio.wait({delivery, lost}, return_when=asyncio.FIRST_COMPLETED)
            if not delivery.done():
                delivery.cancel()
                await asyncio.gather(delivery, return_exceptions=True)
                return "link lost"
            try:
                timeout = delivery.result()
            except ROUND_ERRORS as exc:
                if disconnected.is_set() or closed.is_set():
                    return "link lost"
                log.warning("%s: %s", describe(), exc)
                timeout = RETRY_S
            if timeout <= 0 or wake.is_set():
                continue
            waker = asyncio.ensure_future(wake.wait())
            await asyncio.wait({waker, lost}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            waker.cancel()
            await asyncio.gather(waker, return_exceptions=True)
        return "closed"
    finally:
        lost.cancel()
        await asyncio.gather(lost, return_exceptions=True)
