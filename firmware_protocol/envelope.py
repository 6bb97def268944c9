"""Envelopes of one-way delay samples: the bound a side's samples crowd against, sans-IO.

A one-way delay is never shorter than its minimum, so the samples of one leg, put on a
line of slope b (the clock drift), lie on one side of a bound: the clock offset plus that
minimum. The quickest samples tell where the bound is; the rest only say "later". Two
estimates of the bound:

- `bound`: extrapolated from the nearest order statistics. Where samples are spread evenly
  near the bound, the j-th nearest sits about j spacings from it, so the line through the
  first few (a median of pairwise slopes: one stray sample cannot tilt it) meets the bound
  at rank 0. Unbiased where the plain minimum is always a spacing late, and robust to a
  single sample beyond the bound (a stamp taken late, a glitch).
- `slope_of_bounds`: the drift that the bounds of early and late samples imply, with its
  standard error, so a short or sparse span can be weighed against the crystal's prior.
- `widest_slope`: for two legs bounding the offset from opposite sides, the drift that
  leaves the widest band between them (the max-margin line of both envelopes), with the
  error that says how flat that optimum is.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Bound", "Side", "bound", "pooled", "slope_of_bounds", "widest_slope"]

# What the spread of a floor's pairwise slopes is multiplied by to make its standard error.
_FLOOR_CALIBRATION = 2.0
# Samples a stretch of time needs for its bound to count toward a slope.
_MIN_PER_BIN = 3
# Order statistics used to extrapolate a bound: a quarter of the samples, 4 to 12.
_MIN_RANKS = 4
_MAX_RANKS = 12


@dataclass(frozen=True, slots=True)
class Bound:
    value: float  # where the samples' bound lies
    spacing: float  # typical gap between neighbouring samples near the bound
    sigma: float  # standard error of `value`


@dataclass(frozen=True, slots=True)
class Side:
    """One leg's samples as (x, y) points, all above (`above=True`) or all below the bound."""

    points: Sequence[tuple[float, float]]
    above: bool


