"""The clock estimator on synthetic links (tests/protocol/links.py): no real time involved."""

from __future__ import annotations

import random

import pytest

from firmware_protocol import ClockEstimator, ProtocolError, SampleVerdict, TimeSyncPong
from firmware_protocol.clock import SyncSample
from tests.protocol.links import EventLink, JitterLink, SharedLink


def feed(
    estimator: ClockEstimator,
    link: JitterLink | SharedLink | EventLink,
    count: int,
    start: float,
    every: float,
) -> float:
    """Adds `count` round trips about `every` seconds apart; returns the last receive time."""
    t = start
    last = start
    for _ in range(count):
        send, device_us, received = link.round_trip(t)
        estimator.add(send, device_us, received)
        last = received
        t = max(t + every + link.rng.uniform(0, 0.1), received + 0.001)
    return last


def error_us(estimator: ClockEstimator, link: JitterLink | SharedLink | EventLink, t: float) -> int:
    return estimator.to_device_us(t) - link.device_us(t)


def midpoint_error_us(samples: list[SyncSample], link: EventLink) -> float:
    """What a plain midpoint of the quickest round trip would say (both legs equal)."""
    quickest = min(samples, key=lambda s: s.rtt)
    return quickest.device_us - link.device_us(quickest.hub_mid)


# -- the envelopes ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_the_estimate_lies_between_the_legs_bounds(seed: int) -> None:
    link = JitterLink(random.Random(seed))
    estimator = ClockEstimator()
    feed(estimator, link, 60, link.hub_start, every=0.5)
    for sample in estimator.samples:
        # Device time at the ping's send is at most the pong's device time; at its
        # receive at least: the estimate never says otherwise (beyond a hair).
        assert estimator.to_device_us(sample.hub_send) <= sample.device_us + 50
        assert estimator.to_device_us(sample.hub_recv) >= sample.device_us - 50


def test_independent_jitter_each_leg_a_minute_of_pings_within_a_ms_8_s_ahead() -> None:
    errors = []
    for seed in range(20):
        link = JitterLink(random.Random(seed))
        estimator = ClockEstimator()
        last = feed(estimator, link, 120, link.hub_start, every=0.5)
        errors.append(abs(error_us(estimator, link, last + 8.0)))
        assert estimator.lattice is None  # nothing like connection events
    # The limit of what 120 round trips with 30 ms of jitter on each leg say.
    assert sorted(errors)[10] < 600
    assert max(errors) < 2000


@pytest.mark.parametrize("seed", range(40))
def test_legs_slow_together_16_samples_predict_60_s_later_within_1_ms(seed: int) -> None:
    link = SharedLink(random.Random(seed), ppm=100.0)
    estimator = ClockEstimator()
    last = feed(estimator, link, 16, link.hub_start, every=2.0)
    assert abs(error_us(estimator, link, last + 60.0)) < 1000
    assert estimator.quality(last).drift_ppm == pytest.approx(100, abs=20)


# -- BLE: connection events -----------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_on_ble_the_reply_waits_for_the_next_event_and_the_estimate_knows(seed: int) -> None:
    link = EventLink(random.Random(seed))
    estimator = ClockEstimator()
    last = feed(estimator, link, 60, link.hub_start, every=0.5)
    lattice = estimator.lattice
    assert lattice is not None
    assert lattice.interval_s == pytest.approx(0.030)
    assert lattice.period_s == pytest.approx(link.period_s, rel=3e-5)
    # Within the hub's stack delays and the device's own before stamping (a period a few
    # ppm off tilts the pong leg's bound too)...
    assert abs(error_us(estimator, link, last + 8.0)) < 1500
    # ...where the midpoint of the quickest round trip is off by half an interval.
    assert abs(midpoint_error_us(list(estimator.samples), link)) > 10_000


@pytest.mark.parametrize("interval_ms", [7.5, 15.0, 50.0, 100.0])
def test_the_lattice_is_found_at_any_interval(interval_ms: float) -> None:
    link = EventLink(random.Random(3), interval_s=interval_ms / 1000)
    estimator = ClockEstimator()
    feed(estimator, link, 24, link.hub_start, every=0.3)
    assert estimator.lattice is not None
    assert estimator.lattice.interval_s == pytest.approx(interval_ms / 1000)


