"""The clocks and timers the hub's parts are given, so tests can drive time.

Clocks are injected so that a plan can run fast or on a virtual clock; the session engine
also takes its timers from here, so a test can move a virtual clock and have every timer
due by then fire, in order, without waiting in real time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

# Seconds of a monotonic clock: `time.monotonic` unless a test injects another.
Clock = Callable[[], float]
# An aware wall-clock time: for schedules, "today" and timestamps shown to people.
WallClock = Callable[[], datetime]


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Timers(Protocol):
    """Calls a function when a clock reaches a deadline."""

    def call_at(self, deadline: float, callback: Callable[[], None]) -> TimerHandle: ...


class LoopTimers:
    """Deadlines on `clock`, kept by the running asyncio loop's timer."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def call_at(self, deadline: float, callback: Callable[[], None]) -> TimerHandle:
        loop = asyncio.get_running_loop()
        return loop.call_at(loop.time() + (deadline - self.clock()), callback)
