"""What the TUI reads besides the hub: history and schedule, behind two small protocols.

The history store and the scheduler are other services; the TUI only needs a read view of
them. The in-memory defaults here keep the TUI whole until the real ones are wired in
(`BackstretchApp(hub, history=..., schedule=...)`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from companion.clocks import WallClock
from companion.events import EventBus, HubEvent, SessionEnded, SessionStarted
from companion.schedule.occurrences import Occurrence
from companion.session.outcome import DONE_OUTCOMES


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One past session as the history screen lists it."""

    ended: datetime
    routine: str
    status: str
    duration_s: float
    cues_planned: int
    cues_executed: int | None
    reason: str = ""
    screen_only: bool = False
    # How the cues reached the skin (device-timed, host-timed, mixed), when known.
    timing: str | None = None


@dataclass(frozen=True, slots=True)
class Reminder:
    """One upcoming scheduled reminder."""

    at: datetime
    routine: str
    label: str = ""


class HistoryView(Protocol):
    """Read access to past sessions. Also satisfies the hub's `SessionCounts`."""

    def recent(self, limit: int = 20) -> Sequence[SessionRecord]:
        """The latest sessions, newest first."""
        ...

    def sessions_today(self) -> int: ...

    def streak_days(self) -> int: ...


class ScheduleView(Protocol):
    """Read access to the schedule; the on/off switch goes through `hub.set_schedule_enabled`."""

    def upcoming(self, limit: int = 5) -> Sequence[Reminder]: ...


class MemoryHistory:
    """Sessions ended since this process started, learnt from the hub's bus.

    Run `follow()` on a task (the app does it for the history it creates itself).
    """

    def __init__(
        self,
        bus: EventBus,
        wall_clock: WallClock = lambda: datetime.now(UTC),
        local_day: Callable[[datetime], date] = lambda moment: moment.astimezone().date(),
    ) -> None:
        self._subscription = bus.subscribe()
        self._wall_clock = wall_clock
        self._local_day = local_day
        self._records: list[SessionRecord] = []
        self._started: dict[str, datetime] = {}
        self._screen_only: set[str] = set()

    async def follow(self) -> None:
        """Record every session that ends, until cancelled."""
        try:
            async for event in self._subscription:
                self.observe(event)
        finally:
            self._subscription.close()

    def observe(self, event: HubEvent) -> None:
        if isinstance(event, SessionStarted):
            self._started[event.session_id] = self._wall_clock()
            if event.screen_only:
                self._screen_only.add(event.session_id)
        elif isinstance(event, SessionEnded):
            ended = self._wall_clock()
            started = self._started.pop(event.session_id, ended)
            self._records.append(
                SessionRecord(
                    ended=ended,
                    routine=event.routine,
                    status=event.status,
                    duration_s=(ended - started).total_seconds(),
                    cues_planned=event.cues_planned,
                    cues_executed=event.cues_executed,
                    reason=event.reason,
                    screen_only=event.session_id in self._screen_only,
                    timing=event.timing,
                )
            )

    def recent(self, limit: int = 20) -> list[SessionRecord]:
        return list(reversed(self._records))[:limit]

    def _completed_days(self) -> set[date]:
        return {self._local_day(r.ended) for r in self._records if r.status in DONE_OUTCOMES}

    def sessions_today(self) -> int:
        today = self._local_day(self._wall_clock())
        return sum(
            1
            for r in self._records
            if r.status in DONE_OUTCOMES and self._local_day(r.ended) == today
        )

    def streak_days(self) -> int:
        """Days in a row with a completed session, up to today (or yesterday, if none yet)."""
        days = self._completed_days()
        day = self._local_day(self._wall_clock())
        if day not in days:
            day -= timedelta(days=1)
        streak = 0
        while day in days:
            streak += 1
            day -= timedelta(days=1)
        return streak


class StoredHistory(MemoryHistory):
    """The history store's view: sessions from before this run, then those ending now.

    Today's count and the streak come from the store (`counts`), which has every day.
    """

    def __init__(
        self,
        bus: EventBus,
        earlier: Sequence[SessionRecord],
        counts: SessionCounts,
        wall_clock: WallClock = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(bus, wall_clock)
        self._earlier = list(earlier)
        self._counts = counts

    def recent(self, limit: int = 20) -> list[SessionRecord]:
        return [*super().recent(limit), *self._earlier][:limit]

    def sessions_today(self) -> int:
        return self._counts.sessions_today()

    def streak_days(self) -> int:
        return self._counts.streak_days()


class SessionCounts(Protocol):
    def sessions_today(self) -> int: ...

    def streak_days(self) -> int: ...


class Upcoming(Protocol):
    """A scheduler's next firings (each with `at`, `routine` and `name`)."""

    def upcoming(self, n: int = 5) -> Sequence[Occurrence]: ...


class ScheduledReminders:
    """The scheduler's upcoming reminders, as the history screen lists them."""

    def __init__(self, scheduler: Upcoming, default_routine: Callable[[], str]) -> None:
        self._scheduler = scheduler
        self._default_routine = default_routine

    def upcoming(self, limit: int = 5) -> list[Reminder]:
        return [
            Reminder(at=o.at, routine=o.routine or self._default_routine(), label=o.name)
            for o in self._scheduler.upcoming(limit)
        ]


class NoSchedule:
    """No scheduler wired in: nothing upcoming."""

    def upcoming(self, limit: int = 5) -> list[Reminder]:
        return [][:limit]
