"""Pilot tests of the TUI's flows.

Flows that need a whole session run on a virtual clock (`tests.virtual_time`): the test
moves time and the session follows, so nothing depends on how busy the machine is. Flows
about a real wearable (pause, skip, stop, a link drop) run on the simulated wearable over
bumble's virtual link and assert only what does not depend on timing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Static, Switch

from companion.devices.radio import Radio
from companion.history import open_history
from companion.hub import Hub
from companion.session.engine import DEFAULT_LEAD_S, SessionState
from companion.tui.app import BackstretchApp
from companion.tui.devices_screen import DevicesScreen
from companion.tui.dialogs import ConfirmStop, HelpScreen, SafetyNotice, ScreenOnlyOffer
from companion.tui.exercise_list import ExerciseList
from companion.tui.history_screen import HistoryScreen
from companion.tui.home import HomeScreen
from companion.tui.notice import NoticeStore
from companion.tui.session_screen import SessionScreen
from routines import load_library
from tests.tui.links import StillLink
from tests.virtual_time import VirtualTime

SIZE = (100, 34)


async def until(pilot: Pilot[None], condition: Callable[[], bool], within_s: float = 30.0) -> None:
    """Let the app run until `condition` holds; a generous bound, for a loaded machine."""
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never held")
        await pilot.pause(0.02)


def session_screen(app: BackstretchApp) -> SessionScreen:
    screen = app.screen
    assert isinstance(screen, SessionScreen), f"on {type(screen).__name__}"
    return screen


def state_of(hub: Hub) -> SessionState:
    """The session state, read afresh (a property read would be narrowed by mypy)."""
    return hub.session_state


def running(app: BackstretchApp) -> bool:
    return app.is_running


def bell(app: BackstretchApp) -> bool:
    return app.bell_on_cues


def pace_for_all(hub: Hub) -> float | None:
    return hub.pace_bpm


def notifications(app: BackstretchApp) -> list[str]:
    return [notification.message for notification in app._notifications]


def text_of(screen: Screen[Any], selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def footer(app: BackstretchApp) -> dict[str, str]:
    """What the footer shows: each key's label, by the key as written there."""
    return {
        active.binding.key_display or active.binding.key: active.binding.description
        for active in app.screen.active_bindings.values()
        if active.binding.show and active.enabled
    }


def virtual_app(
    notice: NoticeStore, *, link: bool = False, **kwargs: object
) -> tuple[BackstretchApp, Hub, VirtualTime]:
    """An app whose hub runs sessions on a virtual clock."""
    clock = VirtualTime()
    hub = Hub(load_library(None), clock=clock, timers=clock)
    if link:
        hub.links.append(StillLink())  # connected, never reports: no task needed
    app = BackstretchApp(hub, notice=notice, clock=clock, **kwargs)  # type: ignore[arg-type]
    return app, hub, clock


async def run_session(pilot: Pilot[None], screen: SessionScreen, clock: VirtualTime) -> set[str]:
    """Move the virtual clock through the whole session, redrawing after each step; the
    exercises the view showed on the way."""
    seen: set[str] = set()
    while screen.result is None:
        clock.advance(0.5)
        await pilot.pause()
        screen.redraw()
        if screen.display_values is not None:
            seen.add(screen.display_values.step_label)
    return seen


# -- sessions on a simulated wearable ---------------------------------------------------


