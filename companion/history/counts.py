"""Sessions today and the streak, from completed sessions per local day.

Kept in memory and updated as sessions end, so the state snapshot (read many times a
second) never touches the disk; "today" follows the wall clock, so it rolls at midnight
without a refresh.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta, tzinfo

from companion.clocks import WallClock


class DayCounts:
    """The hub's `SessionCounts`: completed sessions per day in the configured zone."""

    def __init__(
        self,
        zone: tzinfo,
        wall_clock: WallClock = lambda: datetime.now(UTC),
        days: Counter[date] | None = None,
    ) -> None:
        self.zone = zone
        self.wall_clock = wall_clock
        self.days: Counter[date] = days if days is not None else Counter()

    def today(self) -> date:
        return self.wall_clock().astimezone(self.zone).date()

    def add(self, ended_at: datetime) -> None:
        self.days[ended_at.astimezone(self.zone).date()] += 1

    def sessions_today(self) -> int:
        return self.days.get(self.today(), 0)

    def streak_days(self) -> int:
        """Days in a row with a completed session, up to today; a day without one yet
        does not break the streak before it is over."""
        day = self.today()
        if not self.days.get(day):
            day -= timedelta(days=1)
        streak = 0
        while self.days.get(day):
            streak += 1
            day -= timedelta(days=1)
        return streak
