"""What the hub hands the MQTT task: synchronous puts, coalesced, bounded.

Retained topics (`state`) keep only their latest value, so a slow or absent broker costs
one entry per topic, never a backlog; one-off messages (events, command results) queue in
order up to a bound and the oldest are dropped beyond it. Putting never awaits, so the
session engine and the bus never wait on the network.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import OrderedDict
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False
    # Loop time after which a one-off message is stale and not sent (None: never).
    expires: float | None = None


class Outbox:
    def __init__(self, max_messages: int = 200) -> None:
        self._max_messages = max_messages
        # Keyed by topic for latest-value entries, by a sequence number for one-off ones;
        # insertion order is sending order.
        self._pending: OrderedDict[str | int, Outgoing] = OrderedDict()
        self._messages = 0
        self._seq = itertools.count()
        self._ready = asyncio.Event()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._pending)

    def topics(self) -> list[str]:
        """The pending messages' topics, in sending order."""
        return [message.topic for message in self._pending.values()]

    def put_latest(self, message: Outgoing) -> None:
        """Replace whatever was pending for this topic; it goes out after older entries."""
        self._pending.pop(message.topic, None)
        self._pending[message.topic] = message
        self._ready.set()

    def put(self, message: Outgoing) -> None:
        """Queue a one-off message; the oldest one-off is dropped when the bound is hit."""
        if self._messages >= self._max_messages:
            oldest = next(key for key in self._pending if isinstance(key, int))
            del self._pending[oldest]
            self._messages -= 1
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 100 == 0:
                log.warning("MQTT broker not keeping up: %d message(s) dropped", self.dropped)
        self._pending[next(self._seq)] = message
        self._messages += 1
        self._ready.set()

    def discard(self, topic: str) -> None:
        """Forget a pending latest value (the caller sent a fresher one directly)."""
        self._pending.pop(topic, None)
        if not self._pending:
            self._ready.clear()

    def peek(self) -> Outgoing | None:
        if not self._pending:
            return None
        return next(iter(self._pending.values()))

    def pop(self, message: Outgoing) -> None:
        """Remove `message` once sent, unless a newer value replaced it meanwhile."""
        for key, pending in self._pending.items():
            if pending is message:
                del self._pending[key]
                if isinstance(key, int):
                    self._messages -= 1
                break
        if not self._pending:
            self._ready.clear()

    async def wait(self) -> Outgoing:
        """The next message to send (left in the box until `pop`)."""
        while (message := self.peek()) is None:
            self._ready.clear()
            await self._ready.wait()
        return message