async def test_start_pause_resume_skip_and_stop_with_confirmation(
    sim_hub: tuple[Hub, Radio], dismissed_notice: NoticeStore
) -> None:
    hub, _radio = sim_hub
    app = BackstretchApp(hub, notice=dismissed_notice, speed=4.0)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("enter")
        screen = session_screen(app)
        await until(pilot, lambda: screen.engine.view().step_index == 0)
        await until(
            pilot,
            lambda: screen.display_values is not None and screen.display_values.phase != "none",
        )
        values = screen.display_values
        assert values is not None
        assert values.step_label == "Exercise 1 of 4"
        assert values.title == "Knee rolls"
        assert text_of(screen, "#title") == "KNEE ROLLS"
        assert footer(app)["space"] == "Pause"

        await pilot.press("space")
        assert state_of(hub) is SessionState.PAUSED
        await until(pilot, lambda: text_of(screen, "#phase") == "Paused")
        # Paused, the same key resumes, and the footer says so; skipping waits.
        keys = footer(app)
        assert keys["space"] == "Resume"
        assert "n" not in keys
        await pilot.press("space")
        assert state_of(hub) in (SessionState.COUNTDOWN, SessionState.RUNNING)
        assert footer(app)["space"] == "Pause"

        await pilot.press("n")
        await until(pilot, lambda: screen.engine.view().step_index == 1)
        await until(pilot, lambda: text_of(screen, "#title") == "SPHINX")
        assert "Exercise 2 of 4" in text_of(screen, "#where")
        assert text_of(screen, "#next") == "Next: Belly lift"

        await pilot.press("x")
        assert isinstance(app.screen, ConfirmStop)
        await pilot.press("n")  # keep going
        assert hub.engine is not None
        assert hub.engine.active
        await pilot.press("x")
        await pilot.press("y")
        assert state_of(hub) is SessionState.STOPPED
        await until(pilot, lambda: screen.result is not None)
        rows = text_of(screen, "#summary-rows")
        assert "stopped: stopped from the terminal" in rows
        assert "Exercises done  1 of 4" in rows
        assert "Sessions today  0" in rows
        assert "Session stopped: stopped from the terminal" in notifications(app)


