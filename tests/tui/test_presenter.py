"""The presenter: display values from an engine's view at a given moment (no Textual)."""

from __future__ import annotations

import pytest

from companion.devices.capabilities import Capabilities, Timing
from companion.events import EventBus
from companion.session.engine import SessionEngine, SessionState
from companion.state import DeviceState, HubSnapshot
from companion.tui.gauges import breath_rows, progress_text
from companion.tui.presenter import (
    breath_level,
    capability_words,
    clock_sync_words,
    device_line,
    device_row,
    exercise_timing,
    format_seconds,
    present_session,
)
from routines import Cue, CueKind, CuePlan, PlanOptions, compile_plan, load_library
from tests.session.links import ManualClock, RecordingLink

LEAD = 0.5


def plan() -> CuePlan:
    return compile_plan(load_library(None).get("one-minute-back"), PlanOptions())


def first(plan: CuePlan, step: str, kind: CueKind) -> Cue:
    return next(c for c in plan.cues if c.step_id == step and c.kind is kind)


def test_inhale_grows_exhale_shrinks_and_a_hold_rests() -> None:
    fractions = [i / 10 for i in range(11)]
    inhale = [breath_level("inhale", f, 0.3) for f in fractions]
    exhale = [breath_level("exhale", f, 0.3) for f in fractions]
    assert inhale == sorted(inhale)
    assert (inhale[0], inhale[-1]) == (0.0, 1.0)
    assert exhale == sorted(exhale, reverse=True)
    assert (exhale[0], exhale[-1]) == (1.0, 0.0)
    assert inhale[5] == pytest.approx(0.5)
    assert {breath_level("hold", f, 0.8) for f in fractions} == {0.8}


async def test_the_view_is_computed_from_the_plan_timestamps() -> None:
    the_plan = plan()
    inhale = first(the_plan, "sphinx", CueKind.INHALE)
    clock = ManualClock(100.0)
    engine = SessionEngine(
        the_plan, lambda: [RecordingLink()], EventBus().publish, clock=clock, lead_s=LEAD
    )
    engine.start()
    # Let the engine fire everything up to the middle of the sphinx's inhale.
    clock.now = 100.0 + LEAD + inhale.offset_s + inhale.duration_s / 2
    engine._fire()  # the loop timer's job, done by hand on the frozen clock
    view = engine.view()
    assert (view.step, view.phase) == ("sphinx", "inhale")
    snapshot = HubSnapshot(session="running")
    now = clock.now
    mid = present_session(view, the_plan, snapshot, now, cue_text="Inhale, lift your chest")
    assert mid.level == pytest.approx(0.5)
    assert mid.seconds_left == pytest.approx(inhale.duration_s / 2)
    assert mid.phase_word == "Breathe in"
    assert mid.step_label == "Exercise 2 of 4"
    assert mid.next_label == "Next: Belly lift"
    remaining = the_plan.duration_s - (now - 100.0 - LEAD)
    assert mid.remaining_s == pytest.approx(remaining)
    assert mid.progress == pytest.approx(1 - remaining / the_plan.duration_s)
    # A quarter of a second later the indicator has grown, by the plan's clock alone.
    later = present_session(view, the_plan, snapshot, now + 0.25)
    assert later.level > mid.level
    assert later.seconds_left == pytest.approx(inhale.duration_s / 2 - 0.25)
    engine.pause()
    paused = present_session(engine.view(), the_plan, snapshot, now + 5, rest_level=0.5)
    assert (paused.phase_word, paused.seconds_left, paused.level) == ("Paused", None, 0.5)
    engine.stop()


async def test_countdown_counts_to_the_first_exercise() -> None:
    the_plan = plan()
    clock = ManualClock(0.0)
    engine = SessionEngine(
        the_plan, lambda: [RecordingLink()], EventBus().publish, clock=clock, lead_s=LEAD
    )
    engine.start()
    clock.now = LEAD + 0.5
    engine._fire()
    assert engine.state is SessionState.COUNTDOWN
    values = present_session(engine.view(), the_plan, HubSnapshot(), clock.now)
    assert values.phase_word == "Get ready"
    assert values.seconds_left == pytest.approx(2.5)
    assert format_seconds(values.seconds_left) == "3"
    assert values.next_label == "Next: Knee rolls"
    engine.stop()


def test_device_line_says_what_a_drop_means() -> None:
    gone = DeviceState(
        id="A", name="Band", connected=False, battery=50, profile="native", state="reconnecting"
    )
    here = gone.model_copy(update={"connected": True, "state": "ready"})
    assert device_line(HubSnapshot()).startswith("No wearable connected")
    assert device_line(HubSnapshot(devices=(here,))) == "Band connected, battery 50%"
    running = device_line(HubSnapshot(session="running", devices=(gone,)))
    assert running.startswith("Band reconnecting…")
    assert "goes on" in running
    paused = device_line(
        HubSnapshot(session="paused", paused_reason="no wearable connected", devices=(gone,))
    )
    assert "session paused (no wearable connected)" in paused


def test_the_devices_screen_says_what_each_device_can_do() -> None:
    band = DeviceState(id="A", name="Band", connected=True, battery=None, profile="ias")
    assert device_row(band).detail == "Band (ias): capabilities not known yet"
    host_timed = Capabilities(Timing.HOST, False, False, True, (35, 35), 1)
    row = device_row(band.model_copy(update={"capabilities": host_timed}))
    assert row.detail == "Band (ias): host-timed, cues not reported, battery; 35 ms pulses, on/off"
    device_timed = Capabilities(Timing.DEVICE, True, True, True, (10, 2550), 255)
    assert capability_words("Puck", "native", device_timed) == (
        "Puck (native): device-timed, reports cues, button, battery; "
        "pulses 10 to 2550 ms, 255 intensity levels"
    )


def test_small_formats() -> None:
    assert clock_sync_words(None, None) == "not synced"
    assert clock_sync_words(4.2, 1.5) == "good 4.2ms +2ppm"
    assert clock_sync_words(120.0, None).startswith("poor")
    assert [format_seconds(s) for s in (2.01, 2.0, 0.2, 0.0, None)] == ["3", "2", "1", "0", ""]
    assert progress_text(0.5, 42.0, 30) == "━" * 10 + "─" * 10 + " 0:42 left"
    timing = exercise_timing(plan())
    assert timing["belly-lift"].endswith("2 rounds")
    rows = breath_rows(0.5, 40, 3)
    assert len(rows) == 3
    assert all(len(row) == 40 for row in rows)
    assert breath_rows(1.0, 40, 3)[1].count("█") > rows[1].count("█")
