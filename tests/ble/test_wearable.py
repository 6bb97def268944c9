"""The simulated wearable's firmware behaviour, driven over BLE through the bleak backend."""

from __future__ import annotations

import asyncio
import functools
import random
import statistics
import time
from collections.abc import AsyncIterator

import pytest
from bleak import BleakClient

from companion.devices.bumble_backend import BumbleCentral
from firmware_protocol import codec
from firmware_protocol.errors import ErrorCode
from firmware_protocol.gatt import CONTROL_CHAR_UUID
from firmware_protocol.messages import (
    ButtonKind,
    ButtonPress,
    Capabilities,
    CueEntry,
    CueExecuted,
    CueOutcome,
    DeviceState,
    ErrorReport,
    Hello,
    LoadCues,
    Pause,
    RequestStatus,
    ShowText,
    Start,
    Status,
    TimeSyncPing,
    TimeSyncPong,
)
from firmware_protocol.patterns import PATTERNS, pattern_table_messages
from simulator import SimOptions, SimulatedWearable
from simulator.faults import DelayLine
from tests.ble.conftest import HubPeer, MakeWearable


class ManualClock:
    """A host clock that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def session(central: BumbleCentral, wearable: SimulatedWearable) -> AsyncIterator[HubPeer]:
    """A connected hub that said Hello and loaded the haptic vocabulary."""
    async with BleakClient(wearable.address, timeout=5, backend=central.client_backend) as client:
        peer = HubPeer(client)
        await peer.start()
        await peer.send(Hello(seq=1))
        capabilities = await peer.next(Capabilities)
        assert isinstance(capabilities, Capabilities)
        for message in pattern_table_messages(capabilities, first_seq=10):
            await peer.send(message)
            await peer.next(Status)
        yield peer


async def device_now_us(peer: HubPeer) -> int:
    await peer.send(TimeSyncPing(seq=2, hub_timestamp_us=0))
    pong = await peer.next(TimeSyncPong)
    assert isinstance(pong, TimeSyncPong)
    return pong.device_time_us


async def test_cues_play_at_their_device_clock_deadlines_and_are_traced(
    session: HubPeer, wearable: SimulatedWearable
) -> None:
    now_us = await device_now_us(session)
    names = ["inhale", "exhale", "step_change"]
    cues = tuple(
        CueEntry(
            cue_id=i + 1,
            deadline_us=now_us + 60_000 + 30_000 * i,
            pattern_id=PATTERNS[n].pattern_id,
        )
        for i, n in enumerate(names)
    )
    await session.send(LoadCues(seq=20, cues=cues))
    loaded = await session.next(Status)
    assert isinstance(loaded, Status)
    assert loaded.state is DeviceState.LOADED
    assert loaded.free_cue_slots == 64 - 3
    await session.send(Start(seq=21))
    executed = [await session.next(CueExecuted) for _ in cues]
    assert [e.cue_id for e in executed if isinstance(e, CueExecuted)] == [1, 2, 3]
    assert all(isinstance(e, CueExecuted) and e.outcome is CueOutcome.PLAYED for e in executed)
    assert [(p.cue_id, p.pattern) for p in wearable.trace] == [
        (1, "inhale"),
        (2, "exhale"),
        (3, "step_change"),
    ]
    for pulse, cue in zip(wearable.trace, cues, strict=True):
        # The motor never starts before its deadline, and the trace holds the time it read.
        assert pulse.t >= pulse.deadline
        assert pulse.deadline == pytest.approx(wearable.device_clock.to_host(cue.deadline_us / 1e6))
        assert wearable.device_clock.to_device(pulse.t) == pytest.approx(pulse.device_t)
    assert wearable.battery < 100


async def test_refusals_carry_the_spec_error_codes(session: HubPeer) -> None:
    now_us = await device_now_us(session)
    unknown = CueEntry(cue_id=5, deadline_us=now_us + 10_000_000, pattern_id=200)
    await session.send(LoadCues(seq=30, cues=(unknown,)))
    report = await session.next(ErrorReport)
    assert isinstance(report, ErrorReport)
    assert (report.code, report.ref_seq, report.detail) == (ErrorCode.UNKNOWN_PATTERN, 30, 5)

    past = CueEntry(cue_id=6, deadline_us=max(0, now_us - 1_000), pattern_id=3)
    await session.send(LoadCues(seq=31, cues=(past,)))
    report = await session.next(ErrorReport)
    assert isinstance(report, ErrorReport)
    assert report.code is ErrorCode.DEADLINE_PASSED

    await session.send(Pause(seq=32))
    report = await session.next(ErrorReport)
    assert isinstance(report, ErrorReport)
    assert (report.code, report.ref_seq) == (ErrorCode.BAD_STATE, 32)

    # A cue batch written to the control characteristic is on the wrong one.
    good = CueEntry(cue_id=7, deadline_us=now_us + 10_000_000, pattern_id=3)
    frame = codec.encode(LoadCues(seq=33, cues=(good,)))
    await session.client.write_gatt_char(
        CONTROL_CHAR_UUID, bytes((200, 0x80)) + frame, response=True
    )
    report = await session.next(ErrorReport)
    assert isinstance(report, ErrorReport)
    assert (report.code, report.ref_seq) == (ErrorCode.WRONG_CHARACTERISTIC, 33)


async def test_display_button_and_status(session: HubPeer, wearable: SimulatedWearable) -> None:
    await session.send(ShowText(seq=40, text="Sphinx hold"))
    await session.next(Status)
    assert wearable.display_text == "Sphinx hold"
    wearable.press_button("long")
    press = await session.next(ButtonPress)
    assert isinstance(press, ButtonPress)
    assert press.kind is ButtonKind.LONG
    await session.send(RequestStatus(seq=41))
    status = await session.next(Status)
    assert isinstance(status, Status)
    assert (status.ack_seq, status.battery_percent, status.state) == (41, 100, DeviceState.IDLE)


async def test_cues_keep_playing_through_a_link_drop(
    central: BumbleCentral, session: HubPeer, wearable: SimulatedWearable
) -> None:
    now_us = await device_now_us(session)
    cues = tuple(
        CueEntry(cue_id=i + 1, deadline_us=now_us + 150_000 + 20_000 * i, pattern_id=5)
        for i in range(3)
    )
    await session.send(LoadCues(seq=50, cues=cues))
    await session.next(Status)
    await session.send(Start(seq=51))
    await session.next(Status)
    wearable.begin_outage(0.5)
    await asyncio.sleep(0.3)
    assert not session.client.is_connected
    assert [p.cue_id for p in wearable.trace] == [1, 2, 3]
    assert wearable.state is DeviceState.PLAYING


async def test_clock_drift_and_offset_are_what_was_asked(
    central: BumbleCentral, make_wearable: MakeWearable
) -> None:
    clock = ManualClock()
    wearable = await make_wearable(SimOptions(clock_ppm=250.0, clock_offset_s=3.0), clock=clock)
    async with BleakClient(wearable.address, timeout=5, backend=central.client_backend) as client:
        peer = HubPeer(client)
        await peer.start()
        first = await device_now_us(peer)
        clock.now += 100.0
        second = await device_now_us(peer)
    assert first == 3_000_000
    # 100 s of host time read on a clock 250 ppm fast: 25 ms more.
    assert second - first == 100_025_000


async def test_latency_delays_every_message_each_way(
    central: BumbleCentral, make_wearable: MakeWearable
) -> None:
    async def round_trips(options: SimOptions) -> list[float]:
        wearable = await make_wearable(options)
        async with BleakClient(
            wearable.address, timeout=5, backend=central.client_backend
        ) as client:
            peer = HubPeer(client)
            await peer.start()
            times = []
            for seq in range(5):
                started = time.perf_counter()
                await peer.send(RequestStatus(seq=seq))
                await peer.next(Status)
                times.append(time.perf_counter() - started)
        return times

    slow = await round_trips(SimOptions(seed=1, latency_ms=15.0))
    # Never faster than the injected delay, twice (write in, notification out).
    assert min(slow) >= 0.030


def test_jitter_is_seeded_bounded_and_keeps_order() -> None:
    async def run(seed: int) -> tuple[list[int], list[float]]:
        loop = asyncio.get_running_loop()
        line = DelayLine(0.002, 0.010, random.Random(seed))
        arrivals: list[int] = []
        times: list[float] = []
        sent = loop.time()

        def deliver(i: int) -> None:
            arrivals.append(i)
            times.append(loop.time() - sent)

        for i in range(20):
            line.send(functools.partial(deliver, i))
        await asyncio.sleep(0.05)
        return arrivals, list(line.drawn)

    first_order, first_delays = asyncio.run(run(7))
    _, again = asyncio.run(run(7))
    _, other = asyncio.run(run(8))
    assert first_order == list(range(20))
    assert first_delays == again != other
    assert all(0.002 <= d <= 0.012 for d in first_delays)
    assert statistics.pstdev(first_delays) > 0.001
