"""The scheduler's decisions, free of I/O and of any clock but the `now` it is given.

`ReminderPlanner.poll(now, ...)` is called often with the wall clock; it returns what to
do about every firing since the last call. It remembers which firings it handled, so a
clock that jumps back does not repeat them, and one that jumps forward (or a hub that was
suspended) reports what it missed instead of dropping it silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from companion.config.models import QuietHours, Reminders, Schedule
from companion.schedule.occurrences import (
    SNOOZE,
    Occurrence,
    next_occurrence,
    occurrences_between,
)

# How long the memory of handled firings lasts: longer than any plausible backward jump.
MEMORY = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class Decision:
    occurrence: Occurrence
    fire: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Conditions:
    """What the hub says at the moment of a poll."""

    enabled: bool = True
    session_active: bool = False
    # When the last session completed (None: none known).
    last_completed: datetime | None = None
    # A previous reminder is still waiting for its button press.
    waiting: bool = False


class ReminderPlanner:
    def __init__(
        self,
        schedules: Sequence[Schedule],
        zone: tzinfo,
        reminders: Reminders,
        quiet_hours: QuietHours | None,
        start: datetime,
    ) -> None:
        self.schedules = tuple(schedules)
        self.zone = zone
        self.reminders = reminders
        self.quiet_hours = quiet_hours
        # Firings at or before the cursor have been handled.
        self.cursor = start
        self._handled: dict[tuple[int, datetime], datetime] = {}
        self._snooze: Occurrence | None = None

    # -- questions -------------------------------------------------------------------

    def next_due(self, now: datetime) -> datetime | None:
        """The next instant worth waking up for (a firing or a snooze), after the cursor."""
        after = max(now, self.cursor)
        candidates = [o.at for o in (next_occurrence(self.schedules, self.zone, after),) if o]
        if self._snooze is not None:
            candidates.append(self._snooze.at)
        return min(candidates, default=None)

    def upcoming(self, now: datetime, n: int = 5) -> list[Occurrence]:
        """The next `n` firings that would remind (quiet hours left out), snooze included."""
        found: list[Occurrence] = []
        start = max(now, self.cursor)
        end = start + timedelta(days=8)
        for occurrence in occurrences_between(self.schedules, self.zone, start, end):
            if not self._quiet(occurrence):
                found.append(occurrence)
            if len(found) >= n:
                break
        if self._snooze is not None and self._snooze.at > now:
            found = sorted([*found, self._snooze])
        return found[:n]

    def in_quiet_hours(self, moment: datetime) -> bool:
        if self.quiet_hours is None:
            return False
        return self.quiet_hours.contains(moment.astimezone(self.zone).time())

    # -- changes ---------------------------------------------------------------------

    def snooze(self, now: datetime, minutes: float | None = None) -> Occurrence:
        """Remind again in `minutes` (default: the configured snooze)."""
        at = now + timedelta(minutes=minutes or self.reminders.snooze_min)
        local = at.astimezone(self.zone).replace(tzinfo=None, microsecond=0)
        self._snooze = Occurrence(at, SNOOZE, "snooze", local)
        return self._snooze

    def cancel_snooze(self) -> None:
        self._snooze = None

    def poll(self, now: datetime, conditions: Conditions) -> list[Decision]:
        """Decide about every firing since the last poll; the cursor moves to `now`."""
        due = occurrences_between(self.schedules, self.zone, self.cursor, now)
        if self._snooze is not None and self._snooze.at <= now:
            # Behind the cursor too: a snooze set before a backward jump still plays.
            due = sorted([*due, self._snooze])
            self._snooze = None
        self.cursor = now
        self._forget(now)
        decisions: list[Decision] = []
        fresh: list[Occurrence] = []
        for occurrence in due:
            if occurrence.key in self._handled:
                decisions.append(
                    Decision(occurrence, False, "already handled (the clock went back)")
                )
            else:
                fresh.append(occurrence)
                self._handled[occurrence.key] = occurrence.at
        # Several at once means the hub slept or the clock jumped: only the latest counts.
        for occurrence in fresh[:-1]:
            late = _minutes(now - occurrence.at)
            decisions.append(
                Decision(
                    occurrence,
                    False,
                    f"missed by {late} (the hub was suspended or the clock jumped); "
                    "a later reminder replaces it",
                )
            )
        if fresh:
            latest = fresh[-1]
            decisions.append(self._decide(latest, now, conditions))
        return decisions

    def _decide(self, occurrence: Occurrence, now: datetime, conditions: Conditions) -> Decision:
        late = now - occurrence.at
        skip = self._skip_reason(occurrence, now, conditions)
        if skip is not None:
            return Decision(occurrence, False, skip)
        reason = "due"
        if occurrence.shifted:
            reason = f"due ({occurrence.local:%H:%M} did not exist today: the clocks changed)"
        elif late > timedelta(seconds=90):
            reason = f"late by {_minutes(late)} (the hub was suspended or the clock jumped)"
        return Decision(occurrence, True, reason)

    def _skip_reason(
        self, occurrence: Occurrence, now: datetime, conditions: Conditions
    ) -> str | None:
        late = now - occurrence.at
        done = conditions.last_completed
        window = timedelta(minutes=self.reminders.skip_if_done_within_min)
        checks = (
            (
                late > timedelta(minutes=self.reminders.catch_up_min),
                f"missed by {_minutes(late)} (the hub was suspended or the clock jumped)",
            ),
            (not conditions.enabled, "schedules are switched off"),
            (self._quiet(occurrence), "quiet hours"),
            (conditions.session_active, "a session is running"),
            (conditions.waiting, "the previous reminder is still waiting"),
            (
                done is not None and timedelta(0) <= now - done <= window,
                f"a session was completed {_minutes(now - done)} ago" if done else "",
            ),
        )
        return next((reason for skip, reason in checks if skip), None)

    def _quiet(self, occurrence: Occurrence) -> bool:
        return self.quiet_hours is not None and self.quiet_hours.contains(occurrence.local.time())

    def _forget(self, now: datetime) -> None:
        stale = [key for key, at in self._handled.items() if abs(now - at) > MEMORY]
        for key in stale:
            del self._handled[key]


def _minutes(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    if minutes < 1:
        return f"{delta.total_seconds():.0f} s"
    if minutes < 120:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h"
