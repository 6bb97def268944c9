"""Schedule decisions on an injected wall clock: DST, clock jumps, quiet hours, snooze, skips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from companion.config import HubConfig
from companion.schedule import Conditions, Decision, ReminderPlanner, occurrences_between
from companion.schedule.occurrences import next_occurrence, resolve

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def config(**data: Any) -> HubConfig:
    return HubConfig.model_validate(data)


def planner(cfg: HubConfig, start: datetime) -> ReminderPlanner:
    return ReminderPlanner(cfg.schedules, cfg.zone, cfg.reminders, cfg.quiet_hours, start)


def local(zone: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=zone, fold=fold)  # type: ignore[misc,arg-type]


def naive(*args: int) -> datetime:
    """A wall-clock time with no zone, as schedules speak."""
    return datetime(*args, tzinfo=UTC).replace(tzinfo=None)  # type: ignore[misc,arg-type]


def fired(decisions: list[Decision]) -> list[Decision]:
    return [d for d in decisions if d.fire]


def run_clock(
    p: ReminderPlanner, start: datetime, end: datetime, step: timedelta, **conditions: Any
) -> list[Decision]:
    """Poll every `step` from start to end, as the service does."""
    decisions: list[Decision] = []
    now = start
    while now <= end:
        decisions += p.poll(now, Conditions(**conditions))
        now += step
    return decisions


# -- wall time to instants ---------------------------------------------------------------


def test_a_wall_time_in_the_spring_gap_fires_when_the_gap_ends() -> None:
    # Berlin, 2025-03-30: 02:00 CET becomes 03:00 CEST (01:00 UTC).
    at, shifted = resolve(naive(2025, 3, 30, 2, 30), BERLIN)
    assert shifted
    assert at == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
    assert resolve(naive(2025, 3, 30, 3, 30), BERLIN) == (
        datetime(2025, 3, 30, 1, 30, tzinfo=UTC),
        False,
    )


def test_a_wall_time_that_happens_twice_fires_at_the_first() -> None:
    # Berlin, 2025-10-26: 03:00 CEST becomes 02:00 CET; 02:30 happens at 00:30 and 01:30 UTC.
    assert resolve(naive(2025, 10, 26, 2, 30), BERLIN) == (
        datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
        False,
    )


def test_interval_slots_across_the_spring_gap_merge_into_one_at_its_end() -> None:
    cfg = config(
        time_zone="Europe/Berlin",
        schedules=[{"every_min": 30, "between": ["01:00", "04:00"]}],
    )
    found = occurrences_between(
        cfg.schedules,
        BERLIN,
        local(BERLIN, 2025, 3, 30, 0, 0),
        local(BERLIN, 2025, 3, 30, 5, 0),
    )
    # 02:00 and 02:30 do not exist: they fire with 03:00, once.
    assert [o.at.astimezone(BERLIN).strftime("%H:%M") for o in found] == [
        "01:00",
        "01:30",
        "03:00",
        "03:30",
        "04:00",
    ]
    assert found[2].shifted
    assert found[2].local == naive(2025, 3, 30, 2, 0)


def test_interval_slots_across_the_autumn_fold_fire_once_each() -> None:
    cfg = config(
        time_zone="Europe/Berlin",
        schedules=[{"every_min": 30, "between": ["01:00", "04:00"]}],
    )
    found = occurrences_between(
        cfg.schedules,
        BERLIN,
        local(BERLIN, 2025, 10, 26, 0, 0),
        local(BERLIN, 2025, 10, 26, 5, 0),
    )
    assert [o.local.strftime("%H:%M") for o in found] == [
        "01:00",
        "01:30",
        "02:00",
        "02:30",
        "03:00",
        "03:30",
        "04:00",
    ]
    instants = [o.at for o in found]
    assert instants == sorted(set(instants))


@pytest.mark.parametrize(
    ("zone", "day"),
    [(BERLIN, (2025, 3, 30)), (BERLIN, (2025, 10, 26)), (NEW_YORK, (2025, 3, 9))],
)
def test_a_polling_service_fires_each_reminder_once_across_a_dst_change(
    zone: ZoneInfo, day: tuple[int, int, int]
) -> None:
    cfg = config(
        schedules=[
            {"name": "night", "at": ["01:30", "02:30", "03:30"]},
            {"name": "day", "every_min": 60, "between": ["08:00", "10:00"]},
        ],
        reminders={"catch_up_min": 5},
        time_zone=zone.key,
    )
    start = datetime(*day, tzinfo=zone) - timedelta(hours=1)
    p = planner(cfg, start)
    decisions = run_clock(p, start, start + timedelta(hours=13), timedelta(seconds=45))
    names = [(d.occurrence.name, d.occurrence.local.strftime("%H:%M")) for d in fired(decisions)]
    assert names == [
        ("night", "01:30"),
        ("night", "02:30"),
        ("night", "03:30"),
        ("day", "08:00"),
        ("day", "09:00"),
        ("day", "10:00"),
    ]
    assert all(not d.reason.startswith("missed") for d in decisions)


def test_next_occurrence_skips_days_not_chosen() -> None:
    cfg = config(schedules=[{"at": ["10:30"], "days": ["sat"]}])
    # Monday 2025-06-02, 11:00.
    found = next_occurrence(cfg.schedules, BERLIN, local(BERLIN, 2025, 6, 2, 11, 0))
    assert found is not None
    assert found.at == local(BERLIN, 2025, 6, 7, 10, 30)


# -- the planner -------------------------------------------------------------------------

MORNING = {"schedules": [{"name": "morning", "at": ["10:00"]}], "time_zone": "Europe/Berlin"}


def test_a_due_reminder_fires_once() -> None:
    start = local(BERLIN, 2025, 6, 2, 9, 59)
    p = planner(config(**MORNING), start)
    assert p.poll(local(BERLIN, 2025, 6, 2, 9, 59, 59), Conditions()) == []
    first = p.poll(local(BERLIN, 2025, 6, 2, 10, 0, 1), Conditions())
    assert [(d.fire, d.reason) for d in first] == [(True, "due")]
    assert p.poll(local(BERLIN, 2025, 6, 2, 10, 0, 2), Conditions()) == []


def test_a_clock_set_back_does_not_fire_a_reminder_twice() -> None:
    p = planner(config(**MORNING), local(BERLIN, 2025, 6, 2, 9, 59))
    assert fired(p.poll(local(BERLIN, 2025, 6, 2, 10, 1), Conditions()))
    # The clock is set back 30 minutes and runs past 10:00 again.
    assert p.poll(local(BERLIN, 2025, 6, 2, 9, 31), Conditions()) == []
    again = p.poll(local(BERLIN, 2025, 6, 2, 10, 2), Conditions())
    assert [(d.fire, d.reason) for d in again] == [(False, "already handled (the clock went back)")]
    # The next day fires as usual.
    assert fired(p.poll(local(BERLIN, 2025, 6, 3, 10, 0, 5), Conditions()))


def test_a_clock_jump_forward_reports_what_it_missed_and_catches_up_once() -> None:
    cfg = config(
        schedules=[{"every_min": 30, "between": ["09:00", "12:00"]}],
        reminders={"catch_up_min": 10},
        time_zone="Europe/Berlin",
    )
    p = planner(cfg, local(BERLIN, 2025, 6, 2, 8, 50))
    # The host sleeps from 08:50 to 10:05: 09:00, 09:30 and 10:00 are due at once.
    decisions = p.poll(local(BERLIN, 2025, 6, 2, 10, 5), Conditions())
    assert [d.occurrence.local.strftime("%H:%M") for d in decisions] == ["09:00", "09:30", "10:00"]
    assert [d.fire for d in decisions] == [False, False, True]
    assert decisions[0].reason.startswith("missed by 65 min")
    assert decisions[2].reason.startswith("late by 5 min")


def test_a_reminder_missed_by_more_than_the_catch_up_window_is_reported_not_played() -> None:
    p = planner(config(**MORNING, reminders={"catch_up_min": 10}), local(BERLIN, 2025, 6, 2, 9))
    decisions = p.poll(local(BERLIN, 2025, 6, 2, 11, 0), Conditions())
    assert [(d.fire, d.reason) for d in decisions] == [
        (False, "missed by 60 min (the hub was suspended or the clock jumped)")
    ]


def test_quiet_hours_across_midnight_silence_reminders() -> None:
    cfg = config(
        schedules=[{"name": "late", "at": ["22:30", "06:30", "07:30"]}],
        quiet_hours={"start": "22:00", "end": "07:00"},
        time_zone="Europe/Berlin",
    )
    start = local(BERLIN, 2025, 6, 2, 22, 0)
    p = planner(cfg, start)
    decisions = run_clock(p, start, start + timedelta(hours=10), timedelta(minutes=1))
    assert [(d.occurrence.local.strftime("%H:%M"), d.fire, d.reason) for d in decisions] == [
        ("22:30", False, "quiet hours"),
        ("06:30", False, "quiet hours"),
        ("07:30", True, "due"),
    ]
    assert [o.local.strftime("%H:%M") for o in p.upcoming(start, 2)] == ["07:30", "07:30"]


@pytest.mark.parametrize(
    ("conditions", "reason"),
    [
        (Conditions(enabled=False), "schedules are switched off"),
        (Conditions(session_active=True), "a session is running"),
        (Conditions(waiting=True), "the previous reminder is still waiting"),
    ],
)
def test_a_reminder_is_skipped_with_a_reason(conditions: Conditions, reason: str) -> None:
    p = planner(config(**MORNING), local(BERLIN, 2025, 6, 2, 9, 59))
    assert [(d.fire, d.reason) for d in p.poll(local(BERLIN, 2025, 6, 2, 10, 0), conditions)] == [
        (False, reason)
    ]


def test_a_reminder_is_skipped_after_a_recent_session_only() -> None:
    cfg = config(
        schedules=[{"at": ["10:00", "11:00"]}],
        reminders={"skip_if_done_within_min": 30},
        time_zone="Europe/Berlin",
    )
    p = planner(cfg, local(BERLIN, 2025, 6, 2, 9, 59))
    done = local(BERLIN, 2025, 6, 2, 9, 40)
    first = p.poll(local(BERLIN, 2025, 6, 2, 10, 0), Conditions(last_completed=done))
    assert [(d.fire, d.reason) for d in first] == [(False, "a session was completed 20 min ago")]
    second = p.poll(local(BERLIN, 2025, 6, 2, 11, 0), Conditions(last_completed=done))
    assert [d.fire for d in second] == [True]


def test_snooze_reminds_again_later_once() -> None:
    cfg = config(**MORNING, reminders={"snooze_min": 10})
    p = planner(cfg, local(BERLIN, 2025, 6, 2, 9, 59))
    assert fired(p.poll(local(BERLIN, 2025, 6, 2, 10, 0), Conditions()))
    snooze = p.snooze(local(BERLIN, 2025, 6, 2, 10, 1))
    assert snooze.at == local(BERLIN, 2025, 6, 2, 10, 11)
    assert p.next_due(local(BERLIN, 2025, 6, 2, 10, 2)) == snooze.at
    assert p.upcoming(local(BERLIN, 2025, 6, 2, 10, 2), 1) == [snooze]
    assert p.poll(local(BERLIN, 2025, 6, 2, 10, 10), Conditions()) == []
    again = p.poll(local(BERLIN, 2025, 6, 2, 10, 11, 1), Conditions())
    assert [(d.occurrence.name, d.fire) for d in again] == [("snooze", True)]
    assert p.poll(local(BERLIN, 2025, 6, 2, 10, 30), Conditions()) == []


def test_next_due_is_the_next_firing() -> None:
    p = planner(config(**MORNING), local(BERLIN, 2025, 6, 2, 12, 0))
    assert p.next_due(local(BERLIN, 2025, 6, 2, 12, 0)) == local(BERLIN, 2025, 6, 3, 10, 0)
    assert planner(config(), local(BERLIN, 2025, 6, 2)).next_due(local(BERLIN, 2025, 6, 2)) is None
