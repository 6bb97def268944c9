"""The virtual vibration motor: plays pulses at host-time deadlines and records when it did.

asyncio's timers fire about 0.8 ms late at the median on the project's machines (p99 1.3 ms
idle, about 5 ms with the other core busy). A firmware's hardware timer is exact, so the
motor compensates knowingly: it wakes `spin_s` early on asyncio's timer, then busy-waits on
the clock for the rest (blocking the event loop for at most `spin_s`). With ``spin_s = 0``
it fires on asyncio's timer alone. Either way the record holds the time read when the motor
actually started, never the deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

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
        self._timers: dict[int, asyncio.TimerHandle] = {}
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
        self._timers[key] = loop.call_at(wake, self._run, key, deadline, fire)

    def _run(self, key: int, deadline: float, fire: Callable[[float], Pulse | None]) -> None:
        self._timers.pop(key, None)
        if self.spin_s > 0:
            # Bounded in real time so that an injected, frozen clock cannot hang the loop.
            give_up = time.perf_counter() + 2 * self.spin_s
            while self.host_clock() < deadline and time.perf_counter() < give_up:
                pass
        pulse = fire(self.host_clock())
        if pulse is not None:
            self.record(pulse)

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
