"""Synthetic hub-device links for the clock estimator: every delay drawn, nothing real-time.

- `JitterLink`: each leg waits `latency + uniform(0, jitter)`, independently.
- `SharedLink`: both legs of a round trip share one slow or quick stretch (the old model).
- `EventLink`: BLE's link layer: a ping crosses at the first connection event after it
  reaches the central's radio, the device stamps it a little later, and its pong leaves at
  the next event; a lost packet waits a further event.

Each knows the truth (`device_us(hub_t)`) so a test can score an estimate.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

Sample = tuple[float, int, float]  # hub send, device microseconds, hub receive


@dataclass
class Clocks:
    rng: random.Random
    ppm: float = 80.0
    hub_start: float = 5000.0
    device_start_us: int = 3_000_000_000
    jump_us: int = 0

    def device_us(self, hub_t: float) -> int:
        elapsed = hub_t - self.hub_start
        return self.device_start_us + self.jump_us + int(elapsed * (1 + self.ppm * 1e-6) * 1e6)


@dataclass
class JitterLink(Clocks):
    latency_s: float = 0.040
    jitter_s: float = 0.030

    def round_trip(self, send: float) -> Sample:
        up = self.latency_s + self.rng.uniform(0, self.jitter_s)
        down = self.latency_s + self.rng.uniform(0, self.jitter_s)
        return send, self.device_us(send + up), send + up + down


@dataclass
class SharedLink(Clocks):
    """A 10-30 ms stretch both legs share, 0.5 ms apart, and now and then one leg resent."""

    retransmit_chance: float = 0.1

    def round_trip(self, send: float) -> Sample:
        base = self.rng.uniform(0.010, 0.030)
        legs = [base + self.rng.uniform(0, 0.0005) for _ in range(2)]
        if self.rng.random() < self.retransmit_chance:
            legs[self.rng.randrange(2)] += self.rng.uniform(0.0075, 0.030)
        return send, self.device_us(send + legs[0]), send + legs[0] + legs[1]


@dataclass
class EventLink(Clocks):
    interval_s: float = 0.030
    central_ppm: float = 20.0
    anchor: float = 4999.987
    to_radio_s: float = 0.0003  # hub write to the central's radio, at the least
    from_radio_s: float = 0.0003  # the central's radio to the hub's stamp, at the least
    stack_jitter_s: float = 0.0005  # and up to this much more, each way
    stamp_s: tuple[float, float] = (0.0001, 0.0004)  # device: radio to its clock reading
    loss: float = 0.0
    # A reply follows the central's own packet of its event: its airtime and the
    # inter-frame space (LE 1M).
    reply_extra_s: float = 0.00023

    @property
    def period_s(self) -> float:
        return self.interval_s * (1 + self.central_ppm * 1e-6)

    def next_event(self, t: float) -> float:
        n = math.ceil((t - self.anchor) / self.period_s)
        return self.anchor + n * self.period_s

    def _crossing(self, t: float) -> float:
        """The event a packet ready at `t` crosses at (a lost packet tries the next)."""
        event = self.next_event(t)
        while self.rng.random() < self.loss:
            event += self.period_s
        return event

    def round_trip(self, send: float) -> Sample:
        at_radio = send + self.to_radio_s + self.rng.uniform(0, self.stack_jitter_s)
        ping_event = self._crossing(at_radio)
        stamped = ping_event + self.rng.uniform(*self.stamp_s)
        pong_event = self._crossing(ping_event + 1e-6)
        received = pong_event + self.reply_extra_s + self.from_radio_s
        received += self.rng.uniform(0, self.stack_jitter_s)
        return send, self.device_us(stamped), received