@pytest.mark.parametrize("seed", range(10))
def test_lost_packets_on_ble_only_delay(seed: int) -> None:
    link = EventLink(random.Random(seed), loss=0.2)
    estimator = ClockEstimator()
    last = feed(estimator, link, 60, link.hub_start, every=0.5)
    assert estimator.lattice is not None
    assert abs(error_us(estimator, link, last + 8.0)) < 1500
    assert estimator.jumps == 0


@pytest.mark.parametrize("seed", range(10))
def test_pings_aimed_by_the_lead_cross_at_the_event_they_aim_for(seed: int) -> None:
    link = EventLink(random.Random(seed), stack_jitter_s=0.0002)
    estimator = ClockEstimator()
    last = feed(estimator, link, 24, link.hub_start, every=0.3)
    lattice, lead = estimator.lattice, estimator.ping_lead_s
    assert lattice is not None
    assert lead is not None
    # At least the hub's stack to the radio plus the reply's path back; more by the
    # quickest ping's wait for its event.
    assert lead >= link.to_radio_s + link.from_radio_s + link.reply_extra_s
    caught = 0
    for _ in range(20):
        event = lattice.next_after(last + 0.1)
        send = event - lead - 0.0005
        _sent, _, received = link.round_trip(send)
        caught += lattice.index(received) == lattice.index(event) + 1
        last = received
    assert caught >= 18


# -- the drift ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_a_short_noisy_span_cannot_swing_the_drift_beyond_the_crystal(seed: int) -> None:
    link = JitterLink(random.Random(seed), ppm=80.0)
    estimator = ClockEstimator()
    last = feed(estimator, link, 16, link.hub_start, every=0.0)
    assert last - link.hub_start < 3.0
    assert abs(estimator.drift_ppm) < 200
    assert not estimator.quality(last).drift_measured


@pytest.mark.parametrize("link_kind", [JitterLink, EventLink])
def test_the_drift_is_measured_within_a_minute(link_kind: type[JitterLink | EventLink]) -> None:
    link = link_kind(random.Random(4), ppm=80.0)
    estimator = ClockEstimator()
    last = feed(estimator, link, 120, link.hub_start, every=0.5)
    quality = estimator.quality(last)
    assert quality.drift_measured
    assert quality.drift_ppm == pytest.approx(80, abs=15)


def test_a_drift_measured_before_is_the_prior_after_a_reset() -> None:
    link = EventLink(random.Random(5), ppm=80.0)
    estimator = ClockEstimator()
    last = feed(estimator, link, 120, link.hub_start, every=0.5)
    estimator.reset()
    feed(estimator, link, 2, last + 1.0, every=0.1)
    assert estimator.drift_ppm == pytest.approx(80, abs=15)


# -- jumps and strays -----------------------------------------------------------------


@pytest.mark.parametrize("link_kind", [JitterLink, EventLink])
def test_a_clock_jump_is_confirmed_then_restarts_the_estimate(
    link_kind: type[JitterLink | EventLink],
) -> None:
    link = link_kind(random.Random(11))
    estimator = ClockEstimator()
    last = feed(estimator, link, 120, link.hub_start, every=0.5)
    assert estimator.quality(last).drift_measured
    drift = estimator.drift_ppm
    link.jump_us = 1_700_000  # the device clock was set forward 1.7 s
    send, device_us, received = link.round_trip(last + 0.5)
    assert estimator.add(send, device_us, received) is SampleVerdict.SUSPECT
    assert estimator.needs_resync(received)
    send, device_us, received = link.round_trip(received + 0.1)
    assert estimator.add(send, device_us, received) is SampleVerdict.CLOCK_JUMP
    assert len(estimator.samples) == 2
    assert estimator.jumps == 1
    # The crystal did not change: the drift measured before is the prior.
    assert estimator.drift_ppm == pytest.approx(drift, abs=10)
    last = feed(estimator, link, 30, received + 0.5, every=0.5)
    assert abs(error_us(estimator, link, last + 4.0)) < 2000


def test_a_backward_jump_is_seen_too() -> None:
    link = JitterLink(random.Random(12))
    estimator = ClockEstimator()
    last = feed(estimator, link, 30, link.hub_start, every=0.5)
    link.jump_us = -250_000
    verdicts = [estimator.add(*link.round_trip(last + 0.5 + k)) for k in range(2)]
    assert verdicts == [SampleVerdict.SUSPECT, SampleVerdict.CLOCK_JUMP]


