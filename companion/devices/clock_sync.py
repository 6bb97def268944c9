"""When a device link pings its wearable, and when a ping should leave: the radio budget.

Every ping costs the watch's battery three packets (the ping, the write's response, the
pong). A link pings densely while its clock estimate is young or after a jump, sparsely once
the estimate is tight, and, on BLE, just ahead of a connection event: such a ping crosses at
once, so its leg is among the quickest and says the most (`firmware_protocol.clock`).

Policies, picked with `LinkOptions.ping_policy` (the benchmark compares them):

- `adaptive` (the default): a connect burst (longer while the estimate is still loose: up
  to 48 pings until the error expected is under 0.5 ms and, over BLE, the aimed pings have
  missed their event twice), then a ping whenever the error expected now
  (the offset's, and the drift's since the samples) exceeds the target, at least every
  `every_s` while a session runs. Over BLE, where aimed pings make each sample tight, the
  gaps grow as the drift gets known; over a link whose every sample is loose, it pings as
  often as `dense`;
- `dense`: what the links did before: a burst of 16, then a ping every half second;
- `sparse`: a burst that settles as `adaptive`'s does, then a ping every 5 s whatever the
  estimate says.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from companion.clocks import Clock
from firmware_protocol.clock import ClockEstimator

__all__ = ["POLICIES", "PingPlanner", "PingPolicy"]


@dataclass(frozen=True, slots=True)
class PingPolicy:
    name: str
    burst: int  # pings at connect
    resync_burst: int  # pings after a reconnect or a suspect sample
    every_s: float  # while a session runs, ping at least this often
    min_gap_s: float  # and never more often than this
    target_s: float | None  # ping while the error expected now is above this
    aim: bool  # on BLE, send each ping just ahead of a connection event
    # With aimed pings the least gap grows with the estimate's age (this share of it): a
    # young estimate needs samples, an older one mostly time to show its drift.
    growth: float = 0.0
    # At connect, the burst goes on while the error expected now is above this, up to
    # `burst_max` pings: a link whose samples each say little needs more of them.
    settle_s: float | None = None
    burst_max: int = 0


POLICIES: dict[str, PingPolicy] = {
    policy.name: policy
    for policy in (
        PingPolicy(
            "adaptive",
            16,
            4,
            every_s=15.0,
            min_gap_s=0.5,
            target_s=0.00025,
            aim=True,
            growth=0.05,
            settle_s=0.0005,
            burst_max=48,
        ),
        PingPolicy("dense", 16, 4, every_s=0.5, min_gap_s=0.5, target_s=None, aim=False),
        PingPolicy(
            "sparse",
            8,
            4,
            every_s=5.0,
            min_gap_s=5.0,
            target_s=None,
            aim=True,
            settle_s=0.0005,
            burst_max=48,
        ),
    )
}
DEFAULT_POLICY = "adaptive"
# An aimed ping is sent `lead` before the reply time of the event it aims at. The lead
# follows the edge: a ping that crossed at its event lets the next one leave later (by a
# step that doubles while they keep crossing, so a lead far too long shrinks in a few
# pings), one that missed (it waited an interval more) makes the next leave earlier and the
# step small again. So most cross, and those that do reached the radio within a fraction
# of a millisecond of their event: the quickest ping leg there is. A ping that waits at its
# radio for long would be a tight sample far from the bound, and would pull the estimate;
# one that missed is no loss: its pong still bounds the offset from the other side.
LEAD_CLOSER_S = 0.0001
LEAD_FURTHER_S = 0.0003
# A lead of 0 would send the ping at the event's own reply time: never less than this.
LEAD_FLOOR_S = 0.0002
# Misses that show the aim has found the edge (as `firmware_protocol.clock` takes it).
EDGE_MISSES = 2
# Replies after which a link whose connection events have not shown has none (finding them
# takes 15 gaps between arrivals: `firmware_protocol.event_lattice.MIN_GAPS`).
NO_EVENTS_AFTER = 24
# Without events to aim at, a burst ping waits a random part of the quickest round trip,
# so that successive pings do not keep the same phase against an unseen lattice.
SPREAD_LIMIT_S = 0.05


class PingPlanner:
    """Decides when a link's next ping is due and when exactly to send it."""

    def __init__(self, policy: PingPolicy, estimator: ClockEstimator, rng: random.Random) -> None:
        self.policy = policy
        self._estimator = estimator
        self._rng = rng
        self.last_ping = -math.inf
        self.pings = 0
        self.aimed = 0
        self.crossed = 0
        self._lead: float | None = None
        self._step = LEAD_CLOSER_S
        # Aimed pings that missed their event: at the second the lead is known to be at the
        # edge (one alone may have been a ping lost on air, whatever its lead).
        self._misses = 0
        self._aimed_at: int | None = None
        self._first_ping: float | None = None

    def due(self, now: float, *, busy: bool) -> bool:
        """Whether to ping now. `busy`: a session runs (cues ahead or held)."""
        estimator = self._estimator
        policy = self.policy
        since = now - self.last_ping
        if estimator.suspect:
            # Tell a jump from a stray at once: cues may be playing on a wrong clock.
            self._first_ping = None
            return True
        # Aimed pings each say much (their legs are the quickest there are): as the estimate
        # ages they can come rarer. Pings that cannot be aimed say little each: as often as
        # the minimum gap allows while the estimate is loose.
        aimed = policy.aim and estimator.lattice is not None
        age = now - self._first_ping if self._first_ping is not None and aimed else 0.0
        if since < max(policy.min_gap_s, policy.growth * age):
            return False
        if estimator.needs_resync(now):
            return True
        if not busy:
            return False
        # The error expected now: the offset's own, and the drift's since the samples.
        loose = policy.target_s is not None and estimator.uncertainty_s(now) > policy.target_s
        return since >= policy.every_s or loose

    async def connect_burst(
        self, sync: Callable[[int], Awaitable[None]], clock: Clock, *, first: bool
    ) -> None:
        """A fresh connection's pings, through the link's `sync(n)`: the policy's burst, then
        one at a time until `settled`."""
        pings = self.policy.burst if first else self.policy.resync_burst
        await sync(pings)
        while not self.settled(clock(), pings):
            await sync(1)
            pings += 1

    def settled(self, now: float, pings: int) -> bool:
        """At connect, after `pings` pings: good enough to start, or should the burst go on?

        Not before the estimate is within `settle_s` and, when pings are aimed, the aim has
        found the edge of its event, missing it twice (until then aimed pings wait at the
        radio, tight samples away from the bound, and the edge is known from above only).
        A policy that aims waits for the connection's events, or for enough replies to say
        there are none: until they are found the legs are taken as symmetric, which on BLE
        is half an interval off with a small error claimed. Over a link without events,
        whose samples each say little, the burst ends as soon as its remaining pings could
        not bring the error within `settle_s` (it falls as one over the number of samples).
        """
        policy = self.policy
        if policy.settle_s is None or pings >= policy.burst_max:
            return True
        estimator = self._estimator
        aiming = policy.aim and estimator.lattice is not None
        samples = len(estimator.samples)
        # Wait for the events (a reconnection to a device whose links never showed any
        # need not).
        waiting = estimator.events_seen or samples < NO_EVENTS_AFTER
        if policy.aim and not aiming and pings < NO_EVENTS_AFTER and waiting:
            return False
        if not estimator.synced or estimator.suspect:
            return False
        error = estimator.uncertainty_s(now)
        if not aiming and error * samples / (samples + policy.burst_max - pings) > policy.settle_s:
            return True
        return error <= policy.settle_s and (self._misses >= EDGE_MISSES or not aiming)

    def send_at(self, now: float) -> float:
        """When to send a ping wanted at `now`: `lead` ahead of a connection event's reply
        time when the events are known and the policy aims; else now plus a random spread."""
        estimator = self._estimator
        lattice = estimator.lattice
        self._aimed_at = None
        if self.policy.aim and lattice is not None:
            if self._lead is None:
                quickest = estimator.ping_lead_s
                if quickest is None:
                    return now
                self._lead = quickest
            # The first event the ping can still be sent ahead of, with time to wake for it.
            event = lattice.next_after(now + self._lead + 0.002)
            self._aimed_at = lattice.index(event)
            return event - self._lead
        if not estimator.synced or len(estimator.samples) < 2:
            return now
        quickest_rtt = min(s.rtt for s in estimator.samples)
        return now + self._rng.uniform(0, min(quickest_rtt, SPREAD_LIMIT_S))

    def sent(self, at: float) -> None:
        self.last_ping = at
        self.pings += 1
        if self._first_ping is None:
            self._first_ping = at

    def answered(self, device_us: int) -> None:
        """The last ping was stamped `device_us` by the device: did it cross at the event
        it was aimed at? (Where the device stamped it says so; when its pong came does not,
        since a pong can be lost and sent again.) Move the lead along the edge."""
        estimator = self._estimator
        lattice = estimator.lattice
        aimed, self._aimed_at = self._aimed_at, None
        if aimed is None or lattice is None or self._lead is None or not estimator.synced:
            return
        self.aimed += 1
        stamped = estimator.to_hub(device_us)
        if stamped - lattice.time(aimed) < lattice.period_s / 2:
            self.crossed += 1
            self._lead = max(LEAD_FLOOR_S, self._lead - self._step)
            self._step = min(2 * self._step, lattice.period_s / 4)
        else:
            self._lead += LEAD_FURTHER_S
            self._step = LEAD_CLOSER_S
            self._misses += 1
