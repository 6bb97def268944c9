"""Sessions over the real BLE stack: hub, native links and simulated wearables on bumble.

Plans run at a high speed where real time is not the point; drops and outages are real
seconds, since that is what the radio does. Assertions are about which cues reached the
motor, never about how many milliseconds late they were (benchmarks measure that).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import pytest
from bleak.backends.device import BLEDevice
from bumble.core import AdvertisingData

from companion.devices.bumble_backend import open_central
from companion.devices.link import Delivery
from companion.devices.link_options import LinkOptions
from companion.devices.profile import LinkContext
from companion.devices.profiles import build_link
from companion.devices.radio import Radio, open_radio
from companion.devices.sighting import Advert, Sighting
from companion.errors import DeviceError, DeviceNotFoundError
from companion.events import HubEvent
from companion.hub import Hub
from companion.session.engine import SessionResult, SessionState
from firmware_protocol.gatt import SERVICE_UUID
from firmware_protocol.messages import CueOutcome
from routines import load_library
from simulator import SimOptions, SimulatedWearable
from simulator.firmware import FirmwareLimits
from simulator.radio import local_device, new_link


@dataclass
class Outcome:
    result: SessionResult
    events: list[HubEvent]
    wearables: list[SimulatedWearable]

    def played(self, wearable: SimulatedWearable) -> list[int]:
        return [pulse.cue_id for pulse in wearable.trace if pulse.cue_id != 0xFFFF]

    def planned(self) -> list[int]:
        return [cue.cue_id for cue in self.result.planned]

    def delivered(self, wearable: SimulatedWearable) -> bool:
        """Every planned cue reached the wearable, which played it or, finding it more than
        100 ms late (on a loaded machine, the in-process simulator can be), skipped it and
        said so, as a real one would; the ones played, in the plan's order. Whether each
        was on time is the benchmarks' business (bench/cue_accuracy.py)."""
        played = self.played(wearable)
        skipped = [
            report.cue_id
            for report in wearable.firmware.executed
            if report.outcome is CueOutcome.SKIPPED
        ]
        in_order = [cue for cue in self.planned() if cue in set(played)]
        return sorted(played + skipped) == sorted(self.planned()) and played == in_order

    def kinds(self) -> list[str]:
        return [event.event_type for event in self.events]


async def run_session(
    sims: Sequence[SimOptions],
    *,
    exercises: Sequence[str] = ("sphinx",),
    speed: float = 4.0,
    options: LinkOptions | None = None,
    during: Callable[[list[SimulatedWearable]], None] | None = None,
    abort_after_s: float = 30.0,
) -> Outcome:
    hub = Hub(load_library(None), abort_after_s=abort_after_s)
    events = hub.bus.subscribe()
    async with open_radio(sim=sims) as radio:
        try:
            await hub.connect(radio, count=len(sims), options=options, timeout=10)
            engine = hub.start("one-minute-back", exercises=exercises, speed=speed)
            if during is not None:
                during(radio.wearables)
            result = await asyncio.wait_for(engine.wait(), 60)
        finally:
            await hub.close()
        seen = []
        while (event := events.get_nowait()) is not None:
            seen.append(event)
        return Outcome(result, seen, list(radio.wearables))


async def test_every_planned_cue_reaches_the_motor_in_order() -> None:
    outcome = await run_session([SimOptions(seed=1)])
    assert outcome.result.status is SessionState.COMPLETED
    assert outcome.delivered(outcome.wearables[0])
    # Each cue played with the pattern the plan gave it.
    meant = {cue.cue_id: cue.cue for cue in outcome.result.planned}
    trace = [pulse for pulse in outcome.wearables[0].trace if pulse.cue_id in meant]
    assert trace
    assert [pulse.pattern for pulse in trace] == [meant[pulse.cue_id] for pulse in trace]
    kinds = outcome.kinds()
    assert kinds.index("device_connected") < kinds.index("session_started")
    assert kinds[-1] == "session_ended"


async def test_every_connected_wearable_receives_the_session() -> None:
    base = SimOptions(seed=7, latency_ms=10, jitter_ms=10)
    outcome = await run_session([base.derived(i) for i in range(3)])
    assert len({w.name for w in outcome.wearables}) == 3
    for wearable in outcome.wearables:
        assert outcome.delivered(wearable)


