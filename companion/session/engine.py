"""The session engine: one routine's cue plan, anchored on the monotonic clock.

Deadlines are absolute (session anchor + the cue's offset), so nothing drifts however long
a session runs. The engine does no I/O: it hands each device link the schedule (links
deliver on their own tasks) and publishes events on the bus, which only enqueues.
Pause, resume and skip re-anchor what is left and hand it to the links again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from companion.clocks import Clock, LoopTimers, TimerHandle, Timers
from companion.devices.link import DeviceLink, TimedCue
from companion.errors import SessionError
from companion.events import (
    BreathPhase,
    EventSink,
    SessionEnded,
    SessionPaused,
    SessionResumed,
    SessionStarted,
    StepChanged,
)
from companion.session.figures import OnsetFigures, onset_figures, unreported
from companion.session.outcome import SessionOutcome
from routines import Cue, CueKind, CuePlan

log = logging.getLogger(__name__)


# Time given to the links to get the first cues of a (re-)anchored schedule to the device:
# after a reconnect a link re-syncs the clock first, a few round trips of a slow link.
DEFAULT_LEAD_S = 1.0
# Pause this long before the first cue no device holds, rather than play it late.
HANDOVER_S = 0.05
# After the end cue, time for the device's last reports to arrive before the session closes.
END_TAIL_S = 1.0


class SessionState(StrEnum):
    IDLE = "idle"
    COUNTDOWN = "countdown"
    RUNNING = "running"
    PAUSED = "paused"
    # The ended states are the session outcomes (companion.session.outcome).
    COMPLETED = "completed"
    PARTIAL = "partial"
    STOPPED = "stopped"
    ABORTED = "aborted"


ACTIVE_STATES = frozenset({SessionState.COUNTDOWN, SessionState.RUNNING, SessionState.PAUSED})
ENDED_STATES = frozenset(
    {SessionState.COMPLETED, SessionState.PARTIAL, SessionState.STOPPED, SessionState.ABORTED}
)


@dataclass(frozen=True, slots=True)
class PlannedCue:
    """A cue whose moment came: when the hub meant it to start on the skin."""

    cue_id: int
    cue: str
    step: str
    t: float


@dataclass(frozen=True, slots=True)
class ExecutedCue:
    """A cue a device's motor started, in hub monotonic seconds."""

    cue_id: int
    cue: str
    t: float
    device: str
    # When the device meant to start it (its deadline, in the hub's clock), where known:
    # the difference to `t` is the motor's own lateness, the rest is clock sync.
    meant: float | None = None


@dataclass(frozen=True, slots=True)
class SessionView:
    """What a UI shows of the session at one moment (derived, never stored)."""

    session_id: str
    state: SessionState
    routine: str
    routine_title: str
    step: str
    step_title: str
    step_index: int
    steps_total: int
    side: str | None
    phase: str
    phase_started: float
    phase_ends: float
    ends_at: float | None
    pace_bpm: float
    paused_reason: str


@dataclass(frozen=True, slots=True)
class SessionResult:
    session_id: str
    routine: str
    exercises: tuple[str, ...]
    status: SessionState
    reason: str
    started: float
    ended: float
    planned: tuple[PlannedCue, ...]
    executed: tuple[ExecutedCue, ...]
    figures: OnsetFigures
    # How cues reached the skin: "device-timed", "host-timed", "mixed" (both kinds of
    # wearable), or None when no wearable was served.
    timing: str | None = None
    # Where `executed` came from: the wearables' reports, converted to the hub's clock
    # through its clock estimate (so they cannot show that estimate's error), or the
    # simulated motors' own starts in the host clock.
    onset_source: str = "device reports"

    @property
    def outcome(self) -> SessionOutcome:
        return SessionOutcome(self.status.value)


_BREATH_KINDS = {CueKind.INHALE: "inhale", CueKind.EXHALE: "exhale", CueKind.HOLD: "hold"}


