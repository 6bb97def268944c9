"""The connection events a BLE link moves data at, found in when replies arrive, sans-IO.

On BLE a device's reply leaves at a connection event, one every connection interval (a
multiple of 1.25 ms, 7.5 ms to 4 s) on the central's crystal. So the hub receives replies
on a lattice: a fixed period apart, give or take its own stack's delay, which only ever
makes them later. Found in the gaps between replies (each within a small tolerance of a
whole number of periods), the lattice tells the hub:

- that a reply waits for the event after the one that brought the request: its leg is one
  interval longer than the request's at their quickest, an asymmetry the hub could not see
  in round trips alone;
- when the next events come, so a ping can be sent to arrive just before one.

Over a link without connection events (a wire, a simulated jitter line) the gaps spread
evenly and nothing is found: the legs are then taken as symmetric.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from firmware_protocol.envelope import bound, slope_of_floor

__all__ = ["INTERVAL_STEP_S", "EventLattice", "find_lattice"]

INTERVAL_STEP_S = 0.00125
MIN_INTERVAL_S = 0.0075
MAX_INTERVAL_S = 4.0
# The central's crystal may be this far off the hub's clock (BLE asks 50 ppm of it).
_CRYSTAL = 100e-6
# How far a gap may be from whole periods: the hub's own stack delays a reply by a varying
# fraction of a millisecond, a few on a busy machine. Each tolerance is tried.
_TOLERANCES_S = (0.001, 0.0025)
# What the hub's stack adds to when it sees a reply, beyond the quickest: the least it can
# know the lattice's period to over a span.
_JITTER_S = 0.00015
# How many standard deviations beyond chance the fitting gaps must be.
_SURPRISE = 4.0
# Arrivals closer than this came in one connection event.
_SAME_EVENT_S = 0.004
# Gaps needed before a lattice is believed (a connect burst's worth), and the share of them
# that must fit it: evenly spread gaps fit a 30 ms lattice one time in fifteen.
MIN_GAPS = 15
# Gaps needed to confirm an interval already seen on an earlier connection.
HINTED_GAPS = 5
_MIN_FIT = 0.6
# A lattice this connection already showed is kept while this share of the gaps fits it (a
# busy stack spreads replies by milliseconds; a connection's events do not go away).
_KEEP_FIT = 0.3
# Where two candidate periods fit nearly as well, the longer one is the lattice (a lattice
# of period P also fits P/2, P/3...).
_TIE = 0.1
# The most recent replies looked at.
_RECENT = 64


@dataclass(frozen=True, slots=True)
class EventLattice:
    """Connection events as the hub sees their replies: `phase_s + n * period_s`."""

    interval_s: float  # the nominal connection interval (a multiple of 1.25 ms)
    period_s: float  # the interval measured on the hub's clock
    phase_s: float  # hub time of an event's quickest reply
    period_sigma_s: float = 0.0  # standard error of `period_s`

    def index(self, t: float) -> int:
        """The event whose replies arrive at or just before hub time `t`."""
        return math.floor((t - self.phase_s) / self.period_s + 0.1)

    def time(self, n: int) -> float:
        return self.phase_s + n * self.period_s

    def next_after(self, t: float) -> float:
        """The quickest reply time of the first event after hub time `t`."""
        n = math.floor((t - self.phase_s) / self.period_s) + 1
        return self.time(n)


def _fits(gap: float, period: float, tolerance_s: float) -> bool | None:
    """Whether a gap is a whole number of periods; None when too long to tell."""
    tolerance = tolerance_s + _CRYSTAL * gap
    if tolerance > period / 4:
        return None
    n = round(gap / period)
    return n >= 1 and abs(gap - n * period) <= tolerance


def _share(gaps: Sequence[float], period: float, needed: int = 0) -> float:
    """The share of the gaps that fit `period` at the tightest tolerance that tells it from
    chance; 0 when none does (a short period with a loose tolerance fits evenly spread gaps
    often)."""
    best = 0.0
    for tolerance_s in _TOLERANCES_S:
        verdicts = [v for v in (_fits(g, period, tolerance_s) for g in gaps) if v is not None]
        n = len(verdicts)
        if n < (needed or MIN_GAPS):
            continue
        hits = sum(verdicts)
        chance = min(0.99, 2 * (tolerance_s + _CRYSTAL * statistics.median(gaps)) / period)
        surprise = (hits - n * chance) / math.sqrt(n * chance * (1 - chance))
        if surprise >= _SURPRISE:
            best = max(best, hits / n)
    return best


def find_lattice(
    receive_times: Sequence[float],
    longest_s: float,
    hint_s: float | None = None,
    *,
    known_s: float | None = None,
) -> EventLattice | None:
    """The lattice replies received at `receive_times` lie on, if there is one.

    `longest_s` bounds the interval (the quickest round trip: a reply cannot come back
    within less than one interval). `hint_s`, the interval an earlier connection to the
    device showed, is checked first and needs fewer gaps. `known_s`, the interval these
    replies showed before, is kept (measured again) while a fair share of the gaps still
    fits it and nothing beyond chance would.
    """
    times = sorted(receive_times)
    recent = times[-_RECENT:]
    # Two messages in one event arrive within its few packets: one arrival for the lattice.
    gaps = [b - a for a, b in itertools.pairwise(recent) if b - a > _SAME_EVENT_S]
    if known_s is not None and _share(gaps, known_s, HINTED_GAPS) >= _KEEP_FIT:
        return _measure(times, known_s)
    if hint_s is not None and _share(gaps, hint_s, HINTED_GAPS) >= _MIN_FIT:
        return _measure(times, hint_s)
    if len(gaps) < MIN_GAPS:
        return None
    most = min(int(min(longest_s, MAX_INTERVAL_S) / INTERVAL_STEP_S + 1e-9), 3200)
    shares = {
        k: _share(gaps, k * INTERVAL_STEP_S)
        for k in range(int(MIN_INTERVAL_S / INTERVAL_STEP_S), most + 1)
    }
    if not shares:
        return None
    best = max(shares.values())
    if best < _MIN_FIT:
        return None
    steps = max(k for k, share in shares.items() if share >= max(_MIN_FIT, best - _TIE))
    return _measure(times, steps * INTERVAL_STEP_S)


def _indices(times: Sequence[float], period: float) -> list[int]:
    """Event numbers, counted gap by gap (a long run of events accumulates crystal error)."""
    indices = [0]
    for a, b in itertools.pairwise(times):
        indices.append(indices[-1] + round((b - a) / period))
    return indices


def _measure(times: Sequence[float], interval: float) -> EventLattice:
    """The period on the hub's clock and the phase of the quickest replies.

    Both from the quickest replies (a reply is only ever late: the floor they rest on), over
    the whole span: the period must hold to a part per million for the lattice to place
    events minutes away.
    """
    first = times[0]
    period, sigma = interval, interval * _CRYSTAL
    for _ in range(2):
        indices = _indices(times, period)
        points = [(n, t - first - n * period) for t, n in zip(times, indices, strict=True)]
        found = slope_of_floor(points)
        if found is not None:
            correction, correction_sigma = found
            period += correction
            sigma = min(correction_sigma, interval * _CRYSTAL)
        period = min(max(period, interval * (1 - _CRYSTAL)), interval * (1 + _CRYSTAL))
    # However the bounds line up, the hub's own stack jitter (a fraction of a millisecond)
    # over the span measured limits what the period can be known to.
    span = times[-1] - times[0]
    floor = _JITTER_S / span * interval if span > 0 else interval * _CRYSTAL
    sigma = min(max(sigma, floor), interval * _CRYSTAL)
    indices = _indices(times, period)
    phase = bound([t - first - n * period for t, n in zip(times, indices, strict=True)], above=True)
    return EventLattice(interval, period, first + phase.value, sigma)
