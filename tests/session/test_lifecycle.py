"""A session's life with wearables that come, go and answer late, over the real BLE stack.

Each test waits on the hub's own events; none sleeps for a result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from companion.errors import PermanentLinkError
from companion.events import EventSink
from companion.hub import Hub
from companion.session.engine import SessionState
from routines import load_library
from simulator import SimOptions, SimulatedWearable
from tests.air import Air, next_of, open_air, wearables
from tests.session.links import RecordingLink

LATE = "BackStretch-LATE"


@pytest.fixture
async def air() -> AsyncIterator[Air[SimulatedWearable]]:
    async with open_air(wearables, seed=3) as air:
        yield air


def played(wearable: SimulatedWearable) -> list[int]:
    return [pulse.cue_id for pulse in wearable.trace if pulse.cue_id != 0xFFFF]


async def test_a_missing_wearable_never_holds_up_the_other_and_joins_mid_session(
    air: Air[SimulatedWearable], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    first = await air.start(SimOptions(name="BackStretch-HERE", seed=1))
    hub = Hub(load_library(None))
    events = hub.bus.subscribe()
    try:
        ready = await hub.connect(air.radio, [first.name, LATE], timeout=2.0)
        assert [link.status.name for link in ready] == [first.name]
        assert f"still looking for {LATE}" in caplog.text

        engine = hub.start("one-minute-back", exercises=["sphinx", "belly-lift"], speed=4.0)
        # Some cues in, the latecomer turns up: it is found, adopted and given the rest.
        for _ in range(3):
            await next_of(events, "cue_executed")
        late = await air.start(SimOptions(name=LATE, seed=2))
        await next_of(events, "device_connected")
        result = await asyncio.wait_for(engine.wait(), 60)
    finally:
        await hub.close()
    assert result.status is SessionState.COMPLETED
    planned = [cue.cue_id for cue in result.planned]
    assert sorted(played(first)) == planned
    joined = played(late)
    # The latecomer played a tail of the session, in order, up to its last cue.
    assert joined, "the wearable that joined late played nothing"
    assert joined == sorted(joined)
    assert joined[-1] == planned[-1]
    assert joined[0] > planned[2]


async def test_a_session_started_right_after_well_done_keeps_its_wearable(
    air: Air[SimulatedWearable],
) -> None:
    wearable = await air.start(SimOptions(seed=4))
    hub = Hub(load_library(None))
    events = hub.bus.subscribe()
    try:
        await hub.connect(air.radio, timeout=10)
        first = hub.start("one-minute-back", exercises=["sphinx"], speed=8.0)
        end_cue = first.plan.cues[-1].index
        while True:
            event = await next_of(events, "cue_executed")
            if event.to_dict()["cue_id"] == end_cue:
                break
        # "Well done" was felt; the last session is in its tail, not yet over for good.
        assert not first.active
        assert not first.finished
        mark = len(wearable.trace)
        second = hub.start("one-minute-back", exercises=["sphinx"], speed=8.0)
        done = await asyncio.wait_for(first.wait(), 10)
        result = await asyncio.wait_for(second.wait(), 60)
    finally:
        await hub.close()
    assert done.status is SessionState.COMPLETED
    assert result.status is SessionState.COMPLETED
    again = [p.cue_id for p in wearable.trace[mark:] if p.cue_id != 0xFFFF]
    assert sorted(set(again)) == [cue.cue_id for cue in result.planned]


async def test_skipping_past_the_last_exercise_is_partial_and_stop_is_stopped(
    air: Air[SimulatedWearable],
) -> None:
    await air.start(SimOptions(seed=5))
    hub = Hub(load_library(None))
    events = hub.bus.subscribe()
    try:
        await hub.connect(air.radio, timeout=10)
        engine = hub.start("one-minute-back", exercises=["sphinx", "belly-lift"], speed=2.0)
        await next_of(events, "cue_executed")
        hub.skip()
        await next_of(events, "step_changed")
        hub.skip()
        skipped = await asyncio.wait_for(engine.wait(), 30)
        whole = len(engine.plan.cues)

        engine = hub.start("one-minute-back", exercises=["sphinx"], speed=2.0)
        await next_of(events, "cue_executed")
        hub.stop("had enough")
        stopped = await asyncio.wait_for(engine.wait(), 30)
    finally:
        await hub.close()
    assert skipped.status is SessionState.PARTIAL
    # What was skipped never reached the wearable and is not counted as planned.
    assert len(skipped.planned) < whole
    assert stopped.status is SessionState.STOPPED
    assert stopped.reason == "had enough"


@dataclass
class DoomedLink(RecordingLink):
    """Runs until told to fail, then fails as a pairing refused would: for good."""

    doom: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, publish: EventSink) -> None:
        await self.doom.wait()
        raise PermanentLinkError("the wearable refused to pair")


async def test_a_session_whose_every_wearable_failed_for_good_ends_at_once() -> None:
    hub = Hub(load_library(None), abort_after_s=600.0)
    events = hub.bus.subscribe()
    link = DoomedLink()
    hub.add_link(link)
    engine = hub.start("one-minute-back", speed=1.0)
    link.doom.set()
    lost = await next_of(events, "device_lost", timeout=5)
    # Not after abort_after_s (ten minutes here): now, with the reason.
    result = await asyncio.wait_for(engine.wait(), 5)
    await hub.close()
    assert lost.to_dict()["final"] is True
    assert hub.links == []
    assert hub.failures == {"recorder": "the wearable refused to pair"}
    assert result.status is SessionState.ABORTED
    assert result.reason == "every wearable stopped for good: the wearable refused to pair"