def bound(values: Sequence[float], *, above: bool) -> Bound:
    """The bound `values` lie above (`above=True`: a lower bound) or below."""
    ordered = sorted(values) if above else sorted(-v for v in values)
    n = len(ordered)
    if n == 0:
        raise ValueError("no samples to bound")
    ranks = min(n, max(_MIN_RANKS, min(_MAX_RANKS, n // 4)))
    if ranks < 3:
        # Too few to tell a spacing: the nearest sample, as uncertain as the spread.
        spread = ordered[-1] - ordered[0]
        value = ordered[0]
        spacing = spread
    else:
        head = ordered[:ranks]
        slopes = [(head[k] - head[j]) / (k - j) for j in range(ranks) for k in range(j + 1, ranks)]
        spacing = max(0.0, statistics.median(slopes))
        # E[v_j] = bound + j x spacing for j = 1, 2, ...: the rank-0 intercept.
        value = statistics.median(v - spacing * (j + 1) for j, v in enumerate(head))
        value = min(value, head[1])  # never beyond the second nearest: that is one stray
    sigma = spacing * math.sqrt(1 + 1 / max(1, ranks - 1))
    return Bound(value if above else -value, spacing, sigma)


def slope_of_bounds(side: Side, slope: float) -> tuple[float, float] | None:
    """The correction to `slope` that the bounds of successive stretches of time imply, and
    its standard error; None when there are too few samples to tell.

    The stretches are of equal time (a burst of samples at the start is one stretch, not
    most of them), each with at least three samples (a thin one joins its neighbour)."""
    points = sorted(side.points)
    if len(points) < 2 * _MIN_PER_BIN:
        return None
    first, last = points[0][0], points[-1][0]
    count = 4 if len(points) >= 32 else 3
    width = (last - first) / count or 1.0
    chunks: list[list[tuple[float, float]]] = [[] for _ in range(count)]
    for point in points:
        chunks[min(count - 1, int((point[0] - first) / width))].append(point)
    merged: list[list[tuple[float, float]]] = []
    for chunk in chunks:
        if merged and len(merged[-1]) < _MIN_PER_BIN:
            merged[-1].extend(chunk)
        else:
            merged.append(chunk)
    if len(merged) > 1 and len(merged[-1]) < _MIN_PER_BIN:
        merged[-2].extend(merged.pop())
    if len(merged) < 2:
        return None
    centres: list[tuple[float, float, float]] = []
    for chunk in merged:
        found = bound([y - slope * x for x, y in chunk], above=side.above)
        weight = 1 / max(found.sigma, 1e-6) ** 2
        centres.append((statistics.fmean(x for x, _ in chunk), found.value, weight))
    total = sum(w for _, _, w in centres)
    mean_x = sum(x * w for x, _, w in centres) / total
    mean_y = sum(y * w for _, y, w in centres) / total
    sxx = sum(w * (x - mean_x) ** 2 for x, _, w in centres)
    if sxx <= 0:
        return None
    correction = sum(w * (x - mean_x) * (y - mean_y) for x, y, w in centres) / sxx
    # Where the bounds scatter about their line more than their own errors say, the
    # error of the slope grows with it.
    bins = len(centres)
    chi2 = sum(w * (y - mean_y - correction * (x - mean_x)) ** 2 for x, y, w in centres)
    inflation = max(1.0, math.sqrt(chi2 / (bins - 2))) if bins > 2 else 1.0
    return correction, inflation * math.sqrt(1 / sxx)


def _lower_hull(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    hull: list[tuple[float, float]] = []
    for p in sorted(set(points)):
        while len(hull) >= 2:
            (ax, ay), (bx, by) = hull[-2], hull[-1]
            if (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax) > 0:
                break
            hull.pop()
        hull.append(p)
    return hull


def _edge_slopes(hull: Sequence[tuple[float, float]]) -> list[float]:
    return [(b[1] - a[1]) / (b[0] - a[0]) for a, b in itertools.pairwise(hull) if b[0] != a[0]]


def widest_slope(
    above: Side, below: Side, around: float, reach: float, noise: float
) -> tuple[float, float] | None:
    """The slope that leaves the widest band between two sides (`above`'s points over the
    line, `below`'s under it), searched within `reach` of `around`, and its standard error:
    how far the slope can move before the band narrows by `noise` (the sides' own scatter
    at their bounds). None when the points do not span enough time to tell."""
    top = _lower_hull(above.points)
    bottom = [(x, -y) for x, y in _lower_hull([(x, -y) for x, y in below.points])]
    if len(top) < 2 or len(bottom) < 2:
        return None

    def width(slope: float) -> float:
        return min(y - slope * x for x, y in top) - max(y - slope * x for x, y in bottom)

    low, high = around - reach, around + reach
    # The width is concave and piecewise linear: its top is at an edge's slope (or a limit).
    candidates = [min(max(s, low), high) for s in _edge_slopes(top) + _edge_slopes(bottom)]
    best = max([*candidates, low, high], key=width)
    widest = width(best)
    if best in (low, high):
        return None

    def step(direction: float) -> float:
        inside, outside = best, best + direction * reach
        if width(outside) >= widest - noise:
            return reach
        for _ in range(40):
            middle = (inside + outside) / 2
            if width(middle) >= widest - noise:
                inside = middle
            else:
                outside = middle
        return abs(inside - best)

    return best, max((step(1.0) + step(-1.0)) / 2, 1e-9)


def slope_of_floor(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """The slope of the floor that points with one-sided scatter (upward) rest on, and its
    standard error: a median of pairwise slopes (one stray cannot tilt it), first through
    all the points, then through the lowest two fifths about that line. Pairs closer in
    time than a tenth of the span are left out: they say little and a burst has many.
    None with fewer than six points or no span."""
    if len(points) < 6:
        return None
    xs = [x for x, _ in points]
    span = max(xs) - min(xs)
    if span <= 0:
        return None
    apart = span / 10
    slope = _pairwise_median(points, apart)
    if slope is None:
        return None
    level = statistics.median(y - slope * x for x, y in points)
    lowest = sorted(points, key=lambda p: p[1] - level - slope * p[0])
    floor = lowest[: max(6, 2 * len(points) // 5)]
    refined = _pairwise_slopes(floor, apart)
    if len(refined) < 3:
        return slope, math.inf
    middle = statistics.median(refined)
    spread = 1.4826 * statistics.median(abs(s - middle) for s in refined)
    # Pairwise slopes share their points, so their spread over the square root of the
    # points understates the error: by about half, on drawn floors with a one-sided tail.
    return middle, _FLOOR_CALIBRATION * spread / math.sqrt(len(floor))


def pooled(estimates: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """The inverse-variance mean of (value, standard error) estimates, and its error.

    An estimate with an infinite or undefined error says nothing and is left out; one with
    no error at all is taken as very precise rather than dividing by zero. None when
    nothing is left (a fresh connection's floor can have too few pairs to say anything).
    Estimates that disagree by more than their errors allow (one of them is wrong, and
    which is unknown) widen the error by how far they disagree (the Birge ratio)."""
    usable = [(value, max(sigma, 1e-12)) for value, sigma in estimates if math.isfinite(sigma)]
    if not usable:
        return None
    precision = sum(1 / sigma**2 for _, sigma in usable)
    value = sum(v / sigma**2 for v, sigma in usable) / precision
    sigma = math.sqrt(1 / precision)
    if len(usable) > 1:
        scatter = sum((v - value) ** 2 / s**2 for v, s in usable) / (len(usable) - 1)
        sigma *= math.sqrt(max(1.0, scatter))
    return value, sigma


def _pairwise_slopes(points: Sequence[tuple[float, float]], apart: float) -> list[float]:
    return [
        (y2 - y1) / (x2 - x1)
        for i, (x1, y1) in enumerate(points)
        for x2, y2 in points[i + 1 :]
        if abs(x2 - x1) >= apart
    ]


def _pairwise_median(points: Sequence[tuple[float, float]], apart: float) -> float | None:
    slopes = _pairwise_slopes(points, apart)
    return statistics.median(slopes) if slopes else None
