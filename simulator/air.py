"""The air of one BLE connection, moved as its link layer moves it (Core Vol 6, Part B, 4.5).

Data crosses only at connection events, one every connection interval on the central's
crystal (which runs `central_ppm` off the host clock). At each event the central sends its
next packet (or an empty one) and the peripheral answers with its own; while either side
has more, they go on, up to `packets_per_event` exchanges. A packet is lost with the packet
error rate; the event then closes and the lost packet is sent again at the next event, ahead
of anything queued behind it (the link layer acknowledges every packet and never reorders).

What a peripheral receives in an event it can answer at the next event at the earliest: its
reply for this event was queued before the event began. With peripheral latency N the
peripheral skips up to N events in a row while it has nothing to send, so data from the
central may wait for the next event it listens to; data of its own makes it listen at the
next event. Each packet arrives at the end of its airtime (LE 1M PHY, 150 us between
packets), so several packets in one event arrive a few hundred microseconds apart.

An event counts as heard when both first packets of the exchange got through. With none
heard for the supervision timeout (radio silence, or packet after packet lost), the link is
lost on both sides. The model moves opaque deliveries: `simulator.radio` feeds it the ACL
packets of the peripheral's controller, so every profile's traffic (ATT requests, responses,
notifications) takes the same path.
"""

from __future__ import annotations

import collections
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["AirCounters", "AirOptions", "ConnectionAir", "Timers", "airtime_s"]

# Connection interval steps, range (Core Vol 6, Part B, 4.5.1) and supervision timeout range.
INTERVAL_STEP_S = 0.00125
INTERVAL_RANGE_S = (0.0075, 4.0)
SUPERVISION_RANGE_S = (0.1, 32.0)
MAX_PERIPHERAL_LATENCY = 499
# LE 1M PHY: 8 us a byte; preamble, access address, header and CRC add 10 bytes to a payload.
_US_PER_BYTE = 8e-6
_PACKET_OVERHEAD_BYTES = 10
INTER_FRAME_SPACE_S = 150e-6


def airtime_s(payload: int) -> float:
    """How long a data packet with `payload` bytes takes on air (LE 1M)."""
    return (payload + _PACKET_OVERHEAD_BYTES) * _US_PER_BYTE


class AirOptionError(ValueError):
    """A link-layer parameter outside what BLE allows; the message says which and why."""


@dataclass(frozen=True, slots=True)
class AirOptions:
    """One connection's link-layer parameters."""

    interval_s: float = 0.030
    peripheral_latency: int = 0
    packet_error_rate: float = 0.0  # 0..1, each packet
    packets_per_event: int = 4
    supervision_timeout_s: float = 2.0
    central_ppm: float = 20.0

    def __post_init__(self) -> None:
        low, high = INTERVAL_RANGE_S
        steps = self.interval_s / INTERVAL_STEP_S
        if not low <= self.interval_s <= high or abs(steps - round(steps)) > 1e-6:
            raise AirOptionError(
                f"connection interval {self.interval_s * 1000:g} ms: BLE allows 7.5 ms to 4 s "
                "in steps of 1.25 ms"
            )
        if not 0 <= self.peripheral_latency <= MAX_PERIPHERAL_LATENCY:
            raise AirOptionError(
                f"peripheral latency {self.peripheral_latency}: BLE allows 0 to 499 events"
            )
        if not 0 <= self.packet_error_rate < 1:
            raise AirOptionError(
                f"packet error rate {self.packet_error_rate * 100:g} %: give 0 to under 100 %"
            )
        if self.packets_per_event < 1:
            raise AirOptionError("at least one packet must fit a connection event")
        low, high = SUPERVISION_RANGE_S
        floor = 2 * (1 + self.peripheral_latency) * self.interval_s
        if not low <= self.supervision_timeout_s <= high or self.supervision_timeout_s <= floor:
            raise AirOptionError(
                f"supervision timeout {self.supervision_timeout_s * 1000:g} ms: BLE allows "
                f"100 ms to 32 s, above 2 x (1 + latency) x interval ({floor * 1000:g} ms)"
            )
        if abs(self.central_ppm) > 1000:
            raise AirOptionError(f"central crystal {self.central_ppm} ppm is beyond any crystal")


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Timers(Protocol):
    """What the model needs of a clock: asyncio's loop, or a virtual one in tests."""

    def time(self) -> float: ...

    def call_at(self, when: float, callback: Callable[[], object], /) -> Cancellable: ...


