"""The Immediate Alert profile against the simulated InfiniTime-like band, over the real BLE
stack: host-timed buzzes, honestly unreported, a drop that pauses, reminders, a muted band."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from companion.cli import main
from companion.devices.capabilities import Timing
from companion.devices.ias.patterns import MIN_GAP_MS, RHYTHMS, rhythm
from companion.errors import PermanentLinkError
from companion.events import HubEvent
from companion.hub import Hub
from companion.session.engine import PlannedCue, SessionResult, SessionState
from companion.session.figures import first_in_windows
from firmware_protocol.patterns import PATTERNS
from routines import load_library
from simulator import Pulse, SimOptions
from simulator.band import SimulatedBand
from simulator.bangle import SimulatedBangle
from tests.air import Air, bands, open_air

BAND = SimOptions(profile="ias", seed=11)


@pytest.fixture
async def air() -> AsyncIterator[Air[SimulatedBand]]:
    async with open_air(bands) as air:
        yield air


async def run_session(
    air: Air[SimulatedBand], band: SimulatedBand, *, speed: float = 2
) -> tuple[SessionResult, list[HubEvent]]:
    hub = Hub(load_library(None), abort_after_s=60)
    events = hub.bus.subscribe()
    try:
        await hub.connect(air.radio, [band.name], timeout=10)
        engine = hub.start("one-minute-back", exercises=["sphinx"], speed=speed)
        result = await asyncio.wait_for(engine.wait(), 90)
    finally:
        await hub.close()
    seen = []
    while (event := events.get_nowait()) is not None:
        seen.append(event)
    return result, seen


def buzzes_per_cue(planned: tuple[PlannedCue, ...], band: SimulatedBand) -> dict[int, int]:
    """How many buzzes fell in each cue's window (from its moment to the next cue's)."""
    cues = sorted(planned, key=lambda cue: cue.t)
    counts = {}
    for number, cue in enumerate(cues):
        end = cues[number + 1].t - 0.1 if number + 1 < len(cues) else float("inf")
        counts[cue.cue_id] = sum(1 for p in band.trace if cue.t - 0.1 <= p.t < end)
    return counts


def test_every_pattern_is_a_rhythm_a_band_can_render() -> None:
    assert set(RHYTHMS) == set(PATTERNS)
    for name, moments in RHYTHMS.items():
        assert moments[0] == 0, name
        gaps = [b - a for a, b in itertools.pairwise(moments)]
        assert all(gap >= MIN_GAP_MS for gap in gaps), name
    # The breath phases, met most often, differ by count alone.
    assert [len(rhythm(p)) for p in ("inhale", "exhale", "hold")] == [3, 2, 1]
    # Only the countdown tick and hold share a rhythm (one buzz); they never meet.
    shared = [n for n in RHYTHMS if list(RHYTHMS.values()).count(RHYTHMS[n]) > 1]
    assert sorted(shared) == ["countdown_tick", "hold"]
    assert rhythm("no such pattern") == (0,)


def test_a_cues_onset_is_the_first_buzz_in_its_window() -> None:
    plan = [PlannedCue(0, "inhale", "", 10.0), PlannedCue(1, "exhale", "", 13.0)]
    # Inhale's three buzzes (one 20 ms early), exhale's first lost, its second heard.
    times = [9.98, 10.3, 10.45, 13.8, 20.0]
    assert first_in_windows(plan, times) == {0: 9.98, 1: 13.8}
    assert first_in_windows(plan, [12.95]) == {1: 12.95}
    assert first_in_windows(plan, []) == {}


async def test_a_session_buzzes_each_cues_rhythm_host_timed_and_unreported(
    air: Air[SimulatedBand],
) -> None:
    band = await air.start(replace(BAND, latency_ms=10, jitter_ms=5))
    result, events = await run_session(air, band)
    assert result.status is SessionState.COMPLETED
    assert result.timing == "host-timed"
    # The band says nothing back: not "0 of 8", but not reported at all.
    assert result.figures.executed is None
    assert result.figures.felt() == "not reported"
    assert not [e for e in events if e.event_type == "cue_executed"]
    (ended,) = [e.to_dict() for e in events if e.event_type == "session_ended"]
    assert ended["cues_executed"] is None
    assert ended["onset_error_ms"] is None
    # Each cue's rhythm reached the motor, one buzz per write.
    counts = buzzes_per_cue(result.planned, band)
    assert counts == {cue.cue_id: len(rhythm(cue.cue)) for cue in result.planned}
    assert band.notifications == sum(counts.values())


async def test_the_link_says_what_the_band_can_do(air: Air[SimulatedBand]) -> None:
    band = await air.start(replace(BAND, battery_pct=64))
    hub = Hub(load_library(None))
    try:
        [link] = await hub.connect(air.radio, [band.name], timeout=10)
        caps = link.capabilities
        assert caps.timing is Timing.HOST
        assert not caps.reports_played
        assert not caps.has_button
        assert caps.reports_battery
        assert caps.pulse_ms == (35, 35)
        assert caps.intensity_levels == 1
        assert link.status.profile == "ias"
        assert link.status.battery == 64
        # The one-way latency comes from timed reads: a round trip was measured.
        assert link.status.clock_rtt_ms is not None
    finally:
        await hub.close()


async def test_a_drop_pauses_the_session_since_the_band_holds_nothing(
    air: Air[SimulatedBand],
) -> None:
    band = await air.start(replace(BAND, drops=((6.0, 2.0),)))
    result, events = await run_session(air, band, speed=1)
    kinds = [e.event_type for e in events]
    assert "device_lost" in kinds
    assert kinds.index("session_paused") > kinds.index("device_lost")
    assert kinds.index("session_resumed") > kinds.index("session_paused")
    assert result.status is SessionState.COMPLETED
    # Re-planned after the pause: every cue still buzzed its whole rhythm.
    counts = buzzes_per_cue(result.planned, band)
    assert counts == {cue.cue_id: len(rhythm(cue.cue)) for cue in result.planned}


async def test_a_reminder_plays_as_a_sequence_of_alerts(air: Air[SimulatedBand]) -> None:
    heard: list[Pulse] = []
    done = asyncio.Event()

    def on_pulse(pulse: Pulse) -> None:
        heard.append(pulse)
        if len(heard) == len(rhythm("reminder")):
            done.set()

    band = await air.start(BAND, on_pulse=on_pulse)
    hub = Hub(load_library(None))
    try:
        await hub.connect(air.radio, [band.name], timeout=10)
        reminder = hub.remind()
        assert reminder.devices == 1
        # Nobody can answer it with a button: the reminder flow does not wait for one.
        assert reminder.with_button == 0
        await asyncio.wait_for(done.wait(), 10)
    finally:
        await hub.close()
    assert [p.pattern for p in heard] == ["alert"] * 4


async def test_a_muted_band_shows_every_alert_and_buzzes_none(air: Air[SimulatedBand]) -> None:
    band = await air.start(replace(BAND, muted=True))
    result, _events = await run_session(air, band, speed=4)
    assert result.status is SessionState.COMPLETED
    assert band.trace == []
    assert band.notifications == sum(len(rhythm(cue.cue)) for cue in result.planned)
    # The hub cannot know: still "not reported", never "none felt".
    assert result.figures.executed is None


async def test_a_device_named_like_a_band_without_the_service_is_refused(
    air: Air[SimulatedBand],
) -> None:
    impostor = SimulatedBangle(SimOptions(profile="banglejs", name="InfiniTime-0000"), air.link)
    await impostor.start()
    hub = Hub(load_library(None))
    try:
        with pytest.raises(PermanentLinkError, match="has no Immediate Alert service"):
            await hub.connect(air.radio, [impostor.name], timeout=10)
    finally:
        await hub.close()
        await impostor.stop()


def test_the_session_command_on_a_simulated_band(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    trace = tmp_path / "trace.jsonl"
    args = ["session", "one-minute-back", "--sim", "--sim-profile", "ias", "--speed", "4"]
    code = main([*args, "--exercise", "sphinx", "--json", "--trace", str(trace)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "completed"
    assert summary["timing"] == "host-timed"
    assert summary["cues_executed"] is None
    assert summary["onset_error_ms"] is None
    rows = [json.loads(line) for line in trace.read_text().splitlines()]
    executed = [row for row in rows if row["kind"] == "executed"]
    planned = [row for row in rows if row["kind"] == "planned"]
    # History says so too.
    assert main(["history"]) == 0
    assert "host-timed, felt: not reported" in capsys.readouterr().out
    # Executed lines from the band's motor, matched to the plan: one per cue.
    assert sorted(row["cue_id"] for row in executed) == [row["cue_id"] for row in planned]
    assert all(row["device"].startswith("InfiniTime") for row in executed)
    assert all("meant" not in row for row in executed)