async def test_a_link_drop_shows_on_the_session_view(
    sim_hub: tuple[Hub, Radio], dismissed_notice: NoticeStore
) -> None:
    hub, radio = sim_hub
    app = BackstretchApp(hub, notice=dismissed_notice, speed=2.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        screen = session_screen(app)
        await until(pilot, lambda: "connected" in text_of(screen, "#device"))
        radio.wearables[0].begin_outage(1.5)
        await until(pilot, lambda: "reconnecting" in text_of(screen, "#device"))
        line = text_of(screen, "#device")
        # Whether the session goes on (the wearable holds its next cues) or has paused (they
        # ran out before the link came back), the view says which.
        if state_of(hub) is SessionState.PAUSED:
            assert "session paused (no wearable connected)" in line
        else:
            assert "the session goes on" in line
        assert any("dropped" in message for message in notifications(app))
        await until(pilot, lambda: "reconnecting" not in text_of(screen, "#device"))
        assert "connected" in text_of(screen, "#device")
        hub.stop("test over")


# -- whole sessions on a virtual clock ---------------------------------------------------


async def test_a_whole_session_runs_to_its_summary(dismissed_notice: NoticeStore) -> None:
    app, hub, clock = virtual_app(dismissed_notice, link=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        screen = session_screen(app)
        seen = await run_session(pilot, screen, clock)
        # The view followed the plan through every exercise.
        assert {f"Exercise {n} of 4" for n in range(1, 5)} <= seen
        result = screen.result
        assert result is not None
        assert result.status is SessionState.COMPLETED
        assert len(result.planned) == 25
        rows = text_of(screen, "#summary-rows")
        assert "Result          completed" in rows
        assert "Exercises done  4 of 4" in rows
        # The wearable here never reports what it played: none felt, as far as we know.
        assert "Cues felt       0 of 25" in rows
        assert "Cue timing      not reported" in rows
        # From the start to the end, the second before the countdown and after the end cue
        # included: 1:11 of plan.
        assert "Duration        1:13" in rows
        assert "Sessions today  1" in rows
        assert "Streak          1 day" in rows
        assert screen.has_class("ended")
        assert footer(app)["enter"] == "Start again"

        # The history screen lists it by title; its switch drives the hub's schedule.
        await pilot.press("h")
        history = app.screen
        assert isinstance(history, HistoryScreen)
        table = history.query_one("#recent", DataTable)
        assert table.row_count == 1
        assert table.get_row_at(0)[1:3] == ["One-minute back stretch", "completed"]
        assert "Today: 1 session · streak: 1 day" in str(
            history.query_one("#counts", Static).render()
        )
        switch = history.query_one("#schedule", Switch)
        assert (switch.value, hub.schedule_enabled) == (False, False)
        switch.toggle()
        await pilot.pause()
        assert (switch.value, hub.schedule_enabled) == (True, True)
        await pilot.press("escape")
        assert app.screen is screen

        # enter on the summary runs the same session again.
        await pilot.press("enter")
        assert isinstance(app.screen, SessionScreen)
        assert app.screen is not screen
        assert state_of(hub) is SessionState.COUNTDOWN


async def test_without_a_wearable_a_screen_only_session_runs_and_is_recorded(
    dismissed_notice: NoticeStore, tmp_path: Path
) -> None:
    app, hub, clock = virtual_app(dismissed_notice)
    async with open_history(tmp_path / "history.sqlite3") as history:
        history.attach(hub)
        async with app.run_test(size=SIZE) as pilot:
            status = text_of(app.screen, "#status")
            assert "enter starts on the screen alone" in status
            await pilot.press("enter")
            assert isinstance(app.screen, ScreenOnlyOffer)
            await pilot.press("escape")  # not now
            assert isinstance(app.screen, HomeScreen)
            assert hub.engine is None
            await pilot.press("enter", "b")  # on the screen, with the bell
            screen = session_screen(app)
            assert screen.engine.screen_only
            assert bell(app)
            clock.advance(DEFAULT_LEAD_S + 5.0)
            await pilot.pause()
            screen.redraw()
            assert text_of(screen, "#device").startswith("Screen only: no wearable")
            assert "the bell rings on each cue" in text_of(screen, "#device")
            assert footer(app)["b"] == "Bell"
            await pilot.press("b")
            assert not bell(app)
            await run_session(pilot, screen, clock)
            rows = text_of(screen, "#summary-rows")
            assert "Result          completed" in rows
            assert "Cues felt       not reported (screen only, no wearable)" in rows
        # History writes on its own thread, in order: this read comes after them.
        [record] = await history.recent()
    assert (record.routine, record.outcome, record.screen_only) == (
        "one-minute-back",
        "completed",
        True,
    )
    assert record.cues_executed is None


async def test_quitting_during_a_session_asks_first(dismissed_notice: NoticeStore) -> None:
    app, hub, clock = virtual_app(dismissed_notice, link=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        clock.advance(DEFAULT_LEAD_S + 10.0)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmStop)
        assert app.screen.quitting
        await pilot.press("n")
        assert isinstance(app.screen, SessionScreen)
        assert state_of(hub) is SessionState.RUNNING
        assert running(app)
        await pilot.press("q", "y")
        assert state_of(hub) is SessionState.STOPPED
        await pilot.pause()
        assert not running(app)
    assert hub.engine is not None
    assert hub.engine.result().reason == "the terminal UI was closed"


async def test_quitting_with_no_session_does_not_ask(dismissed_notice: NoticeStore) -> None:
    app, _hub, _clock = virtual_app(dismissed_notice)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert not running(app)


# -- home: exercises, rounds, pace -------------------------------------------------------


async def test_exercises_and_rounds_are_chosen_on_the_list(dismissed_notice: NoticeStore) -> None:
    app, hub, _clock = virtual_app(dismissed_notice, link=True)
    async with app.run_test(size=SIZE) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen)
        exercises = home.query_one("#exercises", ExerciseList)
        # Focus starts on the exercises; the footer says what space and tab do here.
        assert app.focused is exercises
        keys = footer(app)
        assert (keys["space"], keys["tab"], keys["?"]) == ("Include", "Routines", "Help")
        assert "Pause" not in keys.values()
        assert "Rounds" not in keys.values()  # knee rolls: one round, no choice

        await pilot.press("space")  # skip knee rolls
        prompt = exercises.get_option_at_index(0).prompt
        assert "✗ Knee rolls skipped" in str(prompt)
        assert "✓ Sphinx" in str(exercises.get_option_at_index(1).prompt)

        await pilot.press("down", "down", "space", "down")  # skip belly lift; to cat-cow
        assert footer(app)["←/→"] == "Rounds"
        cat_cow = str(exercises.get_option_at_index(3).prompt)
        assert "3 rounds (3-4, ←/→)" in cat_cow
        await pilot.press("right", "right")  # four is the most it allows
        assert "4 rounds (3-4, ←/→)" in str(exercises.get_option_at_index(3).prompt)
        assert "2 of 4 exercises" in text_of(home, "#pace")

        await pilot.press("tab")
        assert footer(app)["tab"] == "Exercises"
        await pilot.press("enter")
        plan = session_screen(app).engine.plan
        assert [(step.id, step.rounds) for step in plan.steps] == [("sphinx", 1), ("cat-cow", 4)]
        hub.stop("test over")


async def test_with_every_exercise_skipped_there_is_nothing_to_start(
    dismissed_notice: NoticeStore,
) -> None:
    app, hub, _clock = virtual_app(dismissed_notice, link=True)
    async with app.run_test(size=SIZE) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen)
        await pilot.press("space", "down", "space", "down", "space", "down", "space")
        assert "choose at least one exercise" in text_of(home, "#pace")
        await pilot.press("enter")
        assert isinstance(app.screen, HomeScreen)
        assert hub.engine is None
        assert "Choose at least one exercise (space on the list)" in notifications(app)


