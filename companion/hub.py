"""The composition root: device links, the session engine and the event bus in one place.

Front ends (CLI, TUI, MQTT commands) call the hub; services subscribe to its bus. The hub
routes link events to the running session (a device back, a cue executed) and builds the
one state snapshot every front end reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from companion.clocks import Clock, Timers, WallClock
from companion.devices.discovery import STILL_LOOKING_S, Search, search_wearables
from companion.devices.link import DeviceLink
from companion.devices.link_options import LinkOptions
from companion.devices.profile import LinkContext
from companion.devices.profiles import build_link
from companion.devices.radio import Radio
from companion.devices.sighting import Sighting
from companion.errors import DeviceError, DeviceNotFoundError, PermanentLinkError, SessionError
from companion.events import (
    CueExecuted,
    DeviceConnected,
    DeviceLost,
    EventBus,
    HubEvent,
    ReminderPlayed,
    SettingsChanged,
)
from companion.session.engine import ExecutedCue, SessionEngine, SessionState
from companion.state import DeviceState, HubSnapshot
from companion.tasks import OwnedTasks, Signal
from routines import (
    MAX_PACE_BPM,
    MIN_PACE_BPM,
    CuePlan,
    PlanOptions,
    RoutineLibrary,
    compile_plan,
)

log = logging.getLogger(__name__)


DEFAULT_ROUTINE = "one-minute-back"
# A scan that fails is tried again after this, doubling to the cap (+-25 %).
RESCAN_FIRST_S = 2.0
RESCAN_CAP_S = 60.0


class SessionCounts(Protocol):
    """What the history service tells the state snapshot (cheap: called often)."""

    def sessions_today(self) -> int: ...

    def streak_days(self) -> int: ...


class Hub:
    """Owns the links and at most one session at a time."""

    def __init__(
        self,
        library: RoutineLibrary,
        *,
        bus: EventBus | None = None,
        clock: Clock = time.monotonic,
        wall_clock: WallClock = lambda: datetime.now(UTC),
        abort_after_s: float = 120.0,
        routine: str = DEFAULT_ROUTINE,
        pace_bpm: float | None = None,
        counts: SessionCounts | None = None,
        timers: Timers | None = None,
    ) -> None:
        self.library = library
        self.bus = bus or EventBus()
        self.clock = clock
        # The session engine's timers (None: the event loop's, on `clock`).
        self.timers = timers
        self.wall_clock = wall_clock
        self.abort_after_s = abort_after_s
        self.links: list[DeviceLink] = []
        self.engine: SessionEngine | None = None
        self.counts = counts
        # What a bare "start" (a key, a button, an MQTT command, a schedule) runs.
        self.routine = routine
        # The pace for every routine, when the person set one (config, MQTT, the TUI's
        # "all routines"); None: each routine at its own pace or the one chosen for it.
        self.pace_bpm = pace_bpm
        # Paces chosen for one routine only (the TUI's - and +), by routine id.
        self.routine_paces: dict[str, float] = {}
        self.schedule_enabled = False
        self._tasks = OwnedTasks("hub")
        # Links and discovery changed: whoever waits on them looks again.
        self._changed = Signal()
        # Why a wearable stopped for good, by id (until it is adopted again).
        self.failures: dict[str, str] = {}
        self._pattern_names: dict[int, str] = {}

    # -- devices ---------------------------------------------------------------------

    def add_link(self, link: DeviceLink) -> None:
        """Adopt a link and run it (connect, reconnect) on its own task."""
        self.links.append(link)
        self._tasks.spawn(
            link.run(self._on_link_event),
            f"link {link.id}",
            on_done=functools.partial(self._link_ended, link),
        )
        self._changed.notify()

    def _link_ended(self, link: DeviceLink, task: asyncio.Task[None]) -> None:
        """A link's task ended: it leaves the hub's links, and the session hears of it."""
        if link in self.links:
            self.links.remove(link)
        reason = "closed"
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            reason = str(exc) or type(exc).__name__
            self.failures[link.id] = reason
            log.error(
                "wearable %s stopped for good: %s",
                link.status.name or link.id,
                reason,
                # A permanent link error is the device's answer; anything else is our bug.
                exc_info=None if isinstance(exc, PermanentLinkError) else exc,
            )
            self.bus.publish(
                DeviceLost(device_id=link.id, name=link.status.name, reason=reason, final=True)
            )
        self._changed.notify()
        engine = self.engine
        if engine is not None and engine.active and not engine.screen_only:
            if not self.links and link.id in self.failures:
                # Nobody left to coach with, and nobody coming back: end now, with why.
                engine.abort(f"every wearable stopped for good: {reason}")
            else:
                engine.links_changed()

    def _on_link_event(self, event: HubEvent) -> None:
        """Called by links, synchronously: route, then publish. Never awaits."""
        engine = self.engine
        if engine is not None:
            if isinstance(event, CueExecuted):
                cue = self._cue_name(engine.plan, event.cue_id)
                engine.record_executed(ExecutedCue(event.cue_id, cue, event.t, event.device_id))
            elif isinstance(event, DeviceConnected | DeviceLost):
                engine.links_changed()
        if isinstance(event, DeviceConnected | DeviceLost):
            self._changed.notify()
        self.bus.publish(event)

    @staticmethod
    def _cue_name(plan: CuePlan, cue_id: int) -> str:
        return plan.cues[cue_id].pattern if 0 <= cue_id < len(plan.cues) else "unknown"

    def discover(
        self,
        radio: Radio,
        targets: Sequence[str] = (),
        *,
        count: int = 1,
        options: LinkOptions | None = None,
        retry: bool = True,
        still_looking_s: float = STILL_LOOKING_S,
        rescan_first_s: float = RESCAN_FIRST_S,
    ) -> tuple[Search, asyncio.Task[None]]:
        """Look for the wearables on the hub's own task, adopting each one as it is seen.

        With `retry`, a scan that fails (no Bluetooth service, the adapter gone) is tried
        again with backoff until every wearable was found; without, the task fails.
        """
        search = Search(targets, count=count, known=[link.id for link in self.links])
        link_options = options or LinkOptions()

        def found(_target: str, sighting: Sighting) -> None:
            self._adopt_one(radio, sighting, link_options)

        async def keep_looking() -> None:
            delay = rescan_first_s
            while True:
                try:
                    await search_wearables(radio, search, found, still_looking_s=still_looking_s)
                except DeviceError as exc:
                    if not retry or isinstance(exc, PermanentLinkError):
                        raise
                    problem = str(exc)
                else:
                    return
                wait = delay * random.uniform(0.75, 1.25)
                log.warning("cannot look for wearables: %s; trying again in %.0f s", problem, wait)
                await asyncio.sleep(wait)
                delay = min(delay * 2, RESCAN_CAP_S)

        task = self._tasks.spawn(
            keep_looking(), "discovery", on_done=lambda _task: self._changed.notify()
        )
        return search, task

    async def connect(
        self,
        radio: Radio,
        targets: Sequence[str] = (),
        *,
        count: int = 1,
        options: LinkOptions | None = None,
        timeout: float = 15.0,
    ) -> list[DeviceLink]:
        """Find the wearables and wait until they are ready, or until `timeout`.

        Each is adopted as soon as it is seen. When the time is up and some are ready, the
        others are still looked for in the background (and join when found); when none is,
        this raises with what was seen.
        """
        before = {link.id for link in self.links}
        search, task = self.discover(
            radio, targets, count=count, options=options or LinkOptions(max_attempts=3), retry=False
        )
        try:
            ready = await self._until_ready(search, task, before, timeout)
        except BaseException:
            await self._tasks.cancel(task)
            await self._drop_links([link for link in self.links if link.id not in before])
            raise
        ours = [link for link in self.links if link.id not in before]
        if ready:
            if len(ready) < len(ours) or search.missing:
                missing = ", ".join(search.missing) or ", ".join(
                    link.status.name or link.id for link in ours if not link.ready
                )
                names = ", ".join(link.status.name or link.id for link in ready)
                log.warning("connected to %s; still looking for %s", names, missing)
            return ready
        await self._tasks.cancel(task)
        waiting = [link.status.name or link.id for link in ours]
        await self._drop_links(ours)
        if waiting:
            raise DeviceError(f"{', '.join(waiting)} did not become ready within {timeout:g} s")
        raise DeviceNotFoundError(search.problem(radio, timeout))

    async def _until_ready(
        self, search: Search, task: asyncio.Task[None], before: set[str], timeout: float
    ) -> list[DeviceLink]:
        """Wait on changes (no polling) until every wearable searched for is ready, or the
        time is up: the ready ones. Raises when the search or every found link failed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if task.done() and not task.cancelled() and (problem := task.exception()):
                raise problem
            ours = [link for link in self.links if link.id not in before]
            failed = [
                self.failures[s.address]
                for s in search.found.values()
                if s.address in self.failures
            ]
            if failed and not ours:
                raise PermanentLinkError(failed[0])
            ready = [link for link in ours if link.ready]
            if search.complete.is_set() and ours and len(ready) == len(ours):
                return ready
            remaining = deadline - loop.time()
            if remaining <= 0:
                return ready
            await self._changed.wait(remaining)

    def adopt(
        self, radio: Radio, found: Sequence[Sighting], options: LinkOptions
    ) -> list[DeviceLink]:
        """Start a link to each wearable found that the hub does not know yet."""
        links = [self._adopt_one(radio, sighting, options) for sighting in found]
        return [link for link in links if link is not None]

    def _adopt_one(
        self, radio: Radio, sighting: Sighting, options: LinkOptions
    ) -> DeviceLink | None:
        if any(link.id == sighting.address for link in self.links):
            return None
        context = LinkContext(backend=radio.client_backend, options=options, clock=self.clock)
        link = build_link(sighting, context)
        self.failures.pop(link.id, None)
        self.add_link(link)
        log.info("using wearable %s (%s, %s)", link.status.name, link.id, link.status.profile)
        return link

    async def _drop_links(self, links: Sequence[DeviceLink]) -> None:
        for link in links:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(link.close(), 2.0)
            if link in self.links:
                self.links.remove(link)
        for task in self._tasks.named({f"link {link.id}" for link in links}):
            await self._tasks.cancel(task)

    async def close(self) -> None:
        """Stop any session (the devices are told), close every link, end every task."""
        if self.engine is not None and self.engine.active:
            self.engine.abort("the hub is shutting down")
        for link in list(self.links):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(link.close(), 2.0)
        await self._tasks.close()

    def remind(self) -> ReminderPlayed:
        """Play the reminder pattern on every connected wearable; who was told, and how many
        of them can answer with a button."""
        ready = [link for link in self.links if link.ready]
        for link in ready:
            link.alert("reminder")
        played = ReminderPlayed(
            devices=len(ready),
            with_button=sum(1 for link in ready if link.capabilities.has_button),
        )
        self.bus.publish(played)
        return played

    # -- settings --------------------------------------------------------------------

    def select_routine(self, routine_id: str) -> None:
        """Choose what a bare start runs; raises RoutineError for an unknown id."""
        self.routine = self.library.get(routine_id).id
        self._settings_changed()

    def set_pace(self, pace_bpm: float | None) -> None:
        """Breaths per minute for every routine's next sessions (None: each routine's own,
        or the pace chosen for it)."""
        _check_pace(pace_bpm)
        self.pace_bpm = pace_bpm
        self._settings_changed()

    def set_routine_pace(self, routine_id: str, pace_bpm: float | None) -> None:
        """Breaths per minute for one routine (None: its own). A pace set for every
        routine still applies over it while it is set."""
        routine = self.library.get(routine_id)
        _check_pace(pace_bpm)
        if pace_bpm is None or pace_bpm == routine.pace_bpm:
            self.routine_paces.pop(routine.id, None)
        else:
            self.routine_paces[routine.id] = pace_bpm
        self._settings_changed()

    def pace_for(self, routine_id: str) -> tuple[float, str]:
        """The pace a session of `routine_id` runs at, and which setting gives it:
        `all` (one pace for every routine), `routine` (chosen for it) or `own`."""
        routine = self.library.get(routine_id)
        if self.pace_bpm is not None:
            return self.pace_bpm, "all"
        if routine.id in self.routine_paces:
            return self.routine_paces[routine.id], "routine"
        return routine.pace_bpm, "own"

    def set_schedule_enabled(self, enabled: bool) -> None:
        self.schedule_enabled = enabled
        self._settings_changed()

    def _settings_changed(self) -> None:
        self.bus.publish(
            SettingsChanged(
                routine=self.routine, pace_bpm=self.pace_bpm, schedule_enabled=self.schedule_enabled
            )
        )

    # -- sessions --------------------------------------------------------------------

    def start(
        self,
        routine_id: str | None = None,
        *,
        exercises: Sequence[str] | None = None,
        pace_bpm: float | None = None,
        rounds: Mapping[str, int] | None = None,
        speed: float = 1.0,
        screen_only: bool = False,
    ) -> SessionEngine:
        """Compile and start a session; defaults are the selected routine and its pace."""
        routine = routine_id or self.routine
        plan = self.plan(
            routine,
            exercises=exercises,
            pace_bpm=pace_bpm if pace_bpm is not None else self.pace_for(routine)[0],
            rounds=rounds,
            speed=speed,
        )
        return self.start_session(plan, screen_only=screen_only)

    def plan(
        self,
        routine_id: str,
        *,
        exercises: Sequence[str] | None = None,
        pace_bpm: float | None = None,
        rounds: Mapping[str, int] | None = None,
        speed: float = 1.0,
    ) -> CuePlan:
        routine = self.library.get(routine_id)
        options = PlanOptions(
            exercises=tuple(exercises) if exercises else None,
            pace_bpm=pace_bpm,
            rounds=dict(rounds) if rounds else None,
            speed=speed,
        )
        return compile_plan(routine, options)

    def start_session(
        self, plan: CuePlan, *, require_device: bool = True, screen_only: bool = False
    ) -> SessionEngine:
        """Start `plan` on the connected wearables, or on none with `screen_only` (the
        person follows the screen)."""
        if self.engine is not None and self.engine.active:
            raise SessionError(
                f"a session of '{self.engine.plan.routine_id}' is already {self.engine.state}; "
                "stop it first"
            )
        if require_device and not screen_only and not any(link.ready for link in self.links):
            raise SessionError("no wearable is connected")
        if self.engine is not None:
            # The last one is in its tail after the end cue: over for good now, so its
            # closing never touches the links this session is handed.
            self.engine.finish_now()
        engine = SessionEngine(
            plan,
            lambda: self.links,
            self.bus.publish,
            clock=self.clock,
            abort_after_s=self.abort_after_s,
            timers=self.timers,
            screen_only=screen_only,
        )
        self.engine = engine
        engine.start()
        return engine

    def _require_session(self) -> SessionEngine:
        if self.engine is None or not self.engine.active:
            raise SessionError("no session is running")
        return self.engine

    def pause(self) -> None:
        self._require_session().pause()

    def resume(self) -> None:
        self._require_session().resume()

    def skip(self) -> None:
        self._require_session().skip()

    def stop(self, reason: str = "stopped") -> None:
        self._require_session().stop(reason)

    # -- state -----------------------------------------------------------------------

    def snapshot(self) -> HubSnapshot:
        devices = tuple(
            DeviceState(
                id=s.id,
                name=s.name,
                connected=link.ready,
                battery=s.battery,
                profile=s.profile,
                capabilities=link.capabilities,
                state=s.state.value,
                rssi=s.rssi,
                clock_rtt_ms=s.clock_rtt_ms,
                clock_drift_ppm=s.clock_drift_ppm,
            )
            for link in self.links
            for s in (link.status,)
        )
        common = {
            "schedule_enabled": self.schedule_enabled,
            "sessions_today": self.counts.sessions_today() if self.counts else 0,
            "streak_days": self.counts.streak_days() if self.counts else 0,
            "devices": devices,
        }
        if self.engine is None:
            return HubSnapshot(routine=self.routine, pace_bpm=self.pace_bpm, **common)
        view = self.engine.view()
        now = self.clock()
        ends_at = None
        remaining = None
        if view.ends_at is not None:
            remaining = round(max(0.0, view.ends_at - now), 1)
            ends_at = self.wall_clock() + timedelta(seconds=remaining)
        return HubSnapshot(
            session=view.state.value,
            session_id=view.session_id,
            routine=view.routine,
            step=view.step or None,
            step_title=view.step_title or None,
            step_index=view.step_index if view.step_index >= 0 else None,
            steps_total=view.steps_total,
            side=view.side,
            phase=view.phase,
            remaining_s=remaining,
            ends_at=ends_at.replace(microsecond=0) if ends_at else None,
            pace_bpm=view.pace_bpm,
            paused_reason=view.paused_reason or None,
            **common,
        )

    @property
    def session_state(self) -> SessionState:
        return self.engine.state if self.engine is not None else SessionState.IDLE


def _check_pace(pace_bpm: float | None) -> None:
    if pace_bpm is not None and not MIN_PACE_BPM <= pace_bpm <= MAX_PACE_BPM:
        raise SessionError(
            f"pace must be {MIN_PACE_BPM:g} to {MAX_PACE_BPM:g} breaths per minute, "
            f"not {pace_bpm:g}"
        )
