"""Device clock estimation from time-sync round trips, sans-IO (SPEC.md, "Clock sync").

The hub sends TimeSyncPing stamped with its `time.monotonic()`; the device answers with its
own clock (integer microseconds) taken when the ping arrived. Each round trip is a sample
(hub send time s, device time d, hub receive time r), and each of its legs bounds the clock
offset (device minus hub) from one side:

- the ping's leg: d - s = offset + (its one-way delay), never below offset + the leg's
  quickest delay. The samples of that leg crowd, from above, against a line: the offset
  plus that minimum, sloping with the drift;
- the pong's leg: d - r = offset - (its one-way delay), crowding against a line from below.

So each leg's fastest samples bound the offset from one side: the estimator finds both
bounds (`firmware_protocol.envelope`) and takes the line halfway between. That is right
when the two legs are equally quick at their quickest, which round trips alone cannot
check. BLE breaks it in a way the hub can see: a device's reply leaves at the connection
event after the one that brought the ping, so its leg is one interval longer. The replies
then arrive on a lattice (`firmware_protocol.event_lattice`); once it is found, the pong's
leg is measured from the event the ping arrived at (the lattice's previous event), which
is the quickest a reply could have been, and the bound it gives is as tight as the device's
own delay before stamping.

The drift is fitted over the whole span (the bounds of early and late samples) and blended
with the crystal prior by their variances, so a short span cannot swing it; the prior is
the drift measured before, once there was one. A sample far beyond a bound (more than
`jump_threshold_s` plus the uncertainty) is held as suspect: if the next one agrees with it
the device clock jumped (reset, set from a phone) and the estimate restarts from the two;
otherwise the suspect was a stray and is dropped.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Final

from firmware_protocol.envelope import (
    Bound,
    Side,
    bound,
    pooled,
    slope_of_floor,
    widest_slope,
)
from firmware_protocol.errors import ProtocolError
from firmware_protocol.event_lattice import EventLattice, find_lattice
from firmware_protocol.messages import TimeSyncPong

# Crystal tolerance assumed before the drift can be measured (watch crystals: +-20-100 ppm).
UNMEASURED_DRIFT_PPM: Final = 100.0
# A drift measured on an earlier span stays this good (temperature moves a crystal).
REMEMBERED_DRIFT_PPM: Final = 5.0
# Samples needed before the estimate is trusted for anything but a first guess.
MIN_FIT_SAMPLES: Final = 4
# On BLE a reply follows the central's packet of its event: the empty packet's airtime on
# LE 1M (80 us) and the inter-frame space (150 us) beyond the interval itself.
REPLY_EXTRA_S: Final = 230e-6
# How often (in samples) the connection-event lattice is looked for, or checked again.
_LATTICE_EVERY = 8
# No drift is measured better than this much error over the span of its samples.
_SYSTEMATIC_S: Final = 0.001
# The stretches of most recent samples the offset may be taken from.
_RECENT_COUNTS = (64, 32)
_RECENT_SPANS_S = (30.0, 10.0)
# Samples a recent stretch needs on each leg to stand for the offset.
_MIN_WINDOW = 16
# The paired fit is taken only when it expects less than this share of the envelopes'
# error: its midpoints' scatter understates its error where the legs vary apart.
_PAIRED_EDGE = 0.5
# Fits are judged by the error they expect this long after the newest sample.
_JUDGED_AHEAD_S = 4.0
# Arrivals of other messages kept for finding the lattice.
_ARRIVALS = 64
# Pings whose lead was within this of the shortest crossed at the edge of their event.
_EDGE_BAND_S = 0.002


class SampleVerdict(Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"  # round trip negative or longer than max_rtt_s
    SUSPECT = "suspect"  # far beyond a bound: held until the next sample says jump or stray
    CLOCK_JUMP = "clock_jump"  # confirmed: the estimate restarted from the jumped samples


@dataclass(frozen=True, slots=True)
class SyncSample:
    hub_send: float  # seconds, hub time.monotonic()
    device_us: int  # microseconds, device clock
    hub_recv: float  # seconds, hub time.monotonic()
    link: int = 0  # which connection it came over (each has its own connection events)

    @property
    def rtt(self) -> float:
        return self.hub_recv - self.hub_send

    @property
    def hub_mid(self) -> float:
        return (self.hub_send + self.hub_recv) / 2


# A sample, when its ping crossed at its event (hub time), and that connection's period.
_PingEvent = tuple[SyncSample, float, float]


@dataclass(frozen=True, slots=True)
class SyncQuality:
    """Figures for a UI or a log line."""

    samples: int
    min_rtt_s: float  # shortest round trip among the kept samples
    residual_spread_s: float  # typical gap between the quickest samples near the bounds
    drift_ppm: float  # device clock rate minus hub clock rate, parts per million
    drift_measured: bool  # True once the samples weigh more than the crystal prior
    uncertainty_s: float  # expected conversion error at the time asked about
    jumps: int  # clock jumps detected since creation
    interval_ms: float | None  # the BLE connection interval the replies show, if any


@dataclass(frozen=True, slots=True)
class _Fit:
    ref_hub: float  # hub seconds of the reference point
    ref_device_us: int  # device microseconds of the reference point
    offset_s: float  # (device - ref_device) - (hub - ref_hub) at hub time ref_hub
    drift: float  # device seconds per hub second, minus 1
    drift_sigma: float  # standard error of the drift
    offset_sigma: float  # standard error of the offset at the pivot
    pivot: float  # hub time (from ref_hub) where the offset is best known
    spacing: float  # typical gap between the quickest samples near the bounds
    data_weight: float  # share of the drift taken from the samples (the rest: prior)

    def offset_at(self, hub_t: float) -> float:
        return self.offset_s + self.drift * (hub_t - self.ref_hub)


class ClockEstimator:
    """Maps hub `time.monotonic()` seconds to device microseconds and back.

    Feed it every pong with `add_pong` (or `add`); ask `needs_resync(now)` or
    `uncertainty_s(t)` when to ping again. Until `add` has been called once, conversions
    raise ProtocolError.
    """

    def __init__(
        self,
        *,
        window: int = 256,
        max_rtt_s: float = 10.0,
        jump_threshold_s: float = 0.005,
        max_age_s: float = 30.0,
        max_uncertainty_s: float = 0.002,
        clock_resolution_us: int = 1,
        drift_prior_ppm: float = 0.0,
        crystal_ppm: float = UNMEASURED_DRIFT_PPM,
    ) -> None:
        self.window = window
        self.max_rtt_s = max_rtt_s
        self.jump_threshold_s = jump_threshold_s
        self.max_age_s = max_age_s
        self.max_uncertainty_s = max_uncertainty_s
        self.clock_resolution_us = clock_resolution_us
        self.jumps = 0
        self._prior = (drift_prior_ppm * 1e-6, crystal_ppm * 1e-6)
        self._samples: deque[SyncSample] = deque(maxlen=window)
        self._fit: _Fit | None = None
        self._suspect: SyncSample | None = None
        self._jump_expected = False
        # Each connection has its own events: a lattice per connection, found in its own
        # replies, and the interval the last one showed (a reconnection likely keeps it).
        self._link = 0
        self._lattices: dict[int, EventLattice] = {}
        self._interval_hint: float | None = None
        self._since_lattice = 0
        # When other messages from the device arrived: they show the lattice too.
        self._arrivals: deque[float] = deque(maxlen=_ARRIVALS)

    # -- state -----------------------------------------------------------------------

    @property
    def synced(self) -> bool:
        return self._fit is not None

    @property
    def samples(self) -> tuple[SyncSample, ...]:
        return tuple(self._samples)

    @property
    def suspect(self) -> bool:
        """A sample is held as suspect: ping again to tell a jump from a stray."""
        return self._suspect is not None

    @property
    def lattice(self) -> EventLattice | None:
        """The current connection's BLE events, as its replies show them, once found."""
        return self._lattices.get(self._link)

    @property
    def events_seen(self) -> bool:
        """Whether any connection to the device showed BLE connection events."""
        return self._interval_hint is not None

    @property
    def ping_lead_s(self) -> float | None:
        """The least time before an event's quickest reply that a ping left and still
        crossed at the event before it, on this connection; None without a lattice."""
        leads = [
            event - sample.hub_send
            for sample, event, _ in self._ping_events()
            if sample.link == self._link
        ]
        return min(leads, default=None)

    def expect_jump(self) -> None:
        """The device's own reports say its clock moved (a cue played far from where the
        estimate put it, one skipped as past that is still to come): the next sample beyond
        a bound is taken as the jump at once, with no second sample to confirm it."""
        self._jump_expected = True

    def new_link(self) -> None:
        """A new connection to the device: its connection events start afresh (the clock
        estimate carries on; the device clock did not change)."""
        self._link += 1
        self._arrivals.clear()
        self._since_lattice = 0

    def observe_arrival(self, hub_t: float) -> None:
        """Any message from the device arrived at hub time `hub_t`: on BLE at a connection
        event, so it helps find the lattice before many pings have been spent."""
        self._arrivals.append(hub_t)
        if (
            self.lattice is None
            and len(self._arrivals) % 4 == 0
            and self._look_for_lattice(force=True)
        ):
            self._fit = self._refit()

    def reset(self) -> None:
        """Forgets every sample (a new device, or its clock restarted). A drift measured
        so far stays as the prior: the crystal did not change."""
        self._remember_drift()
        self._samples.clear()
        self._fit = None
        self._suspect = None
        self._jump_expected = False
        self._lattices.clear()
        self._since_lattice = 0
        self._arrivals.clear()

    def _remember_drift(self) -> None:
        fit = self._fit
        if fit is not None and fit.data_weight > 0.5:
            sigma = math.hypot(fit.drift_sigma, REMEMBERED_DRIFT_PPM * 1e-6)
            self._prior = (fit.drift, min(sigma, self._prior[1]))

    # -- samples ---------------------------------------------------------------------

    def add_pong(self, pong: TimeSyncPong, hub_recv: float) -> SampleVerdict:
        """Adds the sample a pong makes; `hub_recv` is the hub time it arrived."""
        return self.add(pong.hub_timestamp_us / 1_000_000, pong.device_time_us, hub_recv)

    def add(self, hub_send: float, device_us: int, hub_recv: float) -> SampleVerdict:
        """Adds one round trip and refits."""
        sample = SyncSample(hub_send, device_us, hub_recv, self._link)
        if not 0 <= sample.rtt <= self.max_rtt_s:
            return SampleVerdict.REJECTED
        jump = self._jump_of(sample)
        suspect, self._suspect = self._suspect, None
        if jump is not None:
            confirmed = suspect is not None and self._agrees(suspect, sample)
            if not confirmed and not self._jump_expected:
                self._suspect = sample
                return SampleVerdict.SUSPECT
            self._jump_expected = False
            self.jumps += 1
            self._remember_drift()
            self._samples.clear()
            if confirmed and suspect is not None:
                self._samples.append(suspect)
            self._samples.append(sample)
            self._fit = self._refit()
            return SampleVerdict.CLOCK_JUMP
        self._samples.append(sample)
        self._look_for_lattice()
        self._fit = self._refit()
        return SampleVerdict.ACCEPTED

    def _jump_of(self, sample: SyncSample) -> float | None:
        """How far `sample` lies beyond a bound of the current fit; None when within."""
        fit = self._fit
        if fit is None or len(self._samples) < MIN_FIT_SAMPLES:
            return None
        device_s = (sample.device_us - fit.ref_device_us) / 1_000_000
        allowed = self.jump_threshold_s + self.uncertainty_s(sample.hub_mid)
        # The ping's leg cannot be quicker than nothing; the pong's cannot be quicker than
        # the wait for the next connection event, when there are events.
        ahead = (device_s - (sample.hub_send - fit.ref_hub)) - fit.offset_at(sample.hub_send)
        lattice = self.lattice
        reply = lattice.period_s if lattice is not None else 0.0
        behind = (device_s - (sample.hub_recv - fit.ref_hub) + reply) - fit.offset_at(
            sample.hub_recv
        )
        if ahead < -allowed:
            return ahead
        if behind > allowed:
            return behind
        return None

    def _agrees(self, first: SyncSample, second: SyncSample) -> bool:
        """Whether two samples tell the same clock (the second confirms the first's jump)."""
        elapsed = second.hub_mid - first.hub_mid
        expected = first.device_us + elapsed * 1_000_000
        allowed = (first.rtt + second.rtt) / 2 + self.jump_threshold_s
        return abs(second.device_us - expected) <= allowed * 1_000_000

    def _look_for_lattice(self, *, force: bool = False) -> bool:
        """Look for this connection's lattice now and then; True when found or lost now."""
        self._since_lattice += 1
        current = [s for s in self._samples if s.link == self._link]
        if not force and self._since_lattice < _LATTICE_EVERY and len(current) > 16:
            return False
        self._since_lattice = 0
        if not current:
            return False
        had = self.lattice
        quickest = min(s.rtt for s in current)
        times = sorted({s.hub_recv for s in current} | set(self._arrivals))
        known = had.interval_s if had is not None else None
        lattice = find_lattice(times, quickest, self._interval_hint, known_s=known)
        if lattice is None:
            self._lattices.pop(self._link, None)
        else:
            self._lattices[self._link] = lattice
            self._interval_hint = lattice.interval_s
        return (had is not None) != (lattice is not None)

    # -- fitting ---------------------------------------------------------------------

    def _sides(self, ref: SyncSample, events: list[_PingEvent]) -> tuple[Side, Side, list[int]]:
        """The ping legs' points (above the offset line) and the pong legs' points.

        Once any connection showed BLE events, a pong's point is taken at the event its
        ping crossed at, by its own connection's lattice (a sample of a connection whose
        lattice is not found yet says nothing on that side).
        """
        pings: list[tuple[float, float]] = []
        pongs: list[tuple[float, float]] = []
        links: list[int] = []
        for s in self._samples:
            device_s = (s.device_us - ref.device_us) / 1_000_000
            x = s.hub_send - ref.hub_send
            pings.append((x, device_s - x))
            if not self._lattices:
                x = s.hub_recv - ref.hub_send
                pongs.append((x, device_s - x))
                links.append(s.link)
        if not self._lattices:
            return Side(pings, above=True), Side(pongs, above=False), links
        for s, event, _ in events:
            device_s = (s.device_us - ref.device_us) / 1_000_000
            x = event - REPLY_EXTRA_S - ref.hub_send
            pongs.append((x, device_s - x))
            links.append(s.link)
        return Side(pings, above=True), Side(pongs, above=True), links

    def _ping_events(self) -> list[_PingEvent]:
        """Each sample of a connection whose lattice is found, with when its ping crossed
        (hub time, as the quickest replies show events) and the connection's period.

        The ping crossed at the event before the one its pong arrived at, unless the pong
        was lost and sent again: then it came an event (or more) later. Where the ping
        crossed does not move the device's stamp against that event (a ping that waited
        was stamped later too); a lost pong moves the event a period later and so the
        stamp a period lower against it. The highest points are the pongs that were not
        lost (the second highest stands for them: a single stray above cannot move them),
        and the others are moved back by whole periods.
        """
        found = []
        for sample in self._samples:
            lattice = self._lattices.get(sample.link)
            if lattice is not None:
                event = lattice.time(lattice.index(sample.hub_recv) - 1)
                found.append((sample, event, lattice.period_s))
        if not found:
            return found
        first = found[0][0]
        drift = self._fit.drift if self._fit is not None else self._prior[0]
        stamps = [
            (sample.device_us - first.device_us) / 1_000_000
            - (event - first.hub_send) * (1 + drift)
            for sample, event, _ in found
        ]
        ordered = sorted(stamps)
        top = ordered[-2] if len(ordered) > 1 else ordered[-1]
        return [
            (sample, event - period * round((top - stamp) / period), period)
            for (sample, event, period), stamp in zip(found, stamps, strict=True)
        ]

    def _refit(self) -> _Fit:
        """The better of two fits: the envelopes' (each leg's quickest samples) or the
        classic paired one (midpoints of the quickest round trips), by the error each
        expects a few seconds past the newest sample. Where both legs of a round trip are
        slow or quick together, the pairs say more; where the legs vary apart (independent
        jitter, BLE's events), the envelopes do."""
        ref = self._samples[0]
        events = self._ping_events()
        pings, pongs, links = self._sides(ref, events)
        fits = [self._envelope_fit(ref, pings, pongs, links, events)]
        # Not with a lattice: there every pair's midpoint holds half a random wait for the
        # ping's event, which the envelopes leave out.
        paired = self._paired_fit(ref, pings, pongs) if not self._lattices else None
        if paired is not None:
            fits.append(paired)
        ahead = self._samples[-1].hub_recv + _JUDGED_AHEAD_S
        envelope = fits[0]
        if paired is not None and _uncertainty(paired, ahead) < _PAIRED_EDGE * _uncertainty(
            envelope, ahead
        ):
            return paired
        return envelope

    def _blend(
        self, data: tuple[float, float] | None, span: float = math.inf
    ) -> tuple[float, float, float]:
        """A measured drift and its error against the crystal prior, by their variances:
        the drift, its error, and the weight the measurement got. Over a `span` of seconds
        no drift is known better than a systematic error (a lattice period slightly off,
        aims still converging, a stack slower for a while) spread over it."""
        prior, prior_sigma = self._prior
        if data is None:
            return prior, prior_sigma, 0.0
        slope, sigma = data
        sigma = max(sigma, _SYSTEMATIC_S / span) if span > 0 else prior_sigma
        weight = prior_sigma**2 / (prior_sigma**2 + sigma**2)
        blended_sigma = math.sqrt(1 / (1 / prior_sigma**2 + 1 / sigma**2))
        return prior + weight * (slope - prior), blended_sigma, weight

    def _envelope_fit(
        self,
        ref: SyncSample,
        pings: Side,
        pongs: Side,
        links: list[int],
        events: list[_PingEvent],
    ) -> _Fit:
        drift, drift_sigma, weight = self._blend(None)
        span = max(x for x, _ in pings.points) - min(x for x, _ in pings.points)
        for _ in range(2):
            found = self._data_drift(pings, pongs, links, drift, events)
            if found is None:
                break
            drift, drift_sigma, weight = self._blend(found, span)
        # The offset from the most recent stretch of samples that knows the newest time
        # best: all of them know it through the drift, whose error grows with the
        # distance; the latest few know it directly, less precisely.
        newest = max(x for x, _ in pings.points)
        best: tuple[float, float, float, Bound, Bound] | None = None
        everything = len(pings.points)
        overall = 0.0
        edge = _edge(events) if pongs.above else None
        for start in _window_starts([x for x, _ in pings.points]):
            ups = [y - drift * x for x, y in pings.points if x >= start]
            downs = [y - drift * x for x, y in pongs.points if x >= start]
            if best is not None and min(len(ups), len(downs)) < _MIN_WINDOW:
                continue
            if not ups or not downs:
                continue
            lower = bound(downs, above=pongs.above)
            if edge is None:
                upper = bound(ups, above=True)
            else:
                # With a lattice a ping's leg is the pong's point plus how long before its
                # event it left: the ping leg's bound is the pong leg's plus the edge.
                value, edge_sigma = edge
                upper = Bound(lower.value + value - REPLY_EXTRA_S, lower.spacing, edge_sigma)
            sigma = math.hypot(upper.sigma, lower.sigma) / 2
            if best is None:
                overall = sigma
            else:
                # Fewer samples bound less tightly, whatever their own spacing says by
                # chance (a window must not win on a lucky spacing).
                sigma = max(sigma, overall * everything / len(ups))
            if len(self._samples) < MIN_FIT_SAMPLES:
                # Too few to tell a spacing: all that is known is the band between bounds.
                sigma = max(sigma, _band(upper, lower, pongs.above))
            xs = [x for x, _ in pings.points if x >= start]
            pivot = sum(xs) / len(xs)
            expected = math.hypot(sigma, drift_sigma * (newest - pivot))
            if best is None or expected < best[0]:
                best = (expected, sigma, pivot, upper, lower)
        assert best is not None
        _, sigma, pivot, upper, lower = best
        return _Fit(
            ref_hub=ref.hub_send,
            ref_device_us=ref.device_us,
            offset_s=(upper.value + lower.value) / 2,
            drift=drift,
            drift_sigma=drift_sigma,
            offset_sigma=max(sigma, self.clock_resolution_us / 1_000_000),
            pivot=pivot,
            spacing=(upper.spacing + lower.spacing) / 2,
            data_weight=weight,
        )

    def _paired_fit(self, ref: SyncSample, pings: Side, pongs: Side) -> _Fit | None:
        """A line through the midpoints of the quickest round trips (the half with the
        narrowest gap between their two legs' points), strays dropped."""
        pairs = sorted(
            (
                (hi_y - lo_y, (hi_x + lo_x) / 2, (hi_y + lo_y) / 2)
                for (hi_x, hi_y), (lo_x, lo_y) in zip(pings.points, pongs.points, strict=True)
            ),
            key=lambda pair: pair[0],
        )
        if len(pairs) < MIN_FIT_SAMPLES:
            return None
        drift, drift_sigma, weight = self._blend(None)
        # A robust first line (median of pairwise slopes) through the quickest half, then
        # every pair that agrees with it: a retransmission slows one leg only and puts its
        # midpoint far off the line.
        quickest = [(x, y) for _, x, y in pairs[: max(MIN_FIT_SAMPLES, (len(pairs) + 1) // 2)]]
        slope = _theil_sen(quickest)
        if slope is None:
            return None
        level = statistics.median(y - slope * x for x, y in quickest)
        everything = [(x, y) for _, x, y in pairs]
        residuals = [abs(y - level - slope * x) for x, y in everything]
        spread = 1.4826 * statistics.median(abs(y - level - slope * x) for x, y in quickest)
        limit = max(3.5 * spread, 0.0002)
        chosen = [p for p, r in zip(everything, residuals, strict=True) if r <= limit]
        line = _least_squares(chosen, None) if len(chosen) >= 3 else None
        if line is None:
            return None
        slope, _, sigma = line
        xs = [x for x, _ in chosen]
        centre = statistics.fmean(xs)
        sxx = sum((x - centre) ** 2 for x in xs)
        if sxx > 0:
            measured = (slope, max(sigma, 1e-7) / math.sqrt(sxx))
            drift, drift_sigma, weight = self._blend(measured)
        # The offset where the chosen samples are centred, on the blended drift.
        level = statistics.fmean(y - drift * x for x, y in chosen)
        return _Fit(
            ref_hub=ref.hub_send,
            ref_device_us=ref.device_us,
            offset_s=level,
            drift=drift,
            drift_sigma=drift_sigma,
            offset_sigma=max(sigma / math.sqrt(len(chosen)), self.clock_resolution_us / 1e6),
            pivot=centre,
            spacing=sigma,
            data_weight=weight,
        )

    def _data_drift(
        self, pings: Side, pongs: Side, links: list[int], drift: float, events: list[_PingEvent]
    ) -> tuple[float, float] | None:
        """The drift the samples alone say, and its standard error."""
        if not pongs.above:
            # Legs bounding from both sides: the max-margin line between the envelopes.
            spacings = (
                bound([y - drift * x for x, y in pings.points], above=True).spacing,
                bound([y - drift * x for x, y in pongs.points], above=False).spacing,
            )
            reach = 20 * self._prior[1]
            found = widest_slope(pings, pongs, drift, reach, max(math.hypot(*spacings), 2e-5))
            if found is None:
                return None
            # The line rests on a few extreme samples at either end: each a spacing or so
            # from its true bound, which tilts it by that over the span (the flatness of the
            # optimum alone says less, on drawn legs).
            xs = [x for x, _ in pings.points]
            span = max(xs) - min(xs)
            floor = 2 * sum(spacings) / span if span > 0 else math.inf
            return found[0], max(found[1], floor)
        # With a lattice, the slope of each leg's floor: the pong leg's for each connection
        # on its own (its lattice's period error tilts its points, and adds to the slope's
        # error), and the ping leg's, whose quickest pings (aimed ones that just made their
        # event) know nothing of the lattice.
        measured = []
        # The ping leg's floor from the pings that crossed at the edge of their event only:
        # one that waited for its event sits higher by the wait, and a span that starts
        # with a burst's unaimed pings and ends with aimed ones tilts down by hundreds of ppm.
        leads = {id(s): event - s.hub_send for s, event, _ in events}
        if leads:
            edge = min(leads.values())
            quick = [
                point
                for point, sample in zip(pings.points, self._samples, strict=True)
                if leads.get(id(sample), math.inf) <= edge + _EDGE_BAND_S
            ]
            pinged = slope_of_floor(quick)
            if pinged is not None:
                measured.append(pinged)
        for link, lattice in self._lattices.items():
            points = [p for p, owner in zip(pongs.points, links, strict=True) if owner == link]
            found = slope_of_floor(points)
            if found is not None:
                period_error = lattice.period_sigma_s / lattice.period_s
                measured.append((found[0], math.hypot(found[1], period_error)))
        return pooled(measured)

    def _require_fit(self) -> _Fit:
        if self._fit is None:
            raise ProtocolError(
                "the device clock is not synced yet: send a TimeSyncPing and add its pong"
            )
        return self._fit

    # -- conversions -----------------------------------------------------------------

    def uncertainty_s(self, hub_t: float) -> float:
        """The expected conversion error at hub time `hub_t` (one standard error)."""
        return _uncertainty(self._require_fit(), hub_t)

    def to_device_us(self, hub_t: float) -> int:
        """The device clock reading at hub time `hub_t` (seconds of time.monotonic())."""
        fit = self._require_fit()
        elapsed = hub_t - fit.ref_hub
        return fit.ref_device_us + round((elapsed + fit.offset_at(hub_t)) * 1_000_000)

    def to_hub(self, device_us: int) -> float:
        """The hub time (seconds of time.monotonic()) when the device clock reads `device_us`."""
        fit = self._require_fit()
        device_s = (device_us - fit.ref_device_us) / 1_000_000
        return fit.ref_hub + (device_s - fit.offset_s) / (1 + fit.drift)

    def offset_s(self, hub_t: float) -> float:
        """Device clock minus hub clock at hub time `hub_t`, in seconds."""
        return self.to_device_us(hub_t) / 1_000_000 - hub_t

    @property
    def drift_ppm(self) -> float:
        """How much faster the device clock runs than the hub's, in parts per million."""
        return self._require_fit().drift * 1_000_000

    def needs_resync(self, now: float) -> bool:
        """True when the hub should ping again (SPEC.md, "When to re-sync").

        Too few samples, a suspect sample held, the newest older than `max_age_s`, or the
        expected conversion error at `now` above `max_uncertainty_s`.
        """
        if self._fit is None or len(self._samples) < MIN_FIT_SAMPLES or self.suspect:
            return True
        if now - max(s.hub_recv for s in self._samples) > self.max_age_s:
            return True
        return self.uncertainty_s(now) > self.max_uncertainty_s

    def quality(self, now: float) -> SyncQuality:
        """How good the estimate is at hub time `now`."""
        fit = self._require_fit()
        lattice = self.lattice
        return SyncQuality(
            samples=len(self._samples),
            min_rtt_s=min(s.rtt for s in self._samples),
            residual_spread_s=fit.spacing,
            drift_ppm=fit.drift * 1_000_000,
            drift_measured=fit.data_weight > 0.5,
            uncertainty_s=self.uncertainty_s(now),
            jumps=self.jumps,
            interval_ms=round(lattice.interval_s * 1000, 2) if lattice is not None else None,
        )


def _edge(events: list[_PingEvent]) -> tuple[float, float] | None:
    """The least time from the hub's send to the event a ping crosses at, as seen
    against the quickest replies (`ping_lead_s` is that per sample), and its error.

    Every ping crossed at its event, so the edge is at most the shortest lead. A ping
    that crossed an interval after some event it left less than an interval before
    missed that event: the edge is more than its lead less the interval. Aimed pings
    close the two in; without a miss, the shortest lead is an upper end only, a spacing
    of the leads above the edge where they are spread evenly (random pings).

    A ping lost on air crosses an interval later too, whatever its lead: a single miss
    may be that. So the second largest miss is taken: aimed pings that found the edge
    miss there again and again, while a lost ping is one stray.
    """
    leads = [(event - s.hub_send, period) for s, event, period in events]
    if not leads:
        return None
    upper = min(lead for lead, _ in leads)
    missed = [lead - period for lead, period in leads if upper > lead - period > 0]
    if len(missed) > 1:
        lower = sorted(missed)[-2]
        return (upper + lower) / 2, (upper - lower) / math.sqrt(12)
    period = max(period for _, period in leads)
    spacing = period / (len(leads) + 1)
    return max(0.0, upper - spacing), spacing


def _window_starts(xs: list[float]) -> list[float]:
    """Where the candidate stretches of recent samples start: all of them, or the last 64
    or 32, or those of the last 30 or 10 seconds."""
    ordered = sorted(xs)
    newest = ordered[-1]
    by_count = (ordered[-count] for count in _RECENT_COUNTS if count < len(ordered))
    by_time = (newest - span for span in _RECENT_SPANS_S if newest - span > ordered[0])
    return [ordered[0], *by_count, *by_time]


def _uncertainty(fit: _Fit, hub_t: float) -> float:
    distance = hub_t - fit.ref_hub - fit.pivot
    return math.hypot(fit.offset_sigma, fit.drift_sigma * distance)


def _theil_sen(points: list[tuple[float, float]]) -> float | None:
    """The median of the pairwise slopes: one bad point cannot tilt it."""
    slopes = [
        (y2 - y1) / (x2 - x1)
        for i, (x1, y1) in enumerate(points)
        for x2, y2 in points[i + 1 :]
        if x2 != x1
    ]
    return statistics.median(slopes) if slopes else None


def _least_squares(
    points: list[tuple[float, float]], slope: float | None
) -> tuple[float, float, float] | None:
    """Slope (or the one given), intercept and RMS residual of a least-squares line."""
    n = len(points)
    if n < 2:
        return None
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    if slope is None:
        sxx = sum((x - mean_x) ** 2 for x, _ in points)
        if sxx <= 0:
            return None
        slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx
        dof = n - 2
    else:
        dof = n - 1
    intercept = mean_y - slope * mean_x
    residual = sum((y - intercept - slope * x) ** 2 for x, y in points)
    sigma = math.sqrt(residual / dof) if dof > 0 else 0.0
    return slope, intercept, sigma


def _band(upper: Bound, lower: Bound, both_above: bool) -> float:
    """Half the band between two bounds: with few samples, the offset lies somewhere in it."""
    if both_above:
        return abs(upper.value - lower.value) / 2
    return max(0.0, upper.value - lower.value) / 2