def outage_at(session_s: float, for_s: float) -> Callable[[list[SimulatedWearable]], None]:
    """Take the first wearable's link down `session_s` seconds into the session."""

    def schedule(wearables: list[SimulatedWearable]) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(session_s, wearables[0].begin_outage, for_s)

    return schedule


# At speed 2 the sphinx's inhale comes 4 s into the session (1 s lead + 3 s) and its hold
# 5.5 s in: a drop from 4.5 s to 7.5 s covers the hold and nothing else.
DROP = outage_at(4.5, 3.0)


async def test_a_three_second_drop_loses_no_cue_in_scheduled_delivery() -> None:
    outcome = await run_session(
        [SimOptions(seed=2, latency_ms=20, jitter_ms=20)], speed=2.0, during=DROP
    )
    assert "device_lost" in outcome.kinds()
    assert "session_paused" not in outcome.kinds()
    assert outcome.result.status is SessionState.COMPLETED
    assert outcome.delivered(outcome.wearables[0])


async def test_immediate_delivery_pauses_through_a_drop() -> None:
    # The device holds nothing ahead in immediate delivery: a drop pauses the session at
    # once (where scheduled delivery carries on), and it resumes when the device is back.
    outcome = await run_session(
        [SimOptions(seed=2, latency_ms=20, jitter_ms=20)],
        speed=2.0,
        options=LinkOptions(delivery=Delivery.IMMEDIATE, max_attempts=3),
        during=DROP,
    )
    kinds = outcome.kinds()
    assert kinds.index("device_lost") < kinds.index("session_paused")
    assert kinds.index("session_resumed") > kinds.index("session_paused")
    assert outcome.result.status is SessionState.COMPLETED
    assert outcome.delivered(outcome.wearables[0])


async def test_when_every_wearable_is_gone_too_long_the_session_pauses_then_resumes() -> None:
    # A short horizon: the device holds almost nothing, so the drop outlasts its cues.
    outcome = await run_session(
        [SimOptions(seed=3)],
        speed=2.0,
        options=LinkOptions(horizon_s=0.3, max_attempts=3),
        during=DROP,
    )
    kinds = outcome.kinds()
    assert kinds.index("device_lost") < kinds.index("session_paused")
    assert kinds.index("session_paused") < kinds.index("session_resumed")
    paused = next(e for e in outcome.events if e.event_type == "session_paused")
    assert paused.to_dict()["reason"] == "no wearable connected"
    assert outcome.result.status is SessionState.COMPLETED
    # Every cue whose moment came while a device was there was played.
    assert set(outcome.planned()) <= set(outcome.played(outcome.wearables[0]))


async def test_the_session_aborts_when_no_wearable_comes_back() -> None:
    outcome = await run_session(
        [SimOptions(seed=3)],
        speed=2.0,
        during=outage_at(2.0, 30.0),
        options=LinkOptions(horizon_s=0.3, max_attempts=3),
        abort_after_s=1.0,
    )
    assert outcome.result.status is SessionState.ABORTED
    assert outcome.result.reason == "no wearable came back within 1 s"


async def test_one_wearable_leaving_does_not_disturb_the_other() -> None:
    outcome = await run_session(
        [SimOptions(seed=5), SimOptions(seed=5).derived(1)], speed=3.0, during=outage_at(1.0, 60)
    )
    leaving, staying = outcome.wearables
    assert outcome.result.status is SessionState.COMPLETED
    assert "session_paused" not in outcome.kinds()
    assert outcome.delivered(staying)
    assert leaving.connected is False


async def test_a_clock_200_ppm_fast_is_measured_and_followed() -> None:
    hub = Hub(load_library(None))
    async with open_radio(sim=[SimOptions(seed=4, clock_ppm=200.0)]) as radio:
        try:
            (link,) = await hub.connect(radio, timeout=10)
            engine = hub.start("one-minute-back", exercises=["sphinx"], speed=1.5)
            result = await asyncio.wait_for(engine.wait(), 60)
            drift = link.status.clock_drift_ppm
        finally:
            await hub.close()
        played = [p.cue_id for p in radio.wearables[0].trace]
    assert result.status is SessionState.COMPLETED
    assert played == [cue.cue_id for cue in result.planned]
    assert drift is not None
    assert 100 < drift < 300


