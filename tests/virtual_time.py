"""A virtual clock with its own timers: a test moves time and every timer due by then fires,
in deadline order, at once. Given to the hub (`Hub(clock=vt, timers=vt)`), it runs a whole
session without waiting in real time and whatever the machine's load.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(order=True)
class _Timer:
    deadline: float
    order: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class VirtualTime:
    """A `Clock` and `Timers` in one, moved only by `advance` and `advance_to`."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self._timers: list[_Timer] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    def call_at(self, deadline: float, callback: Callable[[], None]) -> _Timer:
        timer = _Timer(deadline, next(self._order), callback)
        heapq.heappush(self._timers, timer)
        return timer

    def advance_to(self, moment: float) -> None:
        """Move to `moment`, firing each timer due by then at its own deadline."""
        while self._timers and self._timers[0].deadline <= moment:
            timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self.now = max(self.now, timer.deadline)
            timer.callback()
        self.now = max(self.now, moment)

    def advance(self, seconds: float) -> None:
        self.advance_to(self.now + seconds)

    def next_deadline(self) -> float | None:
        """When the next timer that is still armed is due."""
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0].deadline if self._timers else None
