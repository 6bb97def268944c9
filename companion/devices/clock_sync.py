"""When a device link pings its wearable, and when a ping should leave: the radio budget.

Every ping costs the watch's battery three packets (the ping, the write's response, the
pong). A link pings densely while its clock estimate is young or after a jump, sparsely once
the estimate is tight, and, on BLE, just ahead of a connection event: such a ping crosses at
once, so its leg is among the quickest and says the most (`firmware_protocol.clock`).

Policies, picked with `LinkOptions.ping_policy` (the benchmark compares them):

- `adaptive` (the default): a connect burst, then a ping whenever the expected error at
  the load horizon exceeds the target, at least every `every_s` while a session runs;
- `dense`: what the links did before: a burst of 16, then a ping every half second;
- `sparse`: a short burst, then a ping every 5 s whatever the estimate says.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from firmware_protocol.clock import ClockEstimator

__all__ = ["POLICIES", "PingPlanner", "PingPolicy"]


@dataclass(frozen=True, slots=True)
class PingPolicy:
    name: str
    burst: int  # pings at connect
    resync_burst: int  # pings after a reconnect or a suspect sample
    every_s: float  # while a session runs, ping at least this often
    min_gap_s: float  # and never more often than this
    target_s: float | None  # ping while the error expected at the horizon is above this
    aim: bool  # on BLE, send each ping just ahead of a connection event


POLICIES: dict[str, PingPolicy] = {
    policy.name: policy
    for policy in (
        PingPolicy("adaptive", 16, 4, every_s=15.0, min_gap_s=0.5, target_s=0.00015, aim=True),
        PingPolicy("dense", 16, 4, every_s=0.5, min_gap_s=0.5, target_s=None, aim=False),
        PingPolicy("sparse", 8, 4, every_s=5.0, min_gap_s=5.0, target_s=None, aim=True),
    )
}
DEFAULT_POLICY = "adaptive"
# How far ahead of the event an aimed ping should reach the device's radio: dithered, so
# that some land just ahead of it whatever the hub's own stack takes today.
AIM_MARGIN_S = (0.0001, 0.0008)
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

    def due(self, now: float, *, busy: bool, horizon_s: float) -> bool:
        """Whether to ping now. `busy`: a session runs (cues ahead or held)."""
        estimator = self._estimator
        policy = self.policy
        if estimator.needs_resync(now) and estimator.suspect:
            return True
        since = now - self.last_ping
        if since < policy.min_gap_s:
            return False
        if estimator.needs_resync(now):
            return True
        if not busy:
            return False
        if since >= policy.every_s:
            return True
        if policy.target_s is None:
            return False
        return estimator.uncertainty_s(now + horizon_s) > policy.target_s

    def send_at(self, now: float) -> float:
        """When to send a ping wanted at `now`: just ahead of a connection event when the
        events are known and the policy aims; else now plus a random spread."""
        estimator = self._estimator
        lattice = estimator.lattice
        lead = estimator.ping_lead_s
        if self.policy.aim and lattice is not None and lead is not None:
            margin = self._rng.uniform(*AIM_MARGIN_S)
            # The first event the ping can still be sent ahead of, with a little room to
            # wake up for it.
            event = lattice.next_after(now + lead + margin + 0.002)
            return event - lead - margin
        if not estimator.synced or len(estimator.samples) < 2:
            return now
        quickest = min(s.rtt for s in estimator.samples)
        return now + self._rng.uniform(0, min(quickest, SPREAD_LIMIT_S))

    def sent(self, at: float) -> None:
        self.last_ping = at
        self.pings += 1
