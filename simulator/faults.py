"""Seeded fault injection: message delay with jitter (order kept) and scheduled link drops."""

from __future__ import annotations

import asyncio
import collections
import random
from collections.abc import Callable

__all__ = ["DelayLine"]


class DelayLine:
    """Delivers messages after ``latency + uniform(0, jitter)`` seconds, in the order sent.

    A BLE link never reorders, so a message is never delivered before the one queued ahead
    of it: jitter stretches the gaps instead. With no latency and no jitter, delivery is
    immediate (synchronous), which keeps the fast path free of timer overhead.
    """

    def __init__(self, latency_s: float, jitter_s: float, rng: random.Random) -> None:
        self.latency_s = latency_s
        self.jitter_s = jitter_s
        self._rng = rng
        self._queue: collections.deque[tuple[float, Callable[[], None]]] = collections.deque()
        self._timer: asyncio.TimerHandle | None = None
        self._last_due = 0.0
        # The delays drawn, most recent last (bounded), so tests can check the distribution.
        self.drawn: collections.deque[float] = collections.deque(maxlen=1000)

    @property
    def immediate(self) -> bool:
        return self.latency_s == 0 and self.jitter_s == 0

    def send(self, deliver: Callable[[], None]) -> None:
        """Run `deliver` after this line's delay (now, if there is none)."""
        if self.immediate:
            deliver()
            return
        loop = asyncio.get_running_loop()
        delay = self.latency_s + self._rng.uniform(0.0, self.jitter_s)
        self.drawn.append(delay)
        due = max(loop.time() + delay, self._last_due)
        self._last_due = due
        self._queue.append((due, deliver))
        if self._timer is None:
            self._timer = loop.call_at(due, self._drain)

    def _drain(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._queue and self._queue[0][0] <= now:
            _, deliver = self._queue.popleft()
            deliver()
        if self._queue:
            self._timer = loop.call_at(self._queue[0][0], self._drain)

    def clear(self) -> None:
        """Drop what is in flight (the link it travelled on is gone)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._queue.clear()
