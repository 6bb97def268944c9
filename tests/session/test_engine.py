"""The session engine's logic: anchoring, pause, resume, skip, stop, devices leaving."""

from __future__ import annotations

import asyncio
import math

import pytest

from companion.devices.link import LinkState
from companion.errors import SessionError
from companion.events import EventBus, HubEvent, SessionEnded, SessionStarted
from companion.session.engine import SessionEngine, SessionState
from routines import CueKind, CuePlan, PlanOptions, compile_plan, load_library
from tests.session.links import ManualClock, RecordingLink
from tests.virtual_time import VirtualTime

LEAD = 0.5


def seed_plan(speed: float = 1.0) -> CuePlan:
    return compile_plan(load_library(None).get("one-minute-back"), PlanOptions(speed=speed))


def make_engine(
    plan: CuePlan, links: list[RecordingLink], clock: ManualClock | None = None
) -> tuple[SessionEngine, list[HubEvent]]:
    events: list[HubEvent] = []
    engine = SessionEngine(
        plan,
        lambda: links,
        events.append,
        clock=clock or ManualClock(),
        lead_s=LEAD,
        abort_after_s=30.0,
    )
    return engine, events


async def test_start_anchors_every_cue_on_one_absolute_clock() -> None:
    plan = seed_plan()
    clock = ManualClock(500.0)
    link = RecordingLink()
    engine, events = make_engine(plan, [link], clock)
    engine.start()
    schedule = link.last_schedule()
    assert [c.cue_id for c in schedule] == [c.index for c in plan.cues]
    assert [c.deadline for c in schedule] == [500.0 + LEAD + c.offset_s for c in plan.cues]
    assert [c.pattern for c in schedule] == [c.pattern for c in plan.cues]
    assert engine.state is SessionState.COUNTDOWN
    assert events[0].event_type == "session_started"
    engine.stop()


async def test_pause_then_resume_moves_what_is_left_by_the_pause() -> None:
    plan = seed_plan()
    clock = ManualClock(100.0)
    link = RecordingLink()
    engine, events = make_engine(plan, [link], clock)
    engine.start()
    before = link.last_schedule()
    clock.advance(0.2)
    engine.pause()
    assert link.calls[-1] == ("pause", ())
    assert engine.state is SessionState.PAUSED
    clock.advance(10.0)
    engine.resume()
    after = link.last_schedule()
    # Resumed at 110.2 with the lead: everything moves by 10.0 + LEAD.
    assert [c.cue_id for c in after] == [c.cue_id for c in before]
    for old, new in zip(before, after, strict=True):
        assert new.deadline == pytest.approx(old.deadline + 10.0 + LEAD)
    assert [e.event_type for e in events] == [
        "session_started",
        "session_paused",
        "session_resumed",
    ]
    engine.stop()


async def test_skip_goes_to_the_next_exercise_now() -> None:
    plan = seed_plan()
    clock = ManualClock(0.0)
    link = RecordingLink()
    engine, _ = make_engine(plan, [link], clock)
    engine.start()
    clock.advance(0.1)
    engine.skip()  # from the countdown: the first exercise starts after the lead
    first = link.last_schedule()[0]
    assert plan.cues[first.cue_id].kind is CueKind.STEP_CHANGE
    assert plan.cues[first.cue_id].step_index == 0
    assert first.deadline == pytest.approx(0.1 + LEAD)
    engine.skip()  # nothing fired yet: the pending head is still step 0's change
    engine.stop()


async def test_stop_tells_every_device_and_ends_stopped() -> None:
    links = [RecordingLink("watch"), RecordingLink("puck")]
    engine, events = make_engine(seed_plan(), links)
    engine.start()
    engine.stop("changed my mind")
    result = await engine.wait()
    assert result.status is SessionState.STOPPED
    assert result.reason == "changed my mind"
    assert all(link.calls[-1] == ("stop", ()) for link in links)
    assert events[-1].to_dict()["status"] == "stopped"
    with pytest.raises(SessionError, match="cannot pause"):
        engine.pause()


async def test_controls_refuse_in_the_wrong_state() -> None:
    engine, _ = make_engine(seed_plan(), [RecordingLink()])
    with pytest.raises(SessionError, match="cannot resume"):
        engine.resume()
    with pytest.raises(SessionError, match="never started"):
        await engine.wait()
    engine.start()
    with pytest.raises(SessionError, match="already countdown"):
        engine.start()
    engine.stop()


