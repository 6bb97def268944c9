"""The virtual vibration motor: plays pulses at host-time deadlines and records when it did.

asyncio's timers fire about 0.8 ms late at the median on the project's machines (p99 1.3 ms
idle, about 5 ms with the other core busy). A firmware's hardware timer is exact, so the
motor compensates knowingly: it wakes `spin_s` early on asyncio's timer, then busy-waits on
the clock for the rest (blocking the event loop for at most `spin_s`). With ``spin_s = 0``
it fires on asyncio's timer alone. Either way the record holds the time read when the motor
actually started, never the deadline.

Several simulated devices in one process are several microcontrollers, each with its own
timer; one thread stands in for all of them. So every motor of an event loop wakes on one
shared timer (`_Wakeups`): it reads the clock for each motor whose deadline falls in the
spin window as that deadline comes, and only then runs what each device does after its
motor started (reports, bookkeeping). Otherwise the eighth of eight simultaneous cues would
start after the other seven's work.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["NO_CUE", "Pulse", "VirtualMotor"]

# The cue id of a pulse the device cannot tie to a cue (a band told only "buzz now").
NO_CUE = -1


@dataclass(frozen=True)
class Pulse:
    """One executed cue: what the motor played and when it really started."""

    cue_id: int
    pattern: str
    t: float  # host clock (time.monotonic unless injected) read when the motor started
    device_t: float  # the device's own clock at that moment
    deadline: float  # the host time it was meant to start at, for onset-error figures
    on_ms: float  # total vibration time of the pattern


class VirtualMotor:
    """Schedules pulses on the event loop and records each one it plays."""

    def __init__(
        self,
        host_clock: Callable[[], float] = time.monotonic,
        spin_s: float = 0.002,
        on_pulse: Callable[[Pulse], None] | None = None,
    ) -> None:
        self.host_clock = host_clock
        self.spin_s = spin_s
        self.on_pulse = on_pulse
        self.trace: list[Pulse] = []
        self._timers: dict[int, _Wakeup] = {}
        self.busy_until = 0.0

    def schedule(
        self,
        key: int,
        deadline: float,
        fire: Callable[[float], Pulse | None],
    ) -> None:
        """Call `fire(started_at)` at host time `deadline`; a returned Pulse is recorded.

        `key` identifies the timer so that a later `cancel(key)` can drop it.
        """
        loop = asyncio.get_running_loop()
        self.cancel(key)
        wake = loop.time() + (deadline - self.host_clock()) - self.spin_s

        def started(at: float) -> None:
            self._timers.pop(key, None)
            pulse = fire(at)
            if pulse is not None:
                self.record(pulse)

        self._timers[key] = _wakeups(loop).add(wake, deadline, self, started)

    def record(self, pulse: Pulse) -> None:
        """Add a pulse played outside the schedule (an immediate cue) to the trace."""
        self.trace.append(pulse)
        if self.on_pulse is not None:
            self.on_pulse(pulse)

    def cancel(self, key: int) -> None:
        """Forget a scheduled pulse, if it has not played yet."""
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def cancel_all(self) -> None:
        """Forget every pulse not yet played."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    @property
    def pending(self) -> int:
        """How many pulses are scheduled and not yet played."""
        return len(self._timers)


@dataclass(eq=False)
class _Wakeup:
    wake: float  # loop time
    deadline: float  # the motor's host clock
    motor: VirtualMotor
    started: Callable[[float], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class _Wakeups:
    """Every motor of one event loop, on one timer."""

    loop: asyncio.AbstractEventLoop
    _heap: list[tuple[float, int, _Wakeup]] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)
    _timer: asyncio.TimerHandle | None = None

    def add(
        self, wake: float, deadline: float, motor: VirtualMotor, started: Callable[[float], None]
    ) -> _Wakeup:
        wakeup = _Wakeup(wake, deadline, motor, started)
        heapq.heappush(self._heap, (wake, next(self._order), wakeup))
        self._arm()
        return wakeup

    def _arm(self) -> None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        if not self._heap:
            return
        wake = self._heap[0][0]
        if self._timer is not None:
            if self._timer.when() <= wake:
                return
            self._timer.cancel()
        self._timer = self.loop.call_at(wake, self._run)

    def _run(self) -> None:
        self._timer = None
        now = self.loop.time()
        due: list[_Wakeup] = []
        # Every motor whose own wake falls within half this one's spin window starts in it
        # too (so no spin lasts much beyond its own window).
        horizon = now + max((w.motor.spin_s / 2 for _, _, w in self._heap[:1]), default=0.0)
        while self._heap and self._heap[0][0] <= horizon:
            wakeup = heapq.heappop(self._heap)[2]
            if not wakeup.cancelled:
                due.append(wakeup)
        due.sort(key=lambda w: w.wake + w.motor.spin_s)
        starts: list[tuple[_Wakeup, float]] = []
        for wakeup in due:
            motor = wakeup.motor
            if motor.spin_s > 0:
                # Bounded in real time so that an injected, frozen clock cannot hang the loop.
                give_up = time.perf_counter() + 2 * motor.spin_s
                while motor.host_clock() < wakeup.deadline and time.perf_counter() < give_up:
                    pass
            starts.append((wakeup, motor.host_clock()))
        for wakeup, at in starts:
            if not wakeup.cancelled:
                wakeup.started(at)
        self._arm()


_LOOPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Wakeups] = weakref.WeakKeyDictionary()


def _wakeups(loop: asyncio.AbstractEventLoop) -> _Wakeups:
    found = _LOOPS.get(loop)
    if found is None:
        found = _LOOPS[loop] = _Wakeups(loop)
    return found
