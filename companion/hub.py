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
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from companion.clocks import Clock, WallClock
from companion.devices.discovery import Sighting, find_wearables
from companion.devices.link import DeviceLink
from companion.devices.native import NativeLink, NativeOptions
from companion.devices.radio import Radio
from companion.errors import DeviceError, SessionError
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
    ) -> None:
        self.library = library
        self.bus = bus or EventBus()
        self.clock = clock
        self.wall_clock = wall_clock
        self.abort_after_s = abort_after_s
        self.links: list[DeviceLink] = []
        self.engine: SessionEngine | None = None
        self.counts = counts
        # What a bare "start" (a key, a button, an MQTT command, a schedule) runs.
        self.routine = routine
        self.pace_bpm = pace_bpm
        self.schedule_enabled = False
        self._link_tasks: dict[str, asyncio.Task[None]] = {}
        self._pattern_names: dict[int, str] = {}

    # -- devices ---------------------------------------------------------------------

    def add_link(self, link: DeviceLink) -> None:
        """Adopt a link and run it (connect, reconnect) on its own task."""
        self.links.append(link)
        task = asyncio.create_task(link.run(self._on_link_event), name=f"link {link.id}")
        self._link_tasks[link.id] = task
        task.add_done_callback(functools.partial(self._link_ended, link))

    def _link_ended(self, link: DeviceLink, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("link %s stopped: %s", link.id, task.exception())
        if self.engine is not None:
            self.engine.links_changed()

    def _on_link_event(self, event: HubEvent) -> None:
        """Called by links, synchronously: route, then publish. Never awaits."""
        engine = self.engine
        if engine is not None:
            if isinstance(event, CueExecuted):
                cue = self._cue_name(engine.plan, event.cue_id)
                engine.record_executed(ExecutedCue(event.cue_id, cue, event.t, event.device_id))
            elif isinstance(event, DeviceConnected | DeviceLost):
                engine.links_changed()
        self.bus.publish(event)

    @staticmethod
    def _cue_name(plan: CuePlan, cue_id: int) -> str:
        return plan.cues[cue_id].pattern if 0 <= cue_id < len(plan.cues) else "unknown"

    async def connect(
        self,
        radio: Radio,
        targets: Sequence[str] = (),
        *,
        count: int = 1,
        options: NativeOptions | None = None,
        timeout: float = 15.0,
    ) -> list[DeviceLink]:
        """Find the wearables, start a native link to each and wait until all are ready."""
        deadline = self.clock() + timeout
        found = await find_wearables(radio, targets, count=count, timeout=timeout)
        links = self.adopt(radio, found, options or NativeOptions(max_attempts=3))
        try:
            await self._until_ready(links, deadline, timeout)
        except BaseException:
            # Nothing half-connected stays behind: a later connect starts clean.
            await self._drop_links(links)
            raise
        return links

    def adopt(
        self, radio: Radio, found: Sequence[Sighting], options: NativeOptions
    ) -> list[DeviceLink]:
        """Start a native link to each wearable found that the hub does not know yet."""
        known = {link.id for link in self.links}
        links: list[DeviceLink] = [
            NativeLink(
                sighting.device,
                backend=radio.client_backend,
                options=options,
                clock=self.clock,
                rssi=sighting.rssi,
            )
            for sighting in found
            if sighting.address not in known
        ]
        for link in links:
            self.add_link(link)
            log.info("using wearable %s (%s)", link.status.name, link.id)
        return links

    async def _until_ready(
        self, links: Sequence[DeviceLink], deadline: float, timeout: float
    ) -> None:
        while not all(link.ready for link in links):
            for link in links:
                task = self._link_tasks[link.id]
                failure = task.exception() if task.done() and not task.cancelled() else None
                if failure is not None:
                    raise failure
            if self.clock() > deadline:
                waiting = ", ".join(link.status.name or link.id for link in links if not link.ready)
                raise DeviceError(f"{waiting} did not become ready within {timeout:g} s")
            await asyncio.sleep(0.02)

    async def _drop_links(self, links: Sequence[DeviceLink]) -> None:
        for link in links:
            task = self._link_tasks.pop(link.id, None)
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(link.close(), 2.0)
            self.links.remove(link)

    async def close(self) -> None:
        """Stop any session (the devices are told) and close every link."""
        if self.engine is not None and self.engine.active:
            self.engine.stop("hub shutting down")
        for link in self.links:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(link.close(), 2.0)
        for task in self._link_tasks.values():
            task.cancel()
        await asyncio.gather(*self._link_tasks.values(), return_exceptions=True)
        self._link_tasks.clear()

    def remind(self) -> int:
        """Play the reminder pattern on every connected wearable; how many were told."""
        ready = [link for link in self.links if link.ready]
        for link in ready:
            link.alert("reminder")
        self.bus.publish(ReminderPlayed(devices=len(ready)))
        return len(ready)

    # -- settings --------------------------------------------------------------------

    def select_routine(self, routine_id: str) -> None:
        """Choose what a bare start runs; raises RoutineError for an unknown id."""
        self.routine = self.library.get(routine_id).id
        self._settings_changed()

    def set_pace(self, pace_bpm: float | None) -> None:
        """Breaths per minute for the next sessions (None: each routine's own)."""
        if pace_bpm is not None and not MIN_PACE_BPM <= pace_bpm <= MAX_PACE_BPM:
            raise SessionError(
                f"pace must be {MIN_PACE_BPM:g} to {MAX_PACE_BPM:g} breaths per minute, "
                f"not {pace_bpm:g}"
            )
        self.pace_bpm = pace_bpm
        self._settings_changed()

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
        speed: float = 1.0,
    ) -> SessionEngine:
        """Compile and start a session; defaults are the selected routine and pace."""
        plan = self.plan(
            routine_id or self.routine,
            exercises=exercises,
            pace_bpm=pace_bpm if pace_bpm is not None else self.pace_bpm,
            speed=speed,
        )
        return self.start_session(plan)

    def plan(
        self,
        routine_id: str,
        *,
        exercises: Sequence[str] | None = None,
        pace_bpm: float | None = None,
        speed: float = 1.0,
    ) -> CuePlan:
        routine = self.library.get(routine_id)
        options = PlanOptions(
            exercises=tuple(exercises) if exercises else None, pace_bpm=pace_bpm, speed=speed
        )
        return compile_plan(routine, options)

    def start_session(self, plan: CuePlan, *, require_device: bool = True) -> SessionEngine:
        if self.engine is not None and self.engine.active:
            raise SessionError(
                f"a session of '{self.engine.plan.routine_id}' is already {self.engine.state}; "
                "stop it first"
            )
        if require_device and not any(link.ready for link in self.links):
            raise SessionError("no wearable is connected")
        engine = SessionEngine(
            plan,
            lambda: self.links,
            self.bus.publish,
            clock=self.clock,
            abort_after_s=self.abort_after_s,
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
