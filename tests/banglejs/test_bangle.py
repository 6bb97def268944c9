"""The Bangle.js profile against the simulated watch, over the real BLE stack.

The player the hub uploads really runs, in Node.js, inside an Espruino-like environment;
each test waits on the hub's events, never on a sleep for its result.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion.cli import main
from companion.devices.banglejs import link as link_module
from companion.devices.banglejs.console import MAX_LINE, ConsoleReader, player_source
from companion.devices.banglejs.link import PLAYER_VERSION
from companion.errors import DeviceNotFoundError
from companion.events import HubEvent, Subscription
from companion.hub import Hub
from companion.session.engine import SessionResult, SessionState
from routines import load_library
from simulator import Pulse, SimOptions
from simulator.bangle import ALERT_ID, SimulatedBangle
from tests.air import Air, bangles, next_of, open_air

WATCH = SimOptions(profile="banglejs", seed=7)


@pytest.fixture
async def air() -> AsyncIterator[Air[SimulatedBangle]]:
    async with open_air(bangles) as air:
        yield air


def played(watch: SimulatedBangle) -> list[int]:
    return [pulse.cue_id for pulse in watch.trace if pulse.cue_id != ALERT_ID]


async def session(
    air: Air[SimulatedBangle],
    watch: SimulatedBangle,
    *,
    exercises: tuple[str, ...] = ("sphinx",),
    speed: float = 2,
) -> tuple[Hub, Subscription]:
    hub = Hub(load_library(None), abort_after_s=60)
    events = hub.bus.subscribe()
    await hub.connect(air.radio, [watch.name], timeout=10)
    hub.start("one-minute-back", exercises=list(exercises), speed=speed)
    return hub, events


def reported(events: list[HubEvent]) -> set[int]:
    return {e.to_dict()["cue_id"] for e in events if e.event_type == "cue_executed"}


async def finish(hub: Hub) -> SessionResult:
    assert hub.engine is not None
    try:
        return await asyncio.wait_for(hub.engine.wait(), 90)
    finally:
        await hub.close()


def test_the_player_is_small_and_versioned() -> None:
    source = player_source(PLAYER_VERSION)
    assert len(source.encode()) < 2048
    assert f'v:"{PLAYER_VERSION}"' in source
    assert "\n" not in source


def test_only_tagged_json_lines_are_the_players() -> None:
    reader = ConsoleReader()
    noise = b'\x1b[J>BS.y(1)\r\n=undefined\r\n>{"bs":"y","g":1,"t":5.25}\r\n{"bs":"e","i'
    assert reader.feed(noise) == [{"bs": "y", "g": 1, "t": 5.25}]
    assert reader.feed(b'":3,"t":6}\r\nUncaught ReferenceError: "BS" is not defined\r\n') == [
        {"bs": "e", "i": 3, "t": 6}
    ]
    assert reader.errors == 1
    assert reader.feed(b'{"bs": broken}\r\n[1,2]\r\n') == []


async def test_a_session_plays_every_cue_on_the_watch_and_each_is_reported(
    air: Air[SimulatedBangle],
) -> None:
    # A crystal 200 ppm fast and a clock far from the hub's: the sync finds both.
    watch = await air.start(replace(WATCH, clock_ppm=200, clock_offset_s=12345.0))
    hub, events = await session(air, watch, exercises=("sphinx", "belly-lift"))
    result = await finish(hub)
    seen: list[HubEvent] = []
    while (event := events.get_nowait()) is not None:
        seen.append(event)
    assert result.status is SessionState.COMPLETED
    planned = [cue.cue_id for cue in result.planned]
    assert sorted(played(watch)) == planned
    assert reported(seen) == set(planned)
    assert watch.uploads == 1
    assert watch.errors == []
    # The screen followed the session: the exercise, the breath word, the time left.
    titles = {screen[0] for screen in watch.screens if len(screen) == 3}
    words = {screen[1] for screen in watch.screens if len(screen) == 3}
    assert {"Sphinx", "Belly lift"} <= titles
    assert {"In", "Out", "Next", "Done"} <= words
    left = [screen[2] for screen in watch.screens if len(screen) == 3]
    assert left[0] != "0:00"
    assert left[-1] == "0:00"


async def test_the_clock_face_comes_back_when_the_session_ends(air: Air[SimulatedBangle]) -> None:
    watch = await air.start(WATCH)
    hub, _events = await session(air, watch, speed=4)
    result = await finish(hub)
    assert result.status is SessionState.COMPLETED
    async with asyncio.timeout(10):
        while watch.screen != ["clock"]:
            watch.screen_changed.clear()
            await watch.screen_changed.wait()
    assert watch.resets == 1


async def test_an_older_player_on_the_watch_is_replaced(air: Air[SimulatedBangle]) -> None:
    watch = await air.start(WATCH)
    # What an earlier release of the hub left running: its own version, timers, a button.
    watch.console('var BS={v:"bs0",T:{},c:function(){}};setWatch(function(){},BTN1,{})')
    hub = Hub(load_library(None))
    try:
        [link] = await hub.connect(air.radio, [watch.name], timeout=10)
        assert link.ready
    finally:
        await hub.close()
    assert watch.uploads == 1
    assert watch.errors == []
    # The hub asked, found bs0 and uploaded its own; next time it finds its own and keeps it.
    hub = Hub(load_library(None))
    try:
        await hub.connect(air.radio, [watch.name], timeout=10)
    finally:
        await hub.close()
    assert watch.uploads == 1


async def test_a_drop_shorter_than_the_lead_time_loses_nothing(air: Air[SimulatedBangle]) -> None:
    watch = await air.start(replace(WATCH, drops=((4.0, 2.0),), latency_ms=20, jitter_ms=20))
    hub, events = await session(air, watch, exercises=("sphinx", "belly-lift"))
    lost = await next_of(events, "device_lost")
    back = await next_of(events, "device_connected")
    result = await finish(hub)
    assert lost.to_dict()["final"] is False
    assert back.to_dict()["profile"] == "banglejs"
    assert result.status is SessionState.COMPLETED
    assert sorted(played(watch)) == [cue.cue_id for cue in result.planned]
    # The player survived the drop: it was not uploaded again.
    assert watch.uploads == 1


async def test_a_watch_reset_mid_session_gets_the_player_and_the_rest_again(
    air: Air[SimulatedBangle],
) -> None:
    watch = await air.start(WATCH)
    hub, events = await session(air, watch, exercises=("sphinx", "belly-lift"))
    for _ in range(3):
        await next_of(events, "cue_executed")
    watch.reset()
    result = await finish(hub)
    assert result.status is SessionState.COMPLETED
    assert watch.resets == 1
    assert watch.uploads == 2
    notes = played(watch)
    planned = [cue.cue_id for cue in result.planned]
    # Cues due in the moment between the reset and the upload may be gone; the rest play.
    assert notes[-1] == planned[-1]
    assert len(set(notes)) >= len(planned) - 3


async def test_set_time_mid_session_moves_no_cue(air: Air[SimulatedBangle]) -> None:
    watch = await air.start(WATCH)
    hub, events = await session(air, watch, exercises=("sphinx", "belly-lift"))
    for _ in range(3):
        await next_of(events, "cue_executed")
    watch.set_time_by(5.0)
    result = await finish(hub)
    assert result.status is SessionState.COMPLETED
    assert sorted(set(played(watch))) == [cue.cue_id for cue in result.planned]


async def test_button_presses_battery_and_a_reminder(
    air: Air[SimulatedBangle], monkeypatch: pytest.MonkeyPatch
) -> None:

    alerted = asyncio.Event()

    def on_pulse(pulse: Pulse) -> None:
        if pulse.cue_id == ALERT_ID:
            alerted.set()

    watch = await air.start(replace(WATCH, battery_pct=42), on_pulse)
    hub = Hub(load_library(None))
    events = hub.bus.subscribe()
    try:
        [link] = await hub.connect(air.radio, [watch.name], timeout=10)
        assert link.status.battery == 42
        assert link.capabilities.has_button
        # A watch that prints nonsense in the player's name changes nothing.
        for line in (
            '{"bs":"e","i":true,"t":NaN}',
            '{"bs":"y","g":[1],"t":1e999}',
            '{"bs":"k","k":"sideways"}',
            '{"bs":"m","i":"1"}',
            '{"bs":7}',
        ):
            watch.console(f"Bluetooth.println({json.dumps(line)})")
        presses = []
        for kind in ("short", "long", "double"):
            watch.press_button(kind)
            presses.append((await next_of(events, "button")).to_dict()["press"])
        assert presses == ["short", "long", "double"]
        assert hub.remind().devices == 1
        await asyncio.wait_for(alerted.wait(), 10)
        # The link asks for the battery again from time to time.
        watch.set_battery(41)
        monkeypatch.setattr(link_module, "BATTERY_EVERY_S", 0.0)
        battery = await next_of(events, "battery")
        assert battery.to_dict()["battery"] == 41
    finally:
        await hub.close()
    [alert] = [p for p in watch.trace if p.cue_id == ALERT_ID]
    assert alert.pattern == "reminder"


async def test_a_watch_held_by_a_phone_is_explained(air: Air[SimulatedBangle]) -> None:
    watch = await air.start(replace(WATCH, held=True))
    hub = Hub(load_library(None))
    with pytest.raises(DeviceNotFoundError, match="Gadgetbridge"):
        await hub.connect(air.radio, [watch.name], timeout=1.0)


def test_the_session_command_on_a_simulated_bangle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    trace = tmp_path / "trace.jsonl"
    args = ["session", "one-minute-back", "--sim", "--sim-profile", "banglejs", "--speed", "4"]
    code = main([*args, "--exercise", "sphinx", "--json", "--trace", str(trace)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "completed"
    assert summary["cues_executed"] == summary["cues_planned"] > 0
    rows = [json.loads(line) for line in trace.read_text().splitlines()]
    executed = [row for row in rows if row["kind"] == "executed"]
    assert {row["cue_id"] for row in executed} == {
        row["cue_id"] for row in rows if row["kind"] == "planned"
    }
    assert all(row["device"].startswith("Bangle.js") for row in executed)


@given(st.lists(st.binary(max_size=300), max_size=20))
def test_whatever_a_watch_prints_the_reader_takes_without_failing(chunks: list[bytes]) -> None:
    reader = ConsoleReader()
    for chunk in chunks:
        for message in reader.feed(chunk):
            assert isinstance(message["bs"], str)
    # A line that never ends is dropped once it is too long to be ours.
    reader.feed(b"x" * (MAX_LINE + 1))
    assert reader.feed(b'\n{"bs":"v","v":"bs3"}\n') == [{"bs": "v", "v": "bs3"}]