class SessionEngine:
    """Runs one plan on a set of links. Every control method is synchronous."""

    def __init__(
        self,
        plan: CuePlan,
        links: Callable[[], Sequence[DeviceLink]],
        publish: EventSink,
        *,
        clock: Clock = time.monotonic,
        lead_s: float = DEFAULT_LEAD_S,
        abort_after_s: float = 120.0,
        session_id: str | None = None,
        timers: Timers | None = None,
        screen_only: bool = False,
    ) -> None:
        self.plan = plan
        self.session_id = session_id or uuid.uuid4().hex[:12]
        # No wearable: the person follows the screen. No link is served or waited for, and
        # the figures say "not reported" rather than "none felt".
        self.screen_only = screen_only
        self._links = (lambda: ()) if screen_only else links
        self._publish = publish
        self._clock = clock
        self._timers = timers or LoopTimers(clock)
        self._lead_s = lead_s
        self._abort_after_s = abort_after_s
        self._state = SessionState.IDLE
        self._reason = ""
        # (cue, deadline) still to come, sorted by deadline; the head is the next to fire.
        self._pending: list[tuple[Cue, float]] = []
        self._fired: list[PlannedCue] = []
        self._executed: list[ExecutedCue] = []
        self._current: Cue | None = None
        self._current_step: Cue | None = None
        self._current_deadline = 0.0
        self._paused_at = 0.0
        self._resume_state = SessionState.RUNNING
        self._auto_paused = False
        self._served: set[str] = set()
        self._timer: TimerHandle | None = None
        self._watch: TimerHandle | None = None
        self._started = 0.0
        self._ended = 0.0
        self._done: asyncio.Future[SessionResult] | None = None
        # Exercises the person skipped (a session that reaches its end is then partial).
        self._skipped = 0
        # For each link served: does it report what it played?
        self._reports: dict[str, bool] = {}
        self._timings: dict[str, str] = {}

    # -- control ---------------------------------------------------------------------

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def active(self) -> bool:
        return self._state in ACTIVE_STATES

    def start(self) -> None:
        if self._state is not SessionState.IDLE:
            raise SessionError(f"this session is already {self._state}")
        self._done = asyncio.get_running_loop().create_future()
        now = self._clock()
        anchor = now + self._lead_s
        self._started = now
        self._pending = [(cue, anchor + cue.offset_s) for cue in self.plan.cues]
        self._state = SessionState.COUNTDOWN
        self._publish(
            SessionStarted(
                session_id=self.session_id,
                routine=self.plan.routine_id,
                exercises=tuple(step.id for step in self.plan.steps),
                pace_bpm=self.plan.pace_bpm,
                duration_s=self.plan.duration_s,
                screen_only=self.screen_only,
            )
        )
        self._hand_out(self._links())
        self._arm()

    def pause(self, reason: str = "paused") -> None:
        if self._state not in (SessionState.COUNTDOWN, SessionState.RUNNING):
            raise SessionError(f"cannot pause: the session is {self._state}")
        self._paused_at = self._clock()
        self._disarm()
        for link in self._links():
            link.pause()
        self._resume_state = self._state
        self._state = SessionState.PAUSED
        self._reason = reason
        log.info("session %s paused: %s", self.session_id, reason)
        self._publish(SessionPaused(session_id=self.session_id, reason=reason))

    def resume(self) -> None:
        if self._state is not SessionState.PAUSED:
            raise SessionError(f"cannot resume: the session is {self._state}")
        now = self._clock()
        shift = now + self._lead_s - self._paused_at
        self._pending = [(cue, deadline + shift) for cue, deadline in self._pending]
        self._state = self._resume_state
        self._reason = ""
        self._auto_paused = False
        self._cancel_watch()
        log.info("session %s resumed", self.session_id)
        self._publish(SessionResumed(session_id=self.session_id))
        self._hand_out(self._links(), everyone=True)
        self._arm()

    def skip(self) -> None:
        """Go on to the next exercise now (from the countdown: start the first one now)."""
        if self._state not in (SessionState.COUNTDOWN, SessionState.RUNNING):
            raise SessionError(f"cannot skip: the session is {self._state}")
        index = next(
            (
                i
                for i, (cue, _) in enumerate(self._pending)
                if cue.kind in (CueKind.STEP_CHANGE, CueKind.END)
            ),
            None,
        )
        if index is None:
            return
        if self._state is SessionState.RUNNING:
            self._skipped += 1
        self._disarm()
        target = self._pending[index][1]
        shift = self._clock() + self._lead_s - target
        self._pending = [(cue, deadline + shift) for cue, deadline in self._pending[index:]]
        self._hand_out(self._links(), everyone=True)
        self._arm()

    def stop(self, reason: str = "stopped") -> None:
        """The person stopped it."""
        if not self.active:
            raise SessionError(f"cannot stop: the session is {self._state}")
        self._finish(SessionState.STOPPED, reason)

    def abort(self, reason: str) -> None:
        """The hub gave up (wearables gone for good, shutting down); nothing if already over."""
        if self.active:
            self._finish(SessionState.ABORTED, reason)

    @property
    def finished(self) -> bool:
        """Over for good: the result is out (after the end cue there is a short tail)."""
        return self._done is not None and self._done.done()

    def finish_now(self) -> None:
        """End the tail after the end cue at once, so the next session starts on clean links."""
        if not self.active and not self.finished and self._done is not None:
            self._finish(self._state, self._reason)

    def record_executed(self, executed: ExecutedCue) -> None:
        self._executed.append(executed)

    async def wait(self) -> SessionResult:
        if self._done is None:
            raise SessionError("the session was never started")
        return await asyncio.shield(self._done)

    # -- devices ---------------------------------------------------------------------

    def links_changed(self) -> None:
        """A link connected or was lost: serve newcomers, pause when nobody is left."""
        if not self.active or self.screen_only:
            return
        links = self._links()
        ready = [link for link in links if link.ready]
        if ready:
            self._cancel_watch()
            if self._state is not SessionState.PAUSED:
                self._hand_out(ready)
            elif self._auto_paused:
                self.resume()
            return
        if self._state is SessionState.PAUSED:
            return
        # Nobody is connected: the devices play what they hold; we pause when a cue is due
        # that none of them has (and never, if they hold all that is left).
        held = max((link.holds_until() for link in links), default=self._clock())
        if held == math.inf:
            self._cancel_watch()
        else:
            self._schedule_watch(held - HANDOVER_S, self._all_gone)

    def _all_gone(self) -> None:
        self._watch = None
        if any(link.ready for link in self._links()) or self._state is SessionState.PAUSED:
            return
        self.pause("no wearable connected")
        self._auto_paused = True
        self._schedule_watch(self._clock() + self._abort_after_s, self._give_up)

    def _give_up(self) -> None:
        self._watch = None
        if self._auto_paused and self._state is SessionState.PAUSED:
            self._finish(
                SessionState.ABORTED, f"no wearable came back within {self._abort_after_s:g} s"
            )

    def _hand_out(self, links: Sequence[DeviceLink], *, everyone: bool = False) -> None:
        titles = {step.id: step.title for step in self.plan.steps}
        schedule = [
            TimedCue(cue.index, cue.pattern, deadline, titles.get(cue.step_id, ""))
            for cue, deadline in self._pending
        ]
        for link in links:
            # A link that was served keeps its own copy across reconnects; only newcomers
            # (or everyone, after the schedule moved) need it again.
            if everyone or link.id not in self._served:
                link.play(schedule)
                self._served.add(link.id)
                self._reports[link.id] = link.capabilities.reports_played
                self._timings[link.id] = link.capabilities.timing.value

    # -- the timeline ----------------------------------------------------------------

    def _arm(self) -> None:
        self._disarm()
        if not self._pending:
            return
        self._timer = self._call_at(self._pending[0][1], self._fire)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _call_at(self, deadline: float, callback: Callable[[], None]) -> TimerHandle:
        return self._timers.call_at(deadline, callback)

    def _schedule_watch(self, deadline: float, callback: Callable[[], None]) -> None:
        self._cancel_watch()
        self._watch = self._call_at(deadline, callback)

    def _cancel_watch(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    def _fire(self) -> None:
        self._timer = None
        now = self._clock()
        while self._pending and self._pending[0][1] <= now + 0.0005:
            cue, deadline = self._pending.pop(0)
            self._enter(cue, deadline)
            if self._state not in ACTIVE_STATES:
                return
        self._arm()

    def _enter(self, cue: Cue, deadline: float) -> None:
        self._fired.append(PlannedCue(cue.index, cue.pattern, cue.step_id, deadline))
        self._current = cue
        self._current_deadline = deadline
        if cue.kind is CueKind.STEP_CHANGE:
            self._state = SessionState.RUNNING
            self._current_step = cue
            step = self.plan.steps[cue.step_index]
            self._publish(
                StepChanged(
                    session_id=self.session_id,
                    step=step.id,
                    step_title=step.title,
                    step_index=cue.step_index,
                    steps_total=len(self.plan.steps),
                )
            )
        elif cue.kind in _BREATH_KINDS:
            self._publish(
                BreathPhase(
                    session_id=self.session_id,
                    phase=_BREATH_KINDS[cue.kind],
                    side=cue.side.value if cue.side else None,
                    text=cue.text,
                    duration_s=cue.duration_s,
                )
            )
        elif cue.kind is CueKind.END:
            if self._skipped:
                plural = "s" if self._skipped != 1 else ""
                self._state = SessionState.PARTIAL
                self._reason = f"{self._skipped} exercise{plural} skipped"
            else:
                self._state = SessionState.COMPLETED
                self._reason = "completed"
            state, reason = self._state, self._reason
            self._timer = self._call_at(deadline + END_TAIL_S, lambda: self._finish(state, reason))

    def _finish(self, status: SessionState, reason: str) -> None:
        if self._done is None or self._done.done():
            return
        self._disarm()
        self._cancel_watch()
        self._state = status
        self._reason = reason
        self._ended = self._clock()
        self._pending = []
        for link in self._links():
            link.stop()
        result = self.result()
        self._publish(
            SessionEnded(
                session_id=self.session_id,
                routine=self.plan.routine_id,
                status=status.value,
                reason=reason,
                cues_planned=len(result.planned),
                cues_executed=result.figures.executed,
                onset_error_ms=result.figures.as_dict(),
                timing=result.timing,
            )
        )
        self._done.set_result(result)

    # -- views -----------------------------------------------------------------------

    def result(self) -> SessionResult:
        planned = tuple(self._fired)
        executed = tuple(self._executed)
        return SessionResult(
            session_id=self.session_id,
            routine=self.plan.routine_id,
            exercises=tuple(step.id for step in self.plan.steps),
            status=self._state,
            reason=self._reason,
            started=self._started,
            ended=self._ended,
            planned=planned,
            executed=executed,
            figures=self._figures(planned, executed),
            timing=self._timing(),
        )

    def _timing(self) -> str | None:
        kinds = set(self._timings.values())
        if len(kinds) > 1:
            return "mixed"
        return kinds.pop() if kinds else None

    def _figures(
        self, planned: tuple[PlannedCue, ...], executed: tuple[ExecutedCue, ...]
    ) -> OnsetFigures:
        reporting = [device for device, reports in self._reports.items() if reports]
        if self.screen_only or (self._reports and not reporting):
            return unreported(len(planned))
        return onset_figures(planned, executed)

    def view(self) -> SessionView:
        cue, step = self._current, self._current_step
        now = self._clock()
        paused = self._state is SessionState.PAUSED
        end = self._pending[-1][1] if self._pending else None
        if paused and end is not None:
            # While paused the end moves with the pause: show it as if resumed now.
            end += now + self._lead_s - self._paused_at
        next_deadline = self._pending[0][1] if self._pending else self._current_deadline
        step_info = self.plan.steps[step.step_index] if step is not None else None
        phase = "none"
        if cue is not None and cue.kind in _BREATH_KINDS and self.active:
            phase = _BREATH_KINDS[cue.kind]
        return SessionView(
            session_id=self.session_id,
            state=self._state,
            routine=self.plan.routine_id,
            routine_title=self.plan.routine_title,
            step=step_info.id if step_info else "",
            step_title=step_info.title if step_info else "",
            step_index=step.step_index if step else -1,
            steps_total=len(self.plan.steps),
            side=cue.side.value if cue is not None and cue.side else None,
            phase=phase,
            phase_started=self._current_deadline,
            phase_ends=next_deadline,
            ends_at=end if self.active else None,
            pace_bpm=self.plan.pace_bpm,
            paused_reason=self._reason if paused else "",
        )
