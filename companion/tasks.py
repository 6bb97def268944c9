"""Tasks with an owner: nothing runs that nobody awaits, nothing fails unheard.

`OwnedTasks` is the hub's equivalent of an `asyncio.TaskGroup` for tasks that come and go
(a link per wearable, a discovery while one is missing): a task that fails is logged with
its reason and handed to its `on_done`, and `close` cancels every task and awaits it.
A TaskGroup would cancel all links when one fails; a wearable lost for good must not end
the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class OwnedTasks:
    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False

    def spawn(
        self,
        coroutine: Coroutine[Any, Any, None],
        name: str,
        on_done: Callable[[asyncio.Task[None]], None] | None = None,
    ) -> asyncio.Task[None]:
        if self._closing:
            coroutine.close()
            raise RuntimeError(f"{self._owner} is closing: cannot start {name}")
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                exc = finished.exception()
                log.debug("%s: %s ended: %r", self._owner, name, exc, exc_info=exc)
            if on_done is not None:
                on_done(finished)

        task.add_done_callback(done)
        return task

    def named(self, names: set[str]) -> list[asyncio.Task[Any]]:
        return [task for task in self._tasks if task.get_name() in names]

    def __len__(self) -> int:
        return len(self._tasks)

    async def cancel(self, task: asyncio.Task[Any]) -> None:
        """Cancel one task and wait until it has ended."""
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def close(self) -> None:
        """Cancel every task and await them all."""
        self._closing = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def attempt(work: Callable[[], Awaitable[None]]) -> Exception | None:
    """Run `work` to its end: None, or the exception it failed with (cancellation passes)."""
    try:
        await work()
    except Exception as exc:  # noqa: BLE001 - the caller reports it
        return exc
    return None


def reason(exc: BaseException) -> str:
    """`ValueError: bad data`, for a one-line log (the traceback goes to debug)."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def restarting(
    name: str, work: Callable[[], Awaitable[None]], *, first_s: float = 0.1, cap_s: float = 5.0
) -> None:
    """Run `work` until it returns; when it fails, log why and run it again after a pause
    (doubling to `cap_s`). For loops that publish state or events: unexpected data must
    cost one message, never the loop. Cancellation ends it as usual."""
    delay = first_s
    while (problem := await attempt(work)) is not None:
        log.error("%s failed: %s; restarting in %.1f s", name, reason(problem), delay)
        log.debug("%s failed", name, exc_info=problem)
        await asyncio.sleep(delay)
        delay = min(delay * 2, cap_s)


class Signal:
    """Something changed: waiters wake and look again (no polling)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float | None = None) -> None:
        """Until the next `notify`, or `timeout` seconds."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
