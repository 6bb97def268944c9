"""The clock estimator on deterministic synthetic round trips (no real time involved)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from firmware_protocol import ClockEstimator, ProtocolError, SampleVerdict, TimeSyncPong


@dataclass
class Link:
    """A hub and a device clock joined by a BLE-like link, all simulated.

    Each round trip has a symmetric part (connection-event waits, 10-30 ms per leg, RTT
    20-80 ms with the rest), independent per-leg jitter, and now and then a retransmission
    that delays one leg only.
    """

    rng: random.Random
    ppm: float = 100.0
    leg_jitter_s: float = 0.0005
    retransmit_chance: float = 0.1
    hub_start: float = 5000.0
    device_start_us: int = 3_000_000_000
    jump_us: int = 0

    def device_us(self, hub_t: float) -> int:
        elapsed = hub_t - self.hub_start
        return self.device_start_us + self.jump_us + int(elapsed * (1 + self.ppm * 1e-6) * 1e6)

    def round_trip(self, send: float) -> tuple[float, int, float]:
        base = self.rng.uniform(0.010, 0.030)
        legs = [base + self.rng.uniform(0, self.leg_jitter_s) for _ in range(2)]
        if self.rng.random() < self.retransmit_chance:
            legs[self.rng.randrange(2)] += self.rng.uniform(0.0075, 0.030)
        return send, self.device_us(send + legs[0]), send + legs[0] + legs[1]


def feed(estimator: ClockEstimator, link: Link, count: int, start: float, every: float) -> float:
    """Adds `count` round trips about `every` seconds apart; returns the last receive time."""
    t = start
    last = start
    for _ in range(count):
        send, device_us, recv = link.round_trip(t)
        estimator.add(send, device_us, recv)
        last = recv
        t += every + link.rng.uniform(0, 0.1)
    return last


@pytest.mark.parametrize("seed", range(40))
def test_16_samples_predict_the_device_clock_60_s_later_within_1_ms(seed: int) -> None:
    link = Link(random.Random(seed))
    estimator = ClockEstimator()
    last = feed(estimator, link, 16, link.hub_start, every=2.0)
    target = last + 60.0
    error_us = abs(estimator.to_device_us(target) - link.device_us(target))
    assert error_us < 1000
    assert estimator.quality(target).drift_ppm == pytest.approx(100, abs=20)


def test_without_drift_compensation_the_same_prediction_would_miss() -> None:
    # The test above is only meaningful if the drift matters at this horizon.
    link = Link(random.Random(1))
    estimator = ClockEstimator()
    last = feed(estimator, link, 16, link.hub_start, every=2.0)
    target = last + 60.0
    assert estimator.samples
    naive = estimator.samples[-1].device_us + round((target - estimator.samples[-1].hub_recv) * 1e6)
    assert abs(naive - link.device_us(target)) > 5000


@pytest.mark.parametrize("seed", range(40))
def test_when_retransmissions_crowd_the_samples_it_is_right_or_says_it_is_unsure(
    seed: int,
) -> None:
    link = Link(random.Random(1000 + seed), retransmit_chance=0.35)
    estimator = ClockEstimator()
    last = feed(estimator, link, 16, link.hub_start, every=2.0)
    target = last + 60.0
    error_s = abs(estimator.to_device_us(target) - link.device_us(target)) / 1e6
    quality = estimator.quality(target)
    assert error_s < 0.001 or quality.uncertainty_s > estimator.max_uncertainty_s


def test_min_rtt_filter_beats_a_plain_average_of_midpoints() -> None:
    link = Link(random.Random(7), retransmit_chance=0.3)
    estimator = ClockEstimator()
    last = feed(estimator, link, 16, link.hub_start, every=2.0)
    target = last + 60.0
    samples = estimator.samples
    # Plain least squares through every midpoint, for comparison.
    xs = [s.hub_mid for s in samples]
    ys = [s.device_us / 1e6 for s in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    rate = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    plain_error = abs((my + rate * (target - mx)) * 1e6 - link.device_us(target))
    ours = abs(estimator.to_device_us(target) - link.device_us(target))
    assert ours < plain_error


def test_to_hub_inverts_to_device_us() -> None:
    link = Link(random.Random(3))
    estimator = ClockEstimator()
    feed(estimator, link, 8, link.hub_start, every=1.0)
    for hub_t in (link.hub_start, link.hub_start + 100.0, link.hub_start + 3600.0):
        assert estimator.to_hub(estimator.to_device_us(hub_t)) == pytest.approx(hub_t, abs=2e-6)


def test_a_clock_jump_restarts_the_estimate_instead_of_bending_it() -> None:
    link = Link(random.Random(11))
    estimator = ClockEstimator()
    last = feed(estimator, link, 10, link.hub_start, every=2.0)
    link.jump_us = 1_700_000  # the device clock was set forward 1.7 s
    send, device_us, recv = link.round_trip(last + 2.0)
    assert estimator.add(send, device_us, recv) is SampleVerdict.CLOCK_JUMP
    assert len(estimator.samples) == 1
    assert estimator.jumps == 1
    assert estimator.needs_resync(recv)
    last = feed(estimator, link, 8, recv + 1.0, every=2.0)
    error_us = abs(estimator.to_device_us(last + 10.0) - link.device_us(last + 10.0))
    assert error_us < 2000


def test_ordinary_jitter_is_not_taken_for_a_jump() -> None:
    link = Link(random.Random(12), retransmit_chance=0.5)
    estimator = ClockEstimator()
    feed(estimator, link, 30, link.hub_start, every=1.0)
    assert estimator.jumps == 0


def test_needs_resync_follows_sample_count_age_and_uncertainty() -> None:
    link = Link(random.Random(5))
    estimator = ClockEstimator(max_age_s=30.0, max_uncertainty_s=0.002)
    assert estimator.needs_resync(link.hub_start)
    last = feed(estimator, link, 3, link.hub_start, every=1.0)
    assert estimator.needs_resync(last)  # fewer than 4 samples
    last = feed(estimator, link, 13, last + 1.0, every=2.0)
    assert not estimator.needs_resync(last + 1.0)
    assert estimator.needs_resync(last + 31.0)  # too old
    # Uncertainty alone: with a generous age limit it still asks once drift could add up.
    patient = ClockEstimator(max_age_s=1e9, max_uncertainty_s=0.002)
    for sample in estimator.samples:
        patient.add(sample.hub_send, sample.device_us, sample.hub_recv)
    assert not patient.needs_resync(last + 1.0)
    assert patient.needs_resync(last + 3600.0)
    assert patient.quality(last + 3600.0).uncertainty_s > 0.002


def test_quality_reports_figures_a_ui_can_show() -> None:
    link = Link(random.Random(9))
    estimator = ClockEstimator()
    last = feed(estimator, link, 16, link.hub_start, every=2.0)
    quality = estimator.quality(last)
    assert quality.samples == 16
    assert 0.020 <= quality.min_rtt_s <= 0.080
    assert 0 < quality.residual_spread_s < 0.002
    assert quality.drift_measured
    assert quality.jumps == 0


def test_implausible_round_trips_are_rejected() -> None:
    estimator = ClockEstimator(max_rtt_s=0.5)
    assert estimator.add(10.0, 1_000, 9.9) is SampleVerdict.REJECTED
    assert estimator.add(10.0, 1_000, 10.7) is SampleVerdict.REJECTED
    assert not estimator.synced


def test_conversions_before_any_sample_say_what_to_do() -> None:
    with pytest.raises(ProtocolError, match="TimeSyncPing"):
        ClockEstimator().to_device_us(1.0)


def test_a_pong_is_a_sample() -> None:
    estimator = ClockEstimator()
    pong = TimeSyncPong(hub_timestamp_us=10_000_000, device_time_us=777_000_000)
    assert estimator.add_pong(pong, hub_recv=10.04) is SampleVerdict.ACCEPTED
    assert estimator.to_device_us(10.02) == 777_000_000
    # One round trip bounds the error by half of it.
    assert estimator.quality(10.02).uncertainty_s == pytest.approx(0.02, rel=0.01)


def test_offset_and_drift_are_exposed() -> None:
    link = Link(random.Random(21), retransmit_chance=0.0)
    estimator = ClockEstimator()
    last = feed(estimator, link, 16, link.hub_start, every=2.0)
    true_offset = link.device_us(last) / 1e6 - last
    assert estimator.offset_s(last) == pytest.approx(true_offset, abs=0.001)
    assert estimator.drift_ppm == pytest.approx(100, abs=20)


@pytest.mark.parametrize("seed", range(20))
def test_noisy_legs_over_a_short_span_cannot_swing_the_rate(seed: int) -> None:
    """Per-leg jitter of 0-30 ms (as a busy BLE link has) over a 4 s burst: the measured
    rate is too noisy to trust alone, so it stays within the crystal's range."""
    rng = random.Random(seed)
    estimator = ClockEstimator()
    t = 100.0
    for _ in range(16):
        up, down = 0.040 + rng.uniform(0, 0.030), 0.040 + rng.uniform(0, 0.030)
        device_us = 7_000_000 + int((t + up - 100.0) * (1 + 80e-6) * 1e6)
        estimator.add(t, device_us, t + up + down)
        t += up + down + 0.15
    assert estimator.quality(t).drift_measured
    assert abs(estimator.drift_ppm) < 300