@pytest.mark.parametrize("link_kind", [JitterLink, EventLink])
def test_a_stray_sample_is_dropped_not_taken_for_a_jump(
    link_kind: type[JitterLink | EventLink],
) -> None:
    link = link_kind(random.Random(13))
    estimator = ClockEstimator()
    last = feed(estimator, link, 30, link.hub_start, every=0.5)
    before = error_us(estimator, link, last + 4.0)
    send, device_us, received = link.round_trip(last + 0.5)
    # Further off than any round trip of either link explains.
    assert estimator.add(send, device_us + 150_000, received) is SampleVerdict.SUSPECT
    send, device_us, received = link.round_trip(received + 0.5)
    assert estimator.add(send, device_us, received) is SampleVerdict.ACCEPTED
    assert estimator.jumps == 0
    assert len(estimator.samples) == 31
    assert abs(error_us(estimator, link, last + 4.0) - before) < 300


@pytest.mark.parametrize("seed", range(10))
def test_ordinary_delays_are_never_taken_for_a_jump(seed: int) -> None:
    for link in (
        JitterLink(random.Random(seed), jitter_s=0.1),
        SharedLink(random.Random(seed), retransmit_chance=0.5),
        EventLink(random.Random(seed), loss=0.3),
    ):
        estimator = ClockEstimator()
        feed(estimator, link, 60, link.hub_start, every=0.5)
        assert estimator.jumps == 0


# -- when to ping, and what a UI sees ------------------------------------------------


def test_needs_resync_follows_sample_count_age_and_uncertainty() -> None:
    link = SharedLink(random.Random(5))
    estimator = ClockEstimator(max_age_s=30.0, max_uncertainty_s=0.002)
    assert estimator.needs_resync(link.hub_start)
    last = feed(estimator, link, 3, link.hub_start, every=1.0)
    assert estimator.needs_resync(last)  # fewer than 4 samples
    last = feed(estimator, link, 13, last + 1.0, every=2.0)
    assert not estimator.needs_resync(last + 1.0)
    assert estimator.needs_resync(last + 31.0)  # too old
    patient = ClockEstimator(max_age_s=1e9, max_uncertainty_s=0.002)
    for sample in estimator.samples:
        patient.add(sample.hub_send, sample.device_us, sample.hub_recv)
    assert not patient.needs_resync(last + 1.0)
    assert patient.needs_resync(last + 3600.0)  # the drift's error adds up
    assert patient.quality(last + 3600.0).uncertainty_s > 0.002


def test_the_uncertainty_shrinks_as_samples_come() -> None:
    link = EventLink(random.Random(6))
    estimator = ClockEstimator()
    last = feed(estimator, link, 16, link.hub_start, every=0.1)
    young = estimator.uncertainty_s(last + 8.0)
    last = feed(estimator, link, 60, last + 0.5, every=0.5)
    assert estimator.uncertainty_s(last + 8.0) < young / 2


def test_quality_reports_figures_a_ui_can_show() -> None:
    link = EventLink(random.Random(9))
    estimator = ClockEstimator()
    last = feed(estimator, link, 40, link.hub_start, every=0.5)
    quality = estimator.quality(last)
    assert quality.samples == 40
    assert 0.030 <= quality.min_rtt_s <= 0.035
    assert quality.interval_ms == 30.0
    assert quality.jumps == 0


def test_to_hub_inverts_to_device_us() -> None:
    link = SharedLink(random.Random(3))
    estimator = ClockEstimator()
    feed(estimator, link, 8, link.hub_start, every=1.0)
    for hub_t in (link.hub_start, link.hub_start + 100.0, link.hub_start + 3600.0):
        assert estimator.to_hub(estimator.to_device_us(hub_t)) == pytest.approx(hub_t, abs=2e-6)


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


def test_arrivals_of_other_messages_find_the_lattice_early() -> None:
    link = EventLink(random.Random(8))
    estimator = ClockEstimator()
    last = feed(estimator, link, 4, link.hub_start, every=0.2)
    assert estimator.quality(last).interval_ms is None
    t = link.hub_start + 2.0
    for _ in range(16):
        t = link.next_event(t + link.rng.uniform(0.05, 0.3)) + link.from_radio_s
        estimator.observe_arrival(t)
    lattice = estimator.lattice
    assert lattice is not None
    assert lattice.interval_s == pytest.approx(0.030)
