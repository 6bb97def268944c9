"""Envelopes and connection-event lattices on drawn samples (no real time involved)."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from firmware_protocol.envelope import Side, bound, pooled, slope_of_bounds, widest_slope
from firmware_protocol.event_lattice import find_lattice


def test_a_bound_from_order_statistics_is_not_a_spacing_late() -> None:
    # The nearest of n uniform samples is 1/(n+1) of their range above the bound, on
    # average; the extrapolated bound much less.
    plain, extrapolated = [], []
    for seed in range(400):
        rng = random.Random(seed)
        values = [10.0 + rng.uniform(0, 1) for _ in range(40)]
        plain.append(min(values) - 10.0)
        extrapolated.append(bound(values, above=True).value - 10.0)
    assert statistics.fmean(plain) == pytest.approx(1 / 41, rel=0.2)
    assert abs(statistics.fmean(extrapolated)) < statistics.fmean(plain) / 2


def test_a_bound_from_below_mirrors_one_from_above() -> None:
    values = [3.0, 2.5, 2.9, 1.0, 2.2, 2.7]
    above = bound(values, above=True)
    below = bound([-v for v in values], above=False)
    assert below.value == pytest.approx(-above.value)
    assert below.spacing == pytest.approx(above.spacing)


def test_one_stray_beyond_the_bound_cannot_drag_it() -> None:
    rng = random.Random(1)
    values = [rng.uniform(0, 1) for _ in range(60)]
    clean = bound(values, above=True).value
    strayed = bound([*values, -5.0], above=True).value
    assert strayed == pytest.approx(clean, abs=0.05)


def test_the_bounds_of_stretches_of_time_give_the_slope_and_its_error() -> None:
    errors = []
    for seed in range(100):
        rng = random.Random(seed)
        points = [(x, 0.5 + 2e-5 * x + rng.uniform(0, 0.003)) for x in range(60)]
        found = slope_of_bounds(Side(points, above=True), 0.0)
        assert found is not None
        correction, sigma = found
        errors.append((correction - 2e-5) / sigma)
    # The stated error is about right: most misses within two of them.
    assert sum(abs(e) < 2 for e in errors) >= 85


def test_the_widest_band_between_two_sides_follows_their_slope() -> None:
    rng = random.Random(2)
    above = Side([(x, 1e-4 * x + 0.04 + rng.uniform(0, 0.03)) for x in range(100)], above=True)
    below = Side([(x, 1e-4 * x - 0.04 - rng.uniform(0, 0.03)) for x in range(100)], above=False)
    found = widest_slope(above, below, around=0.0, reach=1e-3, noise=1e-3)
    assert found is not None
    slope, sigma = found
    assert slope == pytest.approx(1e-4, abs=3 * sigma)


@pytest.mark.parametrize("seed", range(30))
def test_evenly_spread_arrivals_show_no_lattice(seed: int) -> None:
    rng = random.Random(seed)
    t, times = 100.0, []
    for _ in range(64):
        t += rng.uniform(0.05, 0.6)
        times.append(t)
    assert find_lattice(times, longest_s=0.1) is None


@pytest.mark.parametrize("interval_ms", [7.5, 30.0, 48.75, 400.0])
def test_replies_on_a_lattice_show_its_interval(interval_ms: float) -> None:
    rng = random.Random(4)
    period = interval_ms / 1000 * (1 + 30e-6)
    times = []
    n = 0
    for _ in range(40):
        n += rng.randint(1, 40)
        times.append(100.0 + n * period + rng.uniform(0, 0.0006))
    lattice = find_lattice(times, longest_s=interval_ms / 1000 + 0.002)
    assert lattice is not None
    assert lattice.interval_s == pytest.approx(interval_ms / 1000)
    assert lattice.period_s == pytest.approx(period, rel=3e-5)


def test_pooled_estimates_weigh_each_by_its_precision() -> None:
    value, sigma = pooled([(1.0, 1.0), (2.0, 2.0)]) or (math.nan, math.nan)
    # Weights 1 and 1/4: (1 + 0.5) / 1.25.
    assert value == pytest.approx(1.2)
    assert sigma == pytest.approx(math.sqrt(1 / 1.25))


def test_estimates_that_disagree_beyond_their_errors_widen_the_error() -> None:
    # Seen on BLE: the ping leg's floor said -9000 +- 154 ppm (unaimed and aimed pings in
    # one span), the pong leg's +200 +- 102 ppm. Pooled as they were, the drift was
    # -2600 +- 85 ppm and outweighed the crystal's prior; the clock looked like it jumped.
    _, sigma = pooled([(-9000e-6, 154e-6), (200e-6, 102e-6)]) or (math.nan, math.nan)
    agreeing = pooled([(100e-6, 154e-6), (200e-6, 102e-6)]) or (math.nan, math.nan)
    assert sigma > 3000e-6
    assert agreeing[1] == pytest.approx(math.sqrt(1 / (1 / 154e-6**2 + 1 / 102e-6**2)))


def test_an_estimate_that_says_nothing_is_left_out_rather_than_dividing_by_zero() -> None:
    # A fresh connection's floor with too few pairs has an infinite error: alone it gave a
    # precision of 0 and a ZeroDivisionError that ended the link (seen in the benchmark).
    assert pooled([(3e-5, math.inf)]) is None
    assert pooled([(3e-5, math.inf), (1e-5, 2e-6)]) == pytest.approx((1e-5, 2e-6))
    assert pooled([]) is None


def test_an_estimate_without_error_dominates_without_dividing_by_zero() -> None:
    found = pooled([(2.0, 0.0), (5.0, 1.0)])
    assert found is not None
    assert found[0] == pytest.approx(2.0)
