"""History as a hub service: a bus subscriber that records sessions off the timing path.

Every SQLite call runs on one dedicated thread, in order, so a slow or locked disk never
blocks the event loop; a failed write is logged and coaching goes on. The service is also
the hub's `SessionCounts` (sessions today, streak), answered from memory.

    async with open_history(path) as history:
        history.attach(hub)
        ...  # sessions run; each is recorded
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, Protocol, TypeVar

from companion.clocks import WallClock
from companion.config.paths import default_history_path, local_zone
from companion.events import EventBus, HubEvent, SessionEnded, SessionStarted, Subscription
from companion.history.counts import DayCounts
from companion.history.store import HistoryError, HistoryStore, SessionRecord
from companion.session.outcome import DONE_OUTCOMES
from companion.tasks import reason, restarting

log = logging.getLogger(__name__)

T = TypeVar("T")

# Time given to the last writes at shutdown; the daemon's whole shutdown has 2 s.
FLUSH_TIMEOUT_S = 1.0


class CountedHub(Protocol):
    """What history needs of the hub: its bus, and the slot for the counts it provides."""

    bus: EventBus
    counts: Any


class History:
    def __init__(
        self,
        path: Path | None = None,
        *,
        zone: tzinfo | None = None,
        wall_clock: WallClock = lambda: datetime.now(UTC),
        hub_id: str = "",
    ) -> None:
        self.path = path or default_history_path()
        self.hub_id = hub_id
        self.wall_clock = wall_clock
        self.counts = DayCounts(zone or local_zone(), wall_clock)
        self.problem = ""
        self.last_completed: datetime | None = None
        self._store: HistoryStore | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history")
        self._writes: set[asyncio.Future[None]] = set()
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def available(self) -> bool:
        return self._store is not None

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def open(self) -> None:
        """Open the file; if it cannot be used, say so once and run without history."""
        try:
            store = await self._call(HistoryStore.open, self.path)
            days = await self._call(store.completed_days, self.counts.zone)
            self.last_completed = await self._call(store.last_completed)
        except HistoryError as exc:
            self.problem = str(exc)
            log.warning("history is unavailable: %s; coaching goes on without it", exc)
            return
        self._store = store
        self.counts.days = days

    # -- SessionCounts ---------------------------------------------------------------

    def sessions_today(self) -> int:
        return self.counts.sessions_today()

    def streak_days(self) -> int:
        return self.counts.streak_days()

    # -- the service -----------------------------------------------------------------

    def attach(self, hub: CountedHub) -> None:
        """Record `hub`'s sessions from now on and give it the counts."""
        hub.counts = self
        self._subscription = hub.bus.subscribe()
        self._task = asyncio.create_task(self._consume(self._subscription), name="history")

    async def _consume(self, subscription: Subscription) -> None:
        async def follow() -> None:
            async for event in subscription:
                self.handle(event)

        await restarting("history", follow)

    def handle(self, event: HubEvent) -> None:
        """Queue the write an event calls for (never waits for the disk)."""
        now = self.wall_clock()
        if isinstance(event, SessionStarted):
            self._write(
                "record the session start",
                lambda store: store.record_started(
                    session_id=event.session_id,
                    routine=event.routine,
                    exercises=event.exercises,
                    pace_bpm=event.pace_bpm,
                    started_at=now,
                    hub_id=self.hub_id,
                    screen_only=event.screen_only,
                ),
            )
        elif isinstance(event, SessionEnded):
            if event.status in DONE_OUTCOMES:
                self.counts.add(now)
                self.last_completed = now
            self._write(
                "record the session end",
                lambda store: store.record_ended(
                    session_id=event.session_id,
                    routine=event.routine,
                    outcome=event.status,
                    reason=event.reason,
                    ended_at=now,
                    cues_planned=event.cues_planned,
                    cues_executed=event.cues_executed,
                    onset_error_ms=dict(event.onset_error_ms or {}),
                    timing=event.timing,
                ),
            )

    def _write(self, what: str, action: Callable[[HistoryStore], None]) -> None:
        store = self._store
        if store is None:
            return

        def run() -> None:
            try:
                action(store)
            except (sqlite3.Error, OSError) as exc:  # report, keep coaching
                message = store.describe(exc) if isinstance(exc, sqlite3.Error) else str(exc)
                log.warning("history: could not %s: %s", what, message)
                self.problem = message
            except Exception as exc:
                # One line for the person; the traceback goes to debug.
                log.error("history: could not %s: %s", what, reason(exc))  # noqa: TRY400
                log.debug("history: could not %s", what, exc_info=exc)

        future = asyncio.get_running_loop().run_in_executor(self._executor, run)
        self._writes.add(future)
        future.add_done_callback(self._writes.discard)

    async def recent(self, limit: int = 10) -> list[SessionRecord]:
        if self._store is None:
            return []
        return await self._call(self._store.recent, limit)

    async def close(self) -> None:
        """Record what is still queued, wait for the writes, close the file."""
        if self._subscription is not None:
            self._subscription.close()
            while (event := self._subscription.get_nowait()) is not None:
                self.handle(event)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._writes:
            _done, pending = await asyncio.wait(set(self._writes), timeout=FLUSH_TIMEOUT_S)
            if pending:
                log.warning("history: %d write(s) did not finish in time", len(pending))
        store, self._store = self._store, None
        if store is not None:
            await self._call(store.close)
        self._executor.shutdown(wait=False)


@contextlib.asynccontextmanager
async def open_history(
    path: Path | None = None,
    *,
    zone: tzinfo | None = None,
    wall_clock: WallClock = lambda: datetime.now(UTC),
    hub_id: str = "",
) -> AsyncIterator[History]:
    """An opened `History` (check `.available`); flushed and closed on exit."""
    history = History(path, zone=zone, wall_clock=wall_clock, hub_id=hub_id)
    await history.open()
    try:
        yield history
    finally:
        await history.close()
