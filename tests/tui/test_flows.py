"""Pilot tests of the TUI's flows on a hub with a simulated wearable (bumble virtual link)."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import DataTable, Static, Switch

from companion.devices.radio import Radio
from companion.hub import Hub
from companion.session.engine import SessionState
from companion.tui.app import BackstretchApp
from companion.tui.devices_screen import DevicesScreen
from companion.tui.dialogs import ConfirmStop, HelpScreen, SafetyNotice
from companion.tui.history_screen import HistoryScreen
from companion.tui.home import HomeScreen
from companion.tui.notice import NoticeStore
from companion.tui.session_screen import SessionScreen
from routines import load_library

SIZE = (100, 34)


async def until(pilot: Pilot[None], condition: Callable[[], bool], turns: int = 400) -> None:
    """Let the app run until `condition` holds (a bounded number of short pauses)."""
    for _ in range(turns):
        if condition():
            return
        await pilot.pause(0.025)
    raise AssertionError("the condition never held")


def session_screen(app: BackstretchApp) -> SessionScreen:
    screen = app.screen
    assert isinstance(screen, SessionScreen), f"on {type(screen).__name__}"
    return screen


def state_of(hub: Hub) -> SessionState:
    """The session state, read afresh (a property read would be narrowed by mypy)."""
    return hub.session_state


def notifications(app: BackstretchApp) -> list[str]:
    return [notification.message for notification in app._notifications]


def text_of(screen: SessionScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


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

        await pilot.press("space")
        assert state_of(hub) is SessionState.PAUSED
        await until(pilot, lambda: text_of(screen, "#phase") == "Paused")
        await pilot.press("space")
        assert state_of(hub) in (SessionState.COUNTDOWN, SessionState.RUNNING)

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


async def test_a_whole_session_runs_to_its_summary(
    sim_hub: tuple[Hub, Radio], dismissed_notice: NoticeStore
) -> None:
    hub, _radio = sim_hub
    app = BackstretchApp(hub, notice=dismissed_notice, speed=10.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        screen = session_screen(app)
        seen_steps: set[str] = set()

        def finished() -> bool:
            if screen.display_values is not None:
                seen_steps.add(screen.display_values.step_label)
            return screen.result is not None

        await until(pilot, finished)
        # The view followed the plan through every exercise.
        assert {f"Exercise {n} of 4" for n in range(1, 5)} <= seen_steps
        result = screen.result
        assert result is not None
        assert result.status is SessionState.COMPLETED
        rows = text_of(screen, "#summary-rows")
        assert "Result          completed" in rows
        assert "Exercises done  4 of 4" in rows
        assert f"Cues felt       {result.figures.executed} of {len(result.planned)}" in rows
        # Every cue is accounted for. Not that every one was felt: the simulator runs in this
        # process beside the app, and on a loaded machine it may find a cue past its 100 ms
        # late limit and skip it, as a real device would. Timing is the benchmarks' business.
        assert len(result.planned) == 25
        executed, lost = result.figures.executed, result.figures.lost
        assert executed is not None
        assert lost is not None
        assert executed + lost == 25
        assert executed >= 20
        assert "Sessions today  1" in rows
        assert "Streak          1 day" in rows
        assert screen.has_class("ended")

        # The history screen lists it; its switch drives the hub's schedule setting.
        await pilot.press("h")
        history = app.screen
        assert isinstance(history, HistoryScreen)
        table = history.query_one("#recent", DataTable)
        assert table.row_count == 1
        assert table.get_row_at(0)[1:3] == ["one-minute-back", "completed"]
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


async def test_the_safety_notice_is_shown_once(tmp_path_factory: object) -> None:
    del tmp_path_factory
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


async def test_without_a_wearable_start_is_a_notification(dismissed_notice: NoticeStore) -> None:
    hub = Hub(load_library(None))
    app = BackstretchApp(hub, notice=dismissed_notice)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, HomeScreen)
        assert "no wearable is connected" in notifications(app)
        status = str(app.screen.query_one("#status", Static).render())
        assert "No wearable connected" in status
        # The session keys are there but do nothing without a session.
        await pilot.press("space", "n", "x")
        assert isinstance(app.screen, HomeScreen)


async def test_home_picks_exercises_and_pace_for_the_session(
    sim_hub: tuple[Hub, Radio], dismissed_notice: NoticeStore
) -> None:
    hub, _radio = sim_hub
    app = BackstretchApp(hub, notice=dismissed_notice, speed=20.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")  # to the exercise list
        await pilot.press("space", "down", "down", "space")  # skip knee rolls and belly lift
        assert app.chosen["one-minute-back"] == ("sphinx", "cat-cow")
        await pilot.press("minus", "minus")
        assert hub.pace_bpm == 8.0
        pace = str(app.screen.query_one("#pace", Static).render())
        assert "8 breaths per minute" in pace
        assert "2 of 4 exercises" in pace
        await pilot.press("enter")
        engine = session_screen(app).engine
        assert [step.id for step in engine.plan.steps] == ["sphinx", "cat-cow"]
        assert engine.plan.pace_bpm == 8.0
        hub.stop("test over")


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
        await pilot.press("d")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Start", "Pause or resume", "Next", "Stop", "Devices", "History", "Help"} <= titles
        app.theme = "textual-light"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
