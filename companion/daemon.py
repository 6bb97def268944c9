"""The headless hub (`backstretch run`): hub, radio, device links, scheduler, history, and
whatever extra services are plugged in (the MQTT mirror), until SIGTERM or SIGINT.

Nothing here is on the timing path: the session engine and the links keep their own
tasks; the scheduler and history subscribe to the bus. Shutdown is bounded: the running
session is stopped (the wearables are told), history is flushed, and `run` returns 0
within `SHUTDOWN_BUDGET_S`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from companion.clocks import Clock, WallClock
from companion.config import HubConfig, default_history_path
from companion.devices.discovery import STILL_LOOKING_S
from companion.devices.radio import Radio, open_radio
from companion.errors import HubError, PermanentLinkError
from companion.events import (
    ButtonPressed,
    DeviceConnected,
    DeviceLost,
    HubEvent,
    SessionEnded,
    SessionStarted,
    SettingsChanged,
)
from companion.history import History
from companion.hub import Hub
from companion.schedule import Scheduler
from companion.tasks import attempt, reason
from routines import RoutineError, RoutineLibrary

if TYPE_CHECKING:
    from simulator import SimOptions

log = logging.getLogger(__name__)

# From the signal to `run` returning; the process exits right after.
SHUTDOWN_BUDGET_S = 1.5
# Looking for wearables: a missing one is first reported after this (see discovery).
SCAN_S = STILL_LOOKING_S
RETRY_FIRST_S = 2.0
# A part that fails is restarted after this, doubling to the cap; one that fails more than
# MAX_RESTARTS times within the window ends the hub (exit status 1).
RESTART_FIRST_S = 0.5
RESTART_CAP_S = 10.0
RESTART_WINDOW_S = 60.0
MAX_RESTARTS = 5


@dataclass(frozen=True)
class DaemonContext:
    """What an extra service (the MQTT mirror, a UI) gets to work with."""

    hub: Hub
    config: HubConfig
    scheduler: Scheduler
    history: History
    radio: Radio


# An extra service: runs until cancelled (at shutdown); it must not block the loop.
Service = Callable[[DaemonContext], Awaitable[None]]


class Daemon:
    def __init__(
        self,
        config: HubConfig,
        library: RoutineLibrary,
        *,
        sims: Sequence[SimOptions] | None = None,
        adapter: str | None = None,
        services: Sequence[Service] = (),
        start_now: str | None = None,
        wall_clock: WallClock = lambda: datetime.now(UTC),
        clock: Clock = time.monotonic,
        history_path: Path | None = None,
        scan_s: float = SCAN_S,
        retry_first_s: float = RETRY_FIRST_S,
        restart_first_s: float = RESTART_FIRST_S,
    ) -> None:
        self.config = config
        self.library = library
        self.sims = list(sims) if sims else None
        self.adapter = adapter
        self.services = list(services)
        self.start_now = start_now
        self.wall_clock = wall_clock
        self.clock = clock
        self.history_path = history_path or config.history_file or default_history_path()
        self.scan_s = scan_s
        self.retry_first_s = retry_first_s
        self.restart_first_s = restart_first_s
        self.context: DaemonContext | None = None
        # The part whose failures ended the hub, if one did.
        self.failed: str | None = None
        self._stop: asyncio.Event | None = None
        self._ready = asyncio.Event()

    # -- control ---------------------------------------------------------------------

    def request_stop(self) -> None:
        """Begin a clean shutdown (what SIGTERM and SIGINT do)."""
        if self._stop is not None:
            if self._stop.is_set():
                log.info("already shutting down")
            self._stop.set()

    async def ready(self) -> DaemonContext:
        """Wait until every part is up (tests, in-process front ends)."""
        await self._ready.wait()
        assert self.context is not None
        return self.context

    # -- the whole life --------------------------------------------------------------

    async def run(self, *, handle_signals: bool = True) -> int:
        self._stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        if handle_signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, self._on_signal, signum)
        try:
            await self._serve(self._stop)
        finally:
            if handle_signals:
                for signum in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(signum)
        return 1 if self.failed else 0

    def _on_signal(self, signum: int) -> None:
        log.info("%s: shutting down", signal.Signals(signum).name)
        self.request_stop()

    async def _serve(self, stop: asyncio.Event) -> None:
        config = self.config
        hub = Hub(
            self.library,
            clock=self.clock,
            wall_clock=self.wall_clock,
            abort_after_s=config.abort_after_s,
            routine=config.routine,
            pace_bpm=config.pace_bpm,
        )
        hub.schedule_enabled = config.reminders.enabled
        history = History(
            self.history_path, zone=config.zone, wall_clock=self.wall_clock, hub_id=config.hub_id
        )
        await history.open()
        history.attach(hub)
        tasks: list[asyncio.Task[None]] = []
        try:
            async with (
                open_radio(sim=self.sims, adapter=self.adapter, clock=self.clock) as radio,
                asyncio.TaskGroup() as group,
            ):
                scheduler = Scheduler(
                    hub, config, wall_clock=self.wall_clock, last_completed=history.last_completed
                )
                context = self.context = DaemonContext(hub, config, scheduler, history, radio)
                parts: list[tuple[str, Callable[[], Awaitable[None]]]] = [
                    ("event log", lambda: self._log_events(hub)),
                    ("devices", lambda: self._keep_devices(hub, radio)),
                    ("scheduler", scheduler.run),
                ]
                if self.start_now:
                    routine = self.start_now
                    parts.append(("start-now", lambda: self._start_when_ready(hub, routine)))
                parts += [
                    (getattr(service, "__name__", "service"), functools.partial(service, context))
                    for service in self.services
                ]
                tasks += [
                    group.create_task(self._supervised(name, part, stop), name=name)
                    for name, part in parts
                ]
                log.info(
                    "hub '%s' running on %s; %d schedule(s), schedules %s; history %s",
                    config.hub_id,
                    radio.description,
                    len(config.schedules),
                    "on" if hub.schedule_enabled else "off",
                    history.path if history.available else f"unavailable ({history.problem})",
                )
                self._ready.set()
                await stop.wait()
                await self._shut_down(hub, tasks)
        finally:
            for task in tasks:
                task.cancel()
            await history.close()
            log.info("hub stopped")

    async def _supervised(
        self, name: str, part: Callable[[], Awaitable[None]], stop: asyncio.Event
    ) -> None:
        """Run one part of the hub; restart it when it fails, or end the hub if it keeps
        failing (then `run` returns 1)."""
        failures: list[float] = []
        delay = self.restart_first_s
        while True:
            problem = await attempt(part)
            if problem is None:
                return
            # The reason in one line; the traceback (a bug of ours) at debug level.
            log.error("%s failed: %s", name, reason(problem))
            log.debug("%s failed", name, exc_info=problem)
            now = time.monotonic()
            failures = [t for t in failures if now - t < RESTART_WINDOW_S] + [now]
            if len(failures) > MAX_RESTARTS:
                log.error(
                    "%s failed %d times within %.0f s; the hub stops",
                    name,
                    len(failures),
                    RESTART_WINDOW_S,
                )
                self.failed = name
                stop.set()
                return
            log.info("restarting %s in %.1f s", name, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESTART_CAP_S)

    async def _shut_down(self, hub: Hub, tasks: list[asyncio.Task[None]]) -> None:
        deadline = self.clock() + SHUTDOWN_BUDGET_S
        engine = hub.engine
        stopped = engine is not None and engine.active
        if engine is not None and engine.active:
            # Stopped first, so history and the devices hear of it whatever else is slow.
            engine.abort("the hub is shutting down")
            # Let the subscribers (history, the event log) take the news before cancelling.
            await asyncio.sleep(0.01)
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=max(0.05, (deadline - self.clock()) / 3))
        try:
            # Tells each wearable the session is over, then disconnects.
            await asyncio.wait_for(hub.close(), max(0.1, deadline - self.clock() - 0.3))
        except TimeoutError:
            log.warning("the wearables did not all answer before shutdown")
        else:
            if stopped:
                log.info("the running session was stopped and the wearables told")

    # -- parts -----------------------------------------------------------------------

    async def _keep_devices(self, hub: Hub, radio: Radio) -> None:
        """Look for the wearables until every one is found, adopting each as it is seen;
        once adopted, each link reconnects by itself."""
        from companion.devices.link import Delivery
        from companion.devices.link_options import LinkOptions

        targets = list(self.config.devices)
        count = len(self.sims) if self.sims else max(1, len(targets))
        options = LinkOptions(delivery=Delivery(self.config.delivery), max_attempts=None)
        search, task = hub.discover(
            radio,
            targets,
            count=count,
            options=options,
            still_looking_s=self.scan_s,
            rescan_first_s=self.retry_first_s,
        )
        try:
            await asyncio.shield(task)
        except PermanentLinkError as exc:
            # A configured device that is not a wearable: say so, keep serving the others.
            log.error("%s", exc)  # noqa: TRY400 (a person's mistake: no traceback)
        if search.missing:
            log.warning("no longer looking for %s", ", ".join(search.missing))

    async def _start_when_ready(self, hub: Hub, routine: str) -> None:
        """Start a session as soon as a wearable is ready (`--start-now`, for tests)."""
        subscription = hub.bus.subscribe(maxsize=100)
        try:
            while not any(link.ready for link in hub.links):
                await subscription.get()
        finally:
            subscription.close()
        try:
            hub.start(routine)
        except (HubError, RoutineError) as exc:
            log.warning("could not start '%s': %s", routine, exc)

    async def _log_events(self, hub: Hub) -> None:
        subscription = hub.bus.subscribe(maxsize=1000)
        try:
            async for event in subscription:
                line = _describe(event)
                if line:
                    log.info("%s", line)
        finally:
            subscription.close()


def _settings(event: SettingsChanged) -> str:
    pace = f"{event.pace_bpm:g}/min" if event.pace_bpm else "the routine's own"
    schedules = "on" if event.schedule_enabled else "off"
    return f"settings: routine {event.routine}, pace {pace}, schedules {schedules}"


# One log line for each event a person running the hub cares about.
_LINES: dict[type[HubEvent], Callable[[Any], str]] = {
    SessionStarted: lambda e: f"session {e.session_id} started: {e.routine} ({e.duration_s:.0f} s)",
    SessionEnded: lambda e: (
        f"session {e.session_id} {e.status} ({e.reason}); "
        + (
            f"{e.cues_executed}/{e.cues_planned} cues"
            if e.cues_executed is not None
            else f"{e.cues_planned} cues, not reported as played"
        )
    ),
    DeviceConnected: lambda e: f"wearable {e.name or e.device_id} connected",
    DeviceLost: lambda e: (
        f"wearable {e.name or e.device_id} lost ({e.reason}); "
        + ("stopped for good" if e.final else "reconnecting")
    ),
    ButtonPressed: lambda e: f"button: {e.press} press on {e.device_id}",
    SettingsChanged: _settings,
}


def _describe(event: HubEvent) -> str | None:
    line = _LINES.get(type(event))
    return line(event) if line else None