async def test_a_whole_session_fires_every_cue_in_order_and_completes() -> None:
    plan = seed_plan()
    link = RecordingLink()
    events: list[HubEvent] = []
    bus = EventBus()
    subscription = bus.subscribe()
    time = VirtualTime(0.0)
    engine = SessionEngine(plan, lambda: [link], bus.publish, clock=time, timers=time, lead_s=LEAD)
    engine.start()
    time.advance_to(LEAD + plan.duration_s + 5.0)
    result = await asyncio.wait_for(engine.wait(), 1)
    while (event := subscription.get_nowait()) is not None:
        events.append(event)
    assert result.status is SessionState.COMPLETED
    assert [p.cue_id for p in result.planned] == [c.index for c in plan.cues]
    steps = [e.to_dict()["step"] for e in events if e.event_type == "step_changed"]
    assert steps == [s.id for s in plan.steps]
    phases = [e.to_dict()["phase"] for e in events if e.event_type == "breath_phase"]
    expected = [
        c.kind.value for c in plan.cues if c.kind in (CueKind.INHALE, CueKind.EXHALE, CueKind.HOLD)
    ]
    assert phases == expected
    assert events[-1].event_type == "session_ended"
    assert link.calls[-1] == ("stop", ())


async def test_when_every_device_is_gone_the_session_pauses_then_resumes() -> None:
    plan = seed_plan()
    clock = ManualClock(0.0)
    link = RecordingLink(held_until=0.0)
    engine, events = make_engine(plan, [link], clock)
    engine.start()
    link.state = link.state.RECONNECTING
    engine.links_changed()  # the device holds nothing: pause at once (next loop turn)
    await asyncio.sleep(0.01)
    assert engine.state is SessionState.PAUSED
    assert engine.view().paused_reason == "no wearable connected"
    link.state = link.state.READY
    engine.links_changed()
    assert engine.view().state is SessionState.COUNTDOWN
    assert [e.event_type for e in events][-2:] == ["session_paused", "session_resumed"]
    engine.stop()


async def test_a_device_holding_cues_keeps_the_session_going_through_a_drop() -> None:
    clock = ManualClock(0.0)
    link = RecordingLink(held_until=3600.0)
    engine, _ = make_engine(seed_plan(), [link], clock)
    engine.start()
    link.state = link.state.RECONNECTING
    engine.links_changed()
    await asyncio.sleep(0.01)
    assert engine.state is SessionState.COUNTDOWN
    link.state = link.state.READY
    engine.links_changed()
    assert engine.state is SessionState.COUNTDOWN
    engine.stop()


async def test_devices_that_hold_all_that_is_left_never_pause_the_session() -> None:
    clock = ManualClock(0.0)
    link = RecordingLink(held_until=math.inf)
    engine, events = make_engine(seed_plan(), [link], clock)
    engine.start()
    link.state = link.state.RECONNECTING
    engine.links_changed()
    await asyncio.sleep(0.05)
    assert engine.state is SessionState.COUNTDOWN
    assert "session_paused" not in [e.event_type for e in events]
    engine.stop()


async def test_the_session_aborts_when_no_device_comes_back_in_time() -> None:
    clock = ManualClock(0.0)
    link = RecordingLink(held_until=0.0)
    engine = SessionEngine(
        seed_plan(), lambda: [link], lambda e: None, clock=clock, abort_after_s=0.02
    )
    engine.start()
    link.state = link.state.RECONNECTING
    engine.links_changed()
    result = await asyncio.wait_for(engine.wait(), 5)
    assert result.status is SessionState.ABORTED
    assert "no wearable came back within 0.02 s" in result.reason


async def test_a_newcomer_gets_what_is_left_and_others_are_not_told_twice() -> None:
    clock = ManualClock(0.0)
    first, second = RecordingLink("first"), RecordingLink("second")
    links = [first]
    engine, _ = make_engine(seed_plan(), links, clock)
    engine.start()
    links.append(second)
    engine.links_changed()
    assert len([c for c in first.calls if c[0] == "play"]) == 1
    assert second.last_schedule() == first.last_schedule()
    engine.stop()


async def test_a_screen_only_session_serves_no_device_and_reports_nothing_felt() -> None:
    plan = seed_plan()
    time = VirtualTime(0.0)
    link = RecordingLink()
    events: list[HubEvent] = []
    engine = SessionEngine(
        plan, lambda: [link], events.append, clock=time, timers=time, lead_s=LEAD, screen_only=True
    )
    engine.start()
    assert link.calls == []
    # No wearable to wait for: one coming or going changes nothing, and no watch pauses it.
    link.state = LinkState.CLOSED
    engine.links_changed()
    time.advance_to(LEAD + plan.duration_s + 600.0)
    result = await asyncio.wait_for(engine.wait(), 1)
    assert result.status is SessionState.COMPLETED
    assert link.calls == []
    assert [e.event_type for e in events if e.event_type == "session_paused"] == []
    started, ended = events[0], events[-1]
    assert isinstance(started, SessionStarted)
    assert started.screen_only
    assert isinstance(ended, SessionEnded)
    # Nothing was felt, and nothing claims otherwise: "not reported", as MQTT says it.
    assert (ended.cues_planned, ended.cues_executed, ended.onset_error_ms) == (25, None, None)
    assert result.figures.felt() == "not reported"
