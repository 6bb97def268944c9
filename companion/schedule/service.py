"""The scheduler as a hub service: wakes for each reminder, plays it, starts or waits.

It sleeps in short steps and re-reads the wall clock each time, so a clock that is set
(or a host that wakes from suspend) is noticed within one step; the planner decides what
that means. While a reminder waits, a short press on the wearable starts the session, a
long press snoozes it and a double press dismisses it; a session started from anywhere
answers it too.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from companion.clocks import WallClock
from companion.config.models import HubConfig, ReminderAction
from companion.errors import HubError
from companion.events import (
    ButtonPressed,
    EventBus,
    HubEvent,
    ReminderPlayed,
    SessionEnded,
    SessionStarted,
)
from companion.schedule.occurrences import Occurrence
from companion.schedule.planner import Conditions, Decision, ReminderPlanner
from companion.session.outcome import DONE_OUTCOMES
from routines import RoutineError

log = logging.getLogger(__name__)


# Longest sleep between two looks at the wall clock.
DEFAULT_STEP_S = 1.0


class ActiveSession(Protocol):
    @property
    def active(self) -> bool: ...


class RemindingHub(Protocol):
    """What the scheduler needs of the hub (services do not import the hub itself)."""

    bus: EventBus
    schedule_enabled: bool
    wall_clock: WallClock

    @property
    def engine(self) -> ActiveSession | None: ...

    def remind(self) -> ReminderPlayed: ...

    def start(self, routine_id: str | None = None) -> object: ...


@dataclass(frozen=True, slots=True)
class Waiting:
    """A reminder played and waiting for an answer until `until`."""

    occurrence: Occurrence
    until: datetime


class Scheduler:
    def __init__(
        self,
        hub: RemindingHub,
        config: HubConfig,
        *,
        wall_clock: WallClock | None = None,
        step_s: float = DEFAULT_STEP_S,
        last_completed: datetime | None = None,
    ) -> None:
        self.hub = hub
        self.config = config
        self.wall_clock = wall_clock or hub.wall_clock
        self.step_s = step_s
        self.last_completed = last_completed
        self.planner = ReminderPlanner(
            config.schedules,
            config.zone,
            config.reminders,
            config.quiet_hours,
            start=self.wall_clock(),
        )
        self.waiting: Waiting | None = None
        self.decisions: list[Decision] = []
        self._wake = asyncio.Event()

    # -- what front ends call ----------------------------------------------------------

    def upcoming(self, n: int = 5) -> list[Occurrence]:
        """The next reminders (for the TUI), quiet hours left out."""
        return self.planner.upcoming(self.wall_clock(), n)

    def snooze(self, minutes: float | None = None) -> Occurrence:
        """Remind again later; answers a waiting reminder."""
        self.waiting = None
        occurrence = self.planner.snooze(self.wall_clock(), minutes)
        log.info("reminder snoozed until %s", _local(occurrence.at, self.planner))
        self._wake.set()
        return occurrence

    # -- the service -----------------------------------------------------------------

    async def run(self) -> None:
        """Until cancelled."""
        subscription = self.hub.bus.subscribe(maxsize=1000)
        try:
            while True:
                now = self.wall_clock()
                self._tick(now)
                self._wake.clear()
                get = asyncio.ensure_future(subscription.get())
                wake = asyncio.ensure_future(self._wake.wait())
                try:
                    await asyncio.wait(
                        {get, wake},
                        timeout=self._sleep_for(now),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    wake.cancel()
                    if not get.done():
                        get.cancel()
                if get.done() and not get.cancelled():
                    self.on_event(get.result(), self.wall_clock())
        finally:
            subscription.close()

    def _tick(self, now: datetime) -> None:
        if self.waiting is not None and now >= self.waiting.until:
            log.info(
                "reminder '%s' was not answered; waiting no more", self.waiting.occurrence.name
            )
            self.waiting = None
        engine = self.hub.engine
        conditions = Conditions(
            enabled=self.hub.schedule_enabled,
            session_active=engine is not None and engine.active,
            last_completed=self.last_completed,
            waiting=self.waiting is not None,
        )
        for decision in self.planner.poll(now, conditions):
            self.decisions.append(decision)
            del self.decisions[:-100]
            self._act(decision, now)

    def _sleep_for(self, now: datetime) -> float:
        wake = [self.step_s]
        due = self.planner.next_due(now)
        if due is not None:
            wake.append((due - now).total_seconds())
        if self.waiting is not None:
            wake.append((self.waiting.until - now).total_seconds())
        return max(0.005, min(wake))

    def _act(self, decision: Decision, now: datetime) -> None:
        occurrence = decision.occurrence
        when = f"{occurrence.local:%a %H:%M}"
        if not decision.fire:
            if decision.reason.startswith("missed"):
                log.warning(
                    "reminder '%s' (%s) skipped: %s", occurrence.name, when, decision.reason
                )
            else:
                log.info("reminder '%s' (%s) skipped: %s", occurrence.name, when, decision.reason)
            return
        played = self.hub.remind()
        log.info(
            "reminder '%s' (%s): %s; played on %s",
            occurrence.name,
            when,
            decision.reason,
            _wearables(played.devices),
        )
        if self.config.reminders.action is ReminderAction.START:
            self._start(occurrence)
        elif played.with_button == 0:
            # Waiting for a press no wearable can give would only swallow the reminder.
            log.info(
                "reminder '%s': no wearable with a button heard it; start the session from "
                "the TUI or Home Assistant",
                occurrence.name,
            )
        else:
            until = now + timedelta(minutes=self.config.reminders.wait_min)
            self.waiting = Waiting(occurrence, until)

    def _start(self, occurrence: Occurrence) -> None:
        try:
            self.hub.start(occurrence.routine)
        except (HubError, RoutineError) as exc:
            log.warning("reminder '%s' could not start a session: %s", occurrence.name, exc)

    # -- what the bus says -----------------------------------------------------------

    def on_event(self, event: HubEvent, now: datetime) -> None:
        if isinstance(event, SessionEnded):
            if event.status in DONE_OUTCOMES:
                self.last_completed = now
        elif isinstance(event, SessionStarted):
            # Started from anywhere: the reminder is answered.
            self.waiting = None
            self.planner.cancel_snooze()
        elif isinstance(event, ButtonPressed) and self.waiting is not None:
            waiting = self.waiting
            if event.press == "short":
                self.waiting = None
                self._start(waiting.occurrence)
            elif event.press == "long":
                self.snooze()
            elif event.press == "double":
                log.info("reminder '%s' dismissed on the wearable", waiting.occurrence.name)
                self.waiting = None


def _wearables(n: int) -> str:
    return "1 wearable" if n == 1 else f"{n} wearables"


def _local(moment: datetime, planner: ReminderPlanner) -> str:
    return f"{moment.astimezone(planner.zone):%H:%M}"
