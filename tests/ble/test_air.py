"""The BLE link model (`simulator.air`) on a virtual clock: no real time is involved."""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from simulator.air import AirOptionError, AirOptions, ConnectionAir, airtime_s


@dataclass
class _Timer:
    when: float
    callback: Callable[[], object]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class VirtualTimers:
    """A clock that moves only when told to, running what falls due on the way."""

    now: float = 100.0
    _heap: list[tuple[float, int, _Timer]] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[[], object], /) -> _Timer:
        timer = _Timer(when, callback)
        heapq.heappush(self._heap, (when, next(self._order), timer))
        return timer

    def run_until(self, until: float) -> None:
        while self._heap and self._heap[0][0] <= until:
            when, _, timer = heapq.heappop(self._heap)
            self.now = max(self.now, when)
            if not timer.cancelled:
                timer.callback()
        self.now = until


@dataclass
class Ends:
    """Both ends of one connection, noting when each packet arrived."""

    timers: VirtualTimers
    air: ConnectionAir
    at_peripheral: list[tuple[str, float]] = field(default_factory=list)
    at_central: list[tuple[str, float]] = field(default_factory=list)
    lost_at: list[float] = field(default_factory=list)

    def central_sends(self, name: str, size: int = 20) -> None:
        self.air.to_peripheral(lambda: self.at_peripheral.append((name, self.timers.now)), size)

    def peripheral_sends(self, name: str, size: int = 20) -> None:
        self.air.to_central(lambda: self.at_central.append((name, self.timers.now)), size)


def connect(seed: int = 1, **options: float) -> Ends:
    timers = VirtualTimers()
    holder: list[Ends] = []
    air = ConnectionAir(
        AirOptions(**options),  # type: ignore[arg-type]
        random.Random(seed),
        timers,
        lambda: holder[0].lost_at.append(timers.now),
    )
    ends = Ends(timers, air)
    holder.append(ends)
    return ends


def event_index(air: ConnectionAir, t: float) -> float:
    return (t - air.anchor) / air.period_s


@pytest.mark.parametrize("seed", range(10))
def test_packets_cross_only_at_connection_events(seed: int) -> None:
    ends = connect(seed, interval_s=0.030, central_ppm=0.0)
    rng = random.Random(seed)
    for i in range(40):
        ends.timers.run_until(ends.timers.now + rng.uniform(0, 0.1))
        ends.central_sends(f"c{i}")
    ends.timers.run_until(ends.timers.now + 1.0)
    assert len(ends.at_peripheral) == 40
    # Each arrives within the few exchanges that follow an event's anchor, never in between.
    exchange = airtime_s(20) + airtime_s(0) + 2 * 150e-6
    for _, t in ends.at_peripheral:
        n = event_index(ends.air, t)
        assert 0 < (n - int(n)) * ends.air.period_s <= 4 * exchange


def test_a_packet_waits_for_the_next_event_at_most_one_interval() -> None:
    ends = connect(interval_s=0.050, central_ppm=0.0)
    sent = ends.timers.now + 0.2
    ends.timers.run_until(sent)
    ends.central_sends("ping")
    ends.timers.run_until(sent + 0.2)
    ((_, arrived),) = ends.at_peripheral
    assert 0 <= arrived - sent <= 0.050 + airtime_s(20)


def test_a_reply_leaves_at_the_next_event_not_the_one_that_brought_the_request() -> None:
    ends = connect(interval_s=0.030, central_ppm=0.0)
    ends.timers.run_until(ends.timers.now + 0.1)

    def answer() -> None:
        ends.at_peripheral.append(("ping", ends.timers.now))
        ends.peripheral_sends("pong")

    ends.air.to_peripheral(answer, 20)
    ends.timers.run_until(ends.timers.now + 0.2)
    ((_, ping_at),) = ends.at_peripheral
    ((_, pong_at),) = ends.at_central
    # One interval later, plus the airtime of the central's empty packet, the inter-frame
    # space and the pong's own airtime, less the ping's airtime.
    expected = 0.030 + airtime_s(0) + 150e-6 + airtime_s(20) - airtime_s(20)
    assert pong_at - ping_at == pytest.approx(expected, abs=1e-9)


def test_the_events_follow_the_centrals_crystal() -> None:
    ends = connect(interval_s=0.030, central_ppm=50.0)
    assert ends.air.period_s == pytest.approx(0.030 * (1 + 50e-6))
    for _ in range(3):
        ends.timers.run_until(ends.timers.now + 10.0)
        ends.central_sends("late")
    ends.timers.run_until(ends.timers.now + 1.0)
    for _, t in ends.at_peripheral:
        n = event_index(ends.air, t - airtime_s(20))
        assert n == pytest.approx(round(n), abs=1e-6)


def test_an_event_carries_at_most_its_packet_limit() -> None:
    ends = connect(interval_s=0.030, packets_per_event=4, central_ppm=0.0)
    for i in range(10):
        ends.central_sends(f"c{i}")
    ends.timers.run_until(ends.timers.now + 0.2)
    events = [round(event_index(ends.air, t)) for _, t in ends.at_peripheral]
    assert [name for name, _ in ends.at_peripheral] == [f"c{i}" for i in range(10)]
    assert [events.count(n) for n in sorted(set(events))] == [4, 4, 2]


def test_both_directions_share_an_event() -> None:
    ends = connect(interval_s=0.030, central_ppm=0.0)
    ends.central_sends("down")
    ends.peripheral_sends("up")
    ends.timers.run_until(ends.timers.now + 0.1)
    ((_, down),) = ends.at_peripheral
    ((_, up),) = ends.at_central
    assert round(event_index(ends.air, down)) == round(event_index(ends.air, up))
    assert up > down