async def test_pace_is_per_routine_unless_set_for_every_routine(
    dismissed_notice: NoticeStore,
) -> None:
    app, hub, _clock = virtual_app(dismissed_notice, link=True)
    async with app.run_test(size=SIZE) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert "10 breaths per minute, the routine's own" in text_of(home, "#pace")
        await pilot.press("minus", "minus")
        assert hub.pace_for("one-minute-back") == (8.0, "routine")
        assert "8 breaths per minute, set for this routine (its own: 10)" in text_of(home, "#pace")
        # Another routine keeps its own pace.
        assert hub.pace_for("desk-breathing") == (6.0, "own")
        await pilot.press("tab", "up")  # the routines table; desk breathing is first
        assert hub.routine == "desk-breathing"
        assert "6 breaths per minute, the routine's own" in text_of(home, "#pace")

        # g: this pace for every routine, until g again.
        await pilot.press("g")
        assert pace_for_all(hub) == 6.0
        assert hub.pace_for("one-minute-back") == (6.0, "all")
        assert "set for every routine" in text_of(home, "#pace")
        await pilot.press("plus")
        assert hub.pace_for("one-minute-back") == (7.0, "all")
        await pilot.press("g")
        assert pace_for_all(hub) is None
        assert hub.pace_for("one-minute-back") == (8.0, "routine")

        await pilot.press("down")
        await pilot.press("0")
        assert hub.pace_for("one-minute-back") == (10.0, "own")
        await pilot.press("minus", "enter")
        assert session_screen(app).engine.plan.pace_bpm == 9.0
        hub.stop("test over")


# -- other screens -----------------------------------------------------------------------


async def test_the_safety_notice_is_shown_once() -> None:
    hub = Hub(load_library(None))
    store = NoticeStore()  # under $XDG_STATE_HOME, which the fixture points at a tmp dir
    assert not store.dismissed()
    first = BackstretchApp(hub, notice=store)
    async with first.run_test(size=SIZE) as pilot:
        notice = first.screen
        assert isinstance(notice, SafetyNotice)
        assert "Consult a certified specialist before relying on it." in notice.notes
        await pilot.press("enter")
        assert isinstance(first.screen, HomeScreen)
    assert store.dismissed()
    second = BackstretchApp(Hub(load_library(None)), notice=NoticeStore())
    async with second.run_test(size=SIZE):
        assert isinstance(second.screen, HomeScreen)


async def test_devices_help_and_palette(
    sim_hub: tuple[Hub, Radio], dismissed_notice: NoticeStore
) -> None:
    hub, radio = sim_hub
    app = BackstretchApp(hub, notice=dismissed_notice)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        devices = app.screen
        assert isinstance(devices, DevicesScreen)
        table = devices.query_one("#devices", DataTable)
        row = table.get_row_at(0)
        assert row[0] == radio.wearables[0].name
        assert row[2] == "connected"
        assert row[5] == "native"
        assert row[6].startswith(("good", "fair", "poor"))
        detail = str(devices.query_one("#detail", Static).render())
        assert detail.startswith(f"{radio.wearables[0].name} (native): device-timed, reports cues")
        assert "Pause" not in footer(app).values()
        await pilot.press("d")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Start", "Devices", "History", "Help"} <= titles
        # The session's commands are offered only while there is a session.
        assert "Pause or resume" not in titles
        await pilot.press("enter")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Pause or resume", "Next", "Stop"} <= titles
        hub.stop("test over")
        app.theme = "textual-light"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
