"""The scheduler service on a hub: reminders reach the wearable, then start or wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from companion.config import HubConfig
from companion.events import ButtonPressed, HubEvent, Subscription
from companion.hub import Hub
from companion.schedule import Scheduler
from routines import RoutineLibrary
from tests.session.links import RecordingLink

BERLIN = ZoneInfo("Europe/Berlin")


class WallClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def next_of(subscription: Subscription, event_type: str) -> HubEvent:
    async with asyncio.timeout(5):
        while True:
            event = await subscription.get()
            if event.event_type == event_type:
                return event


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never became true")


class Rig:
    def __init__(self, library: RoutineLibrary, **config: Any) -> None:
        self.clock = WallClock(datetime(2025, 6, 2, 9, 59, 59, tzinfo=BERLIN))
        self.config = HubConfig.model_validate(
            {"time_zone": "Europe/Berlin", "schedules": [{"at": ["10:00"]}], **config}
        )
        self.hub = Hub(library, wall_clock=self.clock)
        self.hub.schedule_enabled = True
        self.link = RecordingLink()
        self.hub.links.append(self.link)
        self.scheduler = Scheduler(self.hub, self.config, wall_clock=self.clock, step_s=0.01)
        self.events = self.hub.bus.subscribe()

    def alerts(self) -> list[str]:
        return [kind for kind, _ in self.link.calls if kind.startswith("alert:")]


@pytest.fixture
async def rig_factory(library: RoutineLibrary) -> AsyncIterator[Any]:
    tasks: list[asyncio.Task[None]] = []
    hubs: list[Hub] = []

    def make(**config: Any) -> Rig:
        rig = Rig(library, **config)
        tasks.append(asyncio.create_task(rig.scheduler.run()))
        hubs.append(rig.hub)
        return rig

    yield make
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for hub in hubs:
        if hub.engine is not None and hub.engine.active:
            hub.engine.stop("test over")


async def test_a_reminder_with_the_start_action_plays_and_starts(rig_factory: Any) -> None:
    rig: Rig = rig_factory(reminders={"action": "start"})
    rig.clock.now += timedelta(seconds=2)
    await next_of(rig.events, "reminder")
    started = await next_of(rig.events, "session_started")
    assert rig.alerts() == ["alert:reminder"]
    assert started.to_dict()["routine"] == "one-minute-back"


async def test_a_waiting_reminder_starts_on_a_short_press(rig_factory: Any) -> None:
    rig: Rig = rig_factory(reminders={"action": "wait_for_button", "wait_min": 5})
    rig.clock.now += timedelta(seconds=2)
    await next_of(rig.events, "reminder")
    await asyncio.sleep(0.05)
    assert rig.scheduler.waiting is not None
    assert rig.hub.engine is None
    rig.hub.bus.publish(ButtonPressed(device_id="recorder", press="short"))
    await next_of(rig.events, "session_started")
    assert rig.scheduler.waiting is None


async def test_a_long_press_snoozes_and_the_reminder_comes_back(rig_factory: Any) -> None:
    rig: Rig = rig_factory(reminders={"snooze_min": 10})
    rig.clock.now += timedelta(seconds=2)
    await next_of(rig.events, "reminder")
    await asyncio.sleep(0.05)
    rig.hub.bus.publish(ButtonPressed(device_id="recorder", press="long"))
    await asyncio.sleep(0.05)
    assert rig.scheduler.waiting is None
    assert [o.name for o in rig.scheduler.upcoming(1)] == ["snooze"]
    rig.clock.now += timedelta(minutes=10)
    await next_of(rig.events, "reminder")
    assert rig.alerts() == ["alert:reminder", "alert:reminder"]


async def test_a_reminder_waits_for_no_button_that_does_not_exist(rig_factory: Any) -> None:
    rig: Rig = rig_factory(reminders={"action": "wait_for_button", "wait_min": 5})
    rig.link.caps = replace(rig.link.caps, has_button=False)
    rig.clock.now += timedelta(seconds=2)
    played = await next_of(rig.events, "reminder")
    assert played.to_dict()["devices"] == 1
    assert played.to_dict()["with_button"] == 0
    assert rig.alerts() == ["alert:reminder"]
    # The reminder was published from the same step that decides whether to wait.
    assert rig.scheduler.waiting is None
    assert rig.hub.engine is None


async def test_an_unanswered_reminder_stops_waiting(rig_factory: Any) -> None:
    rig: Rig = rig_factory(reminders={"wait_min": 5})
    rig.clock.now += timedelta(seconds=2)
    await next_of(rig.events, "reminder")
    await asyncio.sleep(0.05)
    assert rig.scheduler.waiting is not None
    rig.clock.now += timedelta(minutes=6)
    await until(lambda: rig.scheduler.waiting is None)
    # A press now starts nothing.
    rig.hub.bus.publish(ButtonPressed(device_id="recorder", press="short"))
    await asyncio.sleep(0.05)
    assert rig.hub.engine is None


async def test_schedules_switched_off_on_the_hub_play_nothing(rig_factory: Any) -> None:
    rig: Rig = rig_factory()
    rig.hub.set_schedule_enabled(False)
    rig.clock.now += timedelta(seconds=2)
    await until(lambda: bool(rig.scheduler.decisions))
    assert [(d.fire, d.reason) for d in rig.scheduler.decisions] == [
        (False, "schedules are switched off")
    ]
    assert rig.alerts() == []