async def test_a_clock_that_jumps_is_noticed_and_the_cues_reloaded() -> None:
    hub = Hub(load_library(None))
    async with open_radio(sim=[SimOptions(seed=6)]) as radio:
        try:
            await hub.connect(radio, timeout=10)
            engine = hub.start("one-minute-back", exercises=["sphinx"], speed=1.5)
            await asyncio.sleep(2.0)
            clock = radio.wearables[0].device_clock
            clock.set(clock.now() + 5.0)  # the firmware set its clock five seconds on
            result = await asyncio.wait_for(engine.wait(), 60)
        finally:
            await hub.close()
        played = [p.cue_id for p in radio.wearables[0].trace]
    assert result.status is SessionState.COMPLETED
    # The jump made the held cues late in the device's new time: it skipped them. The hub
    # saw it, re-synced and loaded them again; the one due at that very moment it had
    # played at once (a round trip late). None is lost.
    assert sorted(played) == [cue.cue_id for cue in result.planned]


@pytest.fixture
async def foreign_radio() -> AsyncIterator[Radio]:
    """A link with one of our wearables and a stranger that merely advertises a name."""
    link = new_link()
    wearable = SimulatedWearable(SimOptions(seed=9), link)
    await wearable.start()
    device, _ = local_device("Stranger", "C4:44:44:44:44:44", link)
    device.advertising_data = bytes(
        AdvertisingData([(AdvertisingData.COMPLETE_LOCAL_NAME, b"Stranger")])
    )
    await device.power_on()
    await device.start_advertising(auto_restart=True)
    central = await open_central(link=link)
    yield Radio(central.scanner_backend, central.client_backend, [wearable], central)
    await central.close()
    await device.power_off()
    await wearable.stop()


async def test_a_device_that_is_not_ours_is_refused_clearly(foreign_radio: Radio) -> None:
    hub = Hub(load_library(None))
    try:
        with pytest.raises(DeviceError, match=r"Stranger .* is not a backstretch wearable"):
            # Refused as soon as it is heard, long before the connect timeout.
            await asyncio.wait_for(hub.connect(foreign_radio, ["Stranger"], timeout=120), 15)
    finally:
        await hub.close()


async def test_an_absent_wearable_is_reported_with_what_was_seen(foreign_radio: Radio) -> None:
    hub = Hub(load_library(None))
    with pytest.raises(DeviceNotFoundError, match=r"'Nobody'.*within 0.5 s.*seen: "):
        await hub.connect(foreign_radio, ["Nobody"], timeout=0.5)


async def test_a_device_that_vanished_gives_up_after_its_attempts() -> None:
    central = await open_central(link=new_link())
    try:
        # Heard once advertising our service, then gone.
        sighting = Sighting(
            BLEDevice("C5:55:55:55:55:55", "Gone", None),
            -70,
            Advert(name="Gone", service_uuids=(SERVICE_UUID,)),
            "native",
        )
        options = LinkOptions(max_attempts=2, connect_timeout_s=0.3)
        link = build_link(sighting, LinkContext(central.client_backend, options, time.monotonic))
        with pytest.raises(
            DeviceError,
            match=(
                r"Gone \(C5:55:55:55:55:55\): cannot connect after 2 attempts: "
                r".*(timed out|no answer within 0.3 s)"
            ),
        ):
            await asyncio.wait_for(link.run(lambda event: None), 20)
    finally:
        await central.close()


async def test_a_device_that_refuses_our_patterns_says_so() -> None:
    hub = Hub(load_library(None))
    async with open_radio(sim=[SimOptions(seed=8)]) as radio:
        radio.wearables[0].firmware.limits = FirmwareLimits(max_patterns=4)
        try:
            with pytest.raises(DeviceError, match="refused PatternTable: PATTERN_TABLE_FULL"):
                await hub.connect(radio, timeout=10)
            assert hub.links == []  # nothing half-connected stays behind
        finally:
            await hub.close()