@pytest.mark.parametrize("seed", range(5))
def test_lost_packets_come_again_at_a_later_event_in_order(seed: int) -> None:
    ends = connect(seed, interval_s=0.030, packet_error_rate=0.3, central_ppm=0.0)
    for i in range(30):
        ends.central_sends(f"c{i}")
        ends.peripheral_sends(f"p{i}")
        ends.timers.run_until(ends.timers.now + 0.01)
    ends.timers.run_until(ends.timers.now + 5.0)
    assert [name for name, _ in ends.at_peripheral] == [f"c{i}" for i in range(30)]
    assert [name for name, _ in ends.at_central] == [f"p{i}" for i in range(30)]
    assert ends.air.counters.lost > 0
    assert ends.air.counters.to_peripheral == ends.air.counters.to_central == 30
    assert not ends.lost_at


def test_a_packet_sent_again_still_arrives_at_an_event() -> None:
    lossy = connect(3, interval_s=0.030, packet_error_rate=0.4, central_ppm=0.0)
    for i in range(20):
        lossy.timers.run_until(lossy.timers.now + 0.1)
        lossy.central_sends(f"c{i}")
    lossy.timers.run_until(lossy.timers.now + 5.0)
    for _, t in lossy.at_peripheral:
        n = event_index(lossy.air, t - airtime_s(20))
        assert n == pytest.approx(round(n), abs=1e-6)
    assert lossy.air.counters.lost > 0


def test_with_peripheral_latency_the_device_listens_every_n_plus_1_events() -> None:
    ends = connect(interval_s=0.030, peripheral_latency=4, central_ppm=0.0)
    ends.timers.run_until(ends.timers.now + 1.0)
    listened = ends.air.counters.events
    ends.timers.run_until(ends.timers.now + 3.0)
    # 100 events in 3 s, of which the idle device listens to one in five.
    assert ends.air.counters.events - listened == pytest.approx(20, abs=1)
    waits = []
    rng = random.Random(5)
    for _ in range(20):
        ends.timers.run_until(ends.timers.now + rng.uniform(0, 0.2))
        sent = ends.timers.now
        ends.central_sends("c")
        ends.timers.run_until(sent + 0.3)
        waits.append(ends.at_peripheral[-1][1] - sent)
    assert max(waits) > 0.090  # it waited for an event the device listened to
    assert max(waits) <= 5 * 0.030 + airtime_s(20)


def test_a_device_with_something_to_send_listens_at_the_next_event() -> None:
    ends = connect(interval_s=0.030, peripheral_latency=4, central_ppm=0.0)
    ends.timers.run_until(ends.timers.now + 1.0)
    sent = ends.timers.now
    ends.peripheral_sends("button")
    ends.timers.run_until(sent + 0.3)
    ((_, arrived),) = ends.at_central
    assert arrived - sent <= 0.030 + airtime_s(0) + 150e-6 + airtime_s(20)


def test_silence_longer_than_the_supervision_timeout_loses_the_link() -> None:
    ends = connect(interval_s=0.030, supervision_timeout_s=0.5, central_ppm=0.0)
    ends.timers.run_until(ends.timers.now + 1.0)
    silent_from = ends.timers.now
    ends.air.silence(3.0)
    ends.central_sends("never")
    ends.timers.run_until(silent_from + 3.5)
    (lost,) = ends.lost_at
    # The last event heard was within one interval before the silence.
    assert 0.5 <= lost - silent_from <= 0.5 + 0.030 + 1e-9
    assert ends.air.closed
    assert not ends.at_peripheral


def test_silence_shorter_than_the_supervision_timeout_only_delays() -> None:
    ends = connect(interval_s=0.030, supervision_timeout_s=2.0, central_ppm=0.0)
    ends.timers.run_until(ends.timers.now + 1.0)
    silent_from = ends.timers.now
    ends.air.silence(1.5)
    ends.central_sends("held")
    ends.timers.run_until(silent_from + 3.0)
    assert not ends.lost_at
    ((_, arrived),) = ends.at_peripheral
    assert silent_from + 1.5 <= arrived <= silent_from + 1.5 + 0.030 + airtime_s(20)


def test_heavy_losses_alone_can_time_the_link_out() -> None:
    ends = connect(7, interval_s=0.0075, supervision_timeout_s=0.1, packet_error_rate=0.9)
    ends.timers.run_until(ends.timers.now + 60.0)
    assert ends.lost_at


def test_closing_drops_what_was_queued() -> None:
    ends = connect()
    ends.central_sends("c")
    ends.air.close()
    ends.timers.run_until(ends.timers.now + 1.0)
    assert not ends.at_peripheral


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"interval_s": 0.005}, "7.5 ms to 4 s"),
        ({"interval_s": 0.031}, "steps of 1.25 ms"),
        ({"interval_s": 4.00125}, "7.5 ms to 4 s"),
        ({"peripheral_latency": 500}, "0 to 499"),
        ({"packet_error_rate": 1.0}, "under 100"),
        ({"packets_per_event": 0}, "at least one"),
        ({"supervision_timeout_s": 0.05}, "100 ms to 32 s"),
        ({"interval_s": 0.1, "peripheral_latency": 9, "supervision_timeout_s": 2.0}, "above 2"),
    ],
)
def test_parameters_outside_ble_are_refused(options: dict[str, float], message: str) -> None:
    with pytest.raises(AirOptionError, match=message):
        AirOptions(**options)  # type: ignore[arg-type]