@dataclass(slots=True)
class AirCounters:
    """What crossed one connection: packets each way, events held, packets lost."""

    since: float
    to_peripheral: int = 0
    to_central: int = 0
    events: int = 0
    lost: int = 0


@dataclass(slots=True)
class _Packet:
    deliver: Callable[[], None]
    size: int


class ConnectionAir:
    """The link layer of one connection, ticking at its connection events until closed."""

    def __init__(
        self,
        options: AirOptions,
        rng: random.Random,
        timers: Timers,
        on_lost: Callable[[], object],
    ) -> None:
        self.options = options
        self._rng = rng
        self._timers = timers
        self._on_lost = on_lost
        now = timers.time()
        self.counters = AirCounters(since=now)
        # Event n is at anchor + n x period: the interval on the central's crystal.
        self.period_s = options.interval_s * (1 + options.central_ppm * 1e-6)
        # The first anchor follows the connection request by the transmit window delay and
        # offset (Vol 6, Part B, 4.5.3): anywhere in the first interval.
        self.anchor = now + INTER_FRAME_SPACE_S + 0.00125 + rng.uniform(0, options.interval_s)
        self._next = 0
        self._last_listened = -math.inf
        self._last_heard = now
        self._silent_until = -math.inf
        self._to_peripheral: collections.deque[_Packet] = collections.deque()
        self._to_central: collections.deque[_Packet] = collections.deque()
        self._closed = False
        self._timer: Cancellable | None = timers.call_at(self.anchor, self._event)

    # -- what the ends do ------------------------------------------------------------

    def event_time(self, n: int) -> float:
        """Host time of connection event `n` (0 is the first)."""
        return self.anchor + n * self.period_s

    def to_peripheral(self, deliver: Callable[[], None], size: int) -> None:
        """Queue a packet from the central; `deliver` runs when it has crossed."""
        if not self._closed:
            self._to_peripheral.append(_Packet(deliver, size))

    def to_central(self, deliver: Callable[[], None], size: int) -> None:
        """Queue a packet from the peripheral; `deliver` runs when it has crossed."""
        if not self._closed:
            self._to_central.append(_Packet(deliver, size))

    def silence(self, for_s: float) -> None:
        """No packet gets through for `for_s` seconds (out of range, shielded)."""
        self._silent_until = max(self._silent_until, self._timers.time() + for_s)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """The connection ended: stop the events and drop what was queued."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._to_peripheral.clear()
        self._to_central.clear()

    # -- the link layer --------------------------------------------------------------

    def _event(self) -> None:
        if self._closed:
            return
        n = self._next
        t = self.event_time(n)
        self._next += 1
        self._timer = self._timers.call_at(self.event_time(self._next), self._event)
        has_data = bool(self._to_central)
        if has_data or n - self._last_listened > self.options.peripheral_latency:
            self._last_listened = n
            self.counters.events += 1
            if t >= self._silent_until and self._exchange(t):
                self._last_heard = t
        if t - self._last_heard >= self.options.supervision_timeout_s:
            self.close()
            self._on_lost()

    def _exchange(self, t: float) -> bool:
        """One connection event's packets; True when the event was heard both ways."""
        # The peripheral answers only with what it had queued before the event began.
        ready = len(self._to_central)
        offset = 0.0
        heard = False
        for _ in range(self.options.packets_per_event):
            central = self._to_peripheral[0] if self._to_peripheral else None
            offset += airtime_s(central.size if central else 0)
            if self._lost(central):
                break
            if central is not None:
                self._to_peripheral.popleft()
                self.counters.to_peripheral += 1
                self._deliver_at(t + offset, central)
            offset += INTER_FRAME_SPACE_S
            peripheral = self._to_central[0] if ready else None
            offset += airtime_s(peripheral.size if peripheral else 0)
            if self._lost(peripheral):
                break
            heard = True
            if peripheral is not None:
                self._to_central.popleft()
                ready -= 1
                self.counters.to_central += 1
                self._deliver_at(t + offset, peripheral)
            offset += INTER_FRAME_SPACE_S
            if not self._to_peripheral and not ready:
                break  # neither side has more data: the event closes
        return heard

    def _lost(self, packet: _Packet | None) -> bool:
        if self._rng.random() >= self.options.packet_error_rate:
            return False
        if packet is not None:
            self.counters.lost += 1
        return True

    def _deliver_at(self, when: float, packet: _Packet) -> None:
        def arrive() -> None:
            if not self._closed:
                packet.deliver()

        self._timers.call_at(when, arrive)
