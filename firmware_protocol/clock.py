"""Device clock estimation from time-sync round trips, sans-IO (SPEC.md, "Clock sync").

The hub sends TimeSyncPing stamped with its `time.monotonic()`; the device answers with its
own clock (integer microseconds) taken when the ping arrived. Each round trip is a sample
(hub send time, device time, hub receive time): the device time belongs somewhere between
send and receive, best guessed at the midpoint, with an error of at most half the round trip.
So the estimator keeps the recent samples, fits a line (offset and drift) through the half of
them with the shortest round trips, and converts deadlines both ways with it.

A sample far off the line (more than `jump_threshold_s` beyond what its round trip and the
fit's uncertainty explain) means the device clock jumped (reset, resync to a phone): the
estimate restarts from that sample instead of averaging it in.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Final

from firmware_protocol.errors import ProtocolError
from firmware_protocol.messages import TimeSyncPong

# Crystal tolerance assumed before the drift can be measured (watch crystals: +-20-100 ppm).
UNMEASURED_DRIFT_PPM: Final = 200.0
# The drift is fitted only once the samples span this long; below it noise dominates the slope.
MIN_DRIFT_SPAN_S: Final = 2.0
# Samples always used in the fit, however many are kept.
MIN_FIT_SAMPLES: Final = 4


class SampleVerdict(Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"  # round trip negative or longer than max_rtt_s
    CLOCK_JUMP = "clock_jump"  # far off the fit: the estimate restarted from this sample


@dataclass(frozen=True, slots=True)
class SyncSample:
    hub_send: float  # seconds, hub time.monotonic()
    device_us: int  # microseconds, device clock
    hub_recv: float  # seconds, hub time.monotonic()

    @property
    def rtt(self) -> float:
        return self.hub_recv - self.hub_send

    @property
    def hub_mid(self) -> float:
        return (self.hub_send + self.hub_recv) / 2


@dataclass(frozen=True, slots=True)
class SyncQuality:
    """Figures for a UI or a log line."""

    samples: int
    min_rtt_s: float  # shortest round trip among the kept samples
    residual_spread_s: float  # RMS distance of the fitted samples from the line
    drift_ppm: float  # device clock rate minus hub clock rate, parts per million
    drift_measured: bool  # False while the samples span less than MIN_DRIFT_SPAN_S
    uncertainty_s: float  # expected conversion error at the time asked about
    jumps: int  # clock jumps detected since creation


@dataclass(frozen=True, slots=True)
class _Fit:
    ref_hub: float  # hub seconds of the reference point
    ref_device_us: int  # device microseconds of the reference point
    offset_s: float  # device seconds since ref_device at hub time ref_hub
    rate: float  # device seconds per hub second (1 + drift)
    centroid: float  # mean hub time of the fitted samples, from ref_hub
    sigma_s: float  # residual RMS, floored at the device clock resolution
    rate_sigma: float  # standard error of the rate (or the assumed crystal tolerance)
    drift_measured: bool
    fitted: int  # samples the line was fitted through


class ClockEstimator:
    """Maps hub `time.monotonic()` seconds to device microseconds and back.

    Feed it every pong with `add_pong` (or `add`); ask `needs_resync(now)` when to ping
    again. Until `add` has been called once, conversions raise ProtocolError.
    """

    def __init__(
        self,
        *,
        window: int = 32,
        max_rtt_s: float = 0.5,
        jump_threshold_s: float = 0.005,
        max_age_s: float = 30.0,
        max_uncertainty_s: float = 0.002,
        clock_resolution_us: int = 1,
    ) -> None:
        self.window = window
        self.max_rtt_s = max_rtt_s
        self.jump_threshold_s = jump_threshold_s
        self.max_age_s = max_age_s
        self.max_uncertainty_s = max_uncertainty_s
        self.clock_resolution_us = clock_resolution_us
        self.jumps = 0
        self._samples: deque[SyncSample] = deque(maxlen=window)
        self._fit: _Fit | None = None

    @property
    def synced(self) -> bool:
        return self._fit is not None

    @property
    def samples(self) -> tuple[SyncSample, ...]:
        return tuple(self._samples)

    def reset(self) -> None:
        """Forgets every sample (a new device, or its clock restarted)."""
        self._samples.clear()
        self._fit = None

    def add_pong(self, pong: TimeSyncPong, hub_recv: float) -> SampleVerdict:
        """Adds the sample a pong makes; `hub_recv` is the hub time it arrived."""
        return self.add(pong.hub_timestamp_us / 1_000_000, pong.device_time_us, hub_recv)

    def add(self, hub_send: float, device_us: int, hub_recv: float) -> SampleVerdict:
        """Adds one round trip and refits."""
        sample = SyncSample(hub_send, device_us, hub_recv)
        if not 0 <= sample.rtt <= self.max_rtt_s:
            return SampleVerdict.REJECTED
        verdict = SampleVerdict.ACCEPTED
        if self._fit is not None:
            predicted = self.to_device_us(sample.hub_mid)
            allowed = self.jump_threshold_s + sample.rtt / 2 + self._uncertainty(sample.hub_mid)
            if abs(device_us - predicted) > allowed * 1_000_000:
                self.jumps += 1
                self._samples.clear()
                verdict = SampleVerdict.CLOCK_JUMP
        self._samples.append(sample)
        self._fit = self._refit()
        return verdict

    def _refit(self) -> _Fit:
        kept = list(self._samples)
        ref = min(kept, key=lambda s: s.hub_mid)
        points = [
            (s.hub_mid - ref.hub_mid, (s.device_us - ref.device_us) / 1_000_000, s.rtt)
            for s in kept
        ]
        span = max(p[0] for p in points) - min(p[0] for p in points)
        measured = span >= MIN_DRIFT_SPAN_S and len(points) >= 3
        # A robust first line through the shortest round trips, then every sample that
        # agrees with it: a retransmission delays one leg only and lands far off the line.
        best = sorted(points, key=lambda p: p[2])
        best = best[: max(min(len(best), MIN_FIT_SAMPLES), (len(best) + 1) // 2)]
        rate = _theil_sen_rate(best) if measured else 1.0
        offset = _median([y - rate * x for x, y, _ in best])
        residuals = [y - (offset + rate * x) for x, y, _ in points]
        spread = 1.4826 * _median([abs(r) for r in residuals])
        floor = self.clock_resolution_us / 1_000_000
        limit = max(3.5 * spread, 4 * floor, 0.0002)
        chosen = [p for p, r in zip(points, residuals, strict=True) if abs(r) <= limit]
        if len(chosen) < 2:
            chosen = best
        xs = [p[0] for p in chosen]
        ys = [p[1] for p in chosen]
        n = len(chosen)
        mean_x = sum(xs) / n
        mean_y = sum(ys) / n
        sxx = sum((x - mean_x) ** 2 for x in xs)
        if measured and sxx > 0:
            rate = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
        offset = mean_y - rate * mean_x
        residuals = [y - (offset + rate * x) for x, y in zip(xs, ys, strict=True)]
        dof = n - 2 if measured else n - 1
        sigma = max(floor, math.sqrt(sum(r * r for r in residuals) / dof) if dof > 0 else 0.0)
        prior = UNMEASURED_DRIFT_PPM / 1_000_000
        if measured and sxx > 0:
            # Blend the measured rate with the crystal prior by their variances: a short or
            # noisy span must not swing the rate by thousands of ppm.
            measured_sigma = sigma / math.sqrt(sxx)
            weight = prior**2 / (prior**2 + measured_sigma**2)
            rate = 1.0 + weight * (rate - 1.0)
            rate_sigma = math.sqrt(weight) * measured_sigma
            offset = mean_y - rate * mean_x
        else:
            rate_sigma = prior
        if n == 1:
            # One round trip: all we know is that the device time lies within it.
            sigma = max(sigma, kept[0].rtt / 2)
        return _Fit(
            ref.hub_mid, ref.device_us, offset, rate, mean_x, sigma, rate_sigma, measured, n
        )

    def _require_fit(self) -> _Fit:
        if self._fit is None:
            raise ProtocolError(
                "the device clock is not synced yet: send a TimeSyncPing and add its pong"
            )
        return self._fit

    def _uncertainty(self, hub_t: float) -> float:
        fit = self._require_fit()
        distance = abs(hub_t - fit.ref_hub - fit.centroid)
        return fit.sigma_s / math.sqrt(fit.fitted) + fit.rate_sigma * distance

    def to_device_us(self, hub_t: float) -> int:
        """The device clock reading at hub time `hub_t` (seconds of time.monotonic())."""
        fit = self._require_fit()
        device_s = fit.offset_s + fit.rate * (hub_t - fit.ref_hub)
        return fit.ref_device_us + round(device_s * 1_000_000)

    def to_hub(self, device_us: int) -> float:
        """The hub time (seconds of time.monotonic()) when the device clock reads `device_us`."""
        fit = self._require_fit()
        device_s = (device_us - fit.ref_device_us) / 1_000_000
        return fit.ref_hub + (device_s - fit.offset_s) / fit.rate

    def offset_s(self, hub_t: float) -> float:
        """Device clock minus hub clock at hub time `hub_t`, in seconds."""
        return self.to_device_us(hub_t) / 1_000_000 - hub_t

    @property
    def drift_ppm(self) -> float:
        """How much faster the device clock runs than the hub's, in parts per million."""
        return (self._require_fit().rate - 1.0) * 1_000_000

    def needs_resync(self, now: float) -> bool:
        """True when the hub should ping again (SPEC.md, "When to re-sync").

        Too few samples, the newest older than `max_age_s`, or the expected conversion
        error at `now` above `max_uncertainty_s`.
        """
        if self._fit is None or len(self._samples) < MIN_FIT_SAMPLES:
            return True
        if now - max(s.hub_recv for s in self._samples) > self.max_age_s:
            return True
        return self._uncertainty(now) > self.max_uncertainty_s

    def quality(self, now: float) -> SyncQuality:
        """How good the estimate is at hub time `now`."""
        fit = self._require_fit()
        return SyncQuality(
            samples=len(self._samples),
            min_rtt_s=min(s.rtt for s in self._samples),
            residual_spread_s=fit.sigma_s,
            drift_ppm=(fit.rate - 1.0) * 1_000_000,
            drift_measured=fit.drift_measured,
            uncertainty_s=self._uncertainty(now),
            jumps=self.jumps,
        )


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _theil_sen_rate(points: list[tuple[float, float, float]]) -> float:
    """The median of the pairwise slopes: one bad sample cannot tilt it."""
    slopes = [
        (y2 - y1) / (x2 - x1)
        for i, (x1, y1, _) in enumerate(points)
        for x2, y2, _ in points[i + 1 :]
        if x2 != x1
    ]
    return _median(slopes) if slopes else 1.0
