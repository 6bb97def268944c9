"""When schedules fire: wall-clock times of day turned into instants, DST included.

A schedule speaks in local wall time ("10:30 on weekdays"); the hub waits on instants.
Across a DST change a wall time can be missing (spring forward) or happen twice (fall
back). The rules, chosen so that nothing fires twice and nothing vanishes:

- a time that happens twice fires once, at its first occurrence;
- a time that does not exist fires when the gap ends (02:30 becomes 03:00), and merges
  with any other reminder at that instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from companion.config.models import Schedule

SNOOZE = -1
# Far enough to find the next firing of any weekly schedule.
HORIZON = timedelta(days=8)


@dataclass(frozen=True, slots=True, order=True)
class Occurrence:
    """One firing: the instant (UTC) and the wall time and schedule it stands for."""

    at: datetime
    index: int
    name: str
    local: datetime
    routine: str | None = None
    # The wall time did not exist (DST gap): it fires at the end of the gap.
    shifted: bool = False

    @property
    def key(self) -> tuple[int, datetime]:
        """Identity across clock jumps: the same schedule at the same wall time."""
        return self.index, self.local


def resolve(local: datetime, zone: tzinfo) -> tuple[datetime, bool]:
    """The instant (UTC) a naive wall time stands for in `zone`, and if it was shifted."""
    first = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == local:
        # It exists; with fold=0 an ambiguous time is its first occurrence.
        return first, False
    # In a gap, fold=0 applies the offset from before the change (an instant after the
    # gap) and fold=1 the offset after it (an instant before). The change lies between.
    low = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = max(first, low)
    low = min(first, low)
    after = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0), True


def local_day_times(schedule: Schedule, day: date) -> tuple[time, ...]:
    return schedule.times() if day.weekday() in {d.number for d in schedule.days} else ()


def occurrences_between(
    schedules: Sequence[Schedule], zone: tzinfo, start: datetime, end: datetime
) -> list[Occurrence]:
    """Every firing with `start < at <= end`, sorted; one per instant (the first schedule
    in file order wins a tie, which only a DST gap can cause)."""
    if end <= start:
        return []
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    found: dict[datetime, Occurrence] = {}
    day = first_day
    while day <= last_day:
        for index, schedule in enumerate(schedules):
            for moment in local_day_times(schedule, day):
                local = datetime.combine(day, moment)
                at, shifted = resolve(local, zone)
                if start < at <= end and at not in found:
                    found[at] = Occurrence(
                        at, index, schedule.name, local, schedule.routine, shifted
                    )
        day += timedelta(days=1)
    return sorted(found.values())


def next_occurrence(
    schedules: Sequence[Schedule], zone: tzinfo, after: datetime
) -> Occurrence | None:
    """The first firing strictly after `after`, or None without schedules."""
    # Search a day at a time: the common case (a firing within a day) stays cheap.
    start = after
    while start < after + HORIZON:
        found = occurrences_between(schedules, zone, start, start + timedelta(days=1))
        if found:
            return found[0]
        start += timedelta(days=1)
    return None
