"""Snapshots (pytest-textual-snapshot) of home, the session view (mid-inhale, mid-exhale,
paused, screen-only, too small), devices and help, at 80x24 and 60x15 where a person might
well run it in a small window.

Time is virtual: the hub and the app read a VirtualTime, which each test moves to the
moment it wants (half-way through a breath phase), firing the engine's timers on the way,
so the breath indicator and the counters are the same on every run whatever the machine's
load. `snap_compare` runs the app in its own event loop, so these tests are synchronous.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pytest
from textual.pilot import Pilot

from companion.hub import Hub
from companion.session.engine import DEFAULT_LEAD_S
from companion.tui.app import BackstretchApp
from companion.tui.home import HomeScreen
from companion.tui.notice import NoticeStore
from companion.tui.session_screen import SessionScreen
from routines import CueKind, load_library
from tests.tui.links import StillLink
from tests.virtual_time import VirtualTime

LARGE = (100, 34)
STANDARD = (80, 24)
SMALL = (60, 15)
SIZES = [pytest.param(STANDARD, id="80x24"), pytest.param(SMALL, id="60x15")]
START = 1000.0


class SnapCompare(Protocol):
    def __call__(
        self,
        app: BackstretchApp,
        press: tuple[str, ...] = (),
        terminal_size: tuple[int, int] = (80, 24),
        run_before: Callable[[Pilot[None]], Awaitable[None] | None] | None = None,
    ) -> bool: ...


def build(tmp_path: Path, *, wearable: bool = True) -> tuple[BackstretchApp, Hub, VirtualTime]:
    clock = VirtualTime(START)
    hub = Hub(
        load_library(None),
        clock=clock,
        timers=clock,
        wall_clock=lambda: datetime(2025, 3, 4, 9, 30, tzinfo=UTC),
    )
    if wearable:
        # Connected, with figures that never move; it needs no task of its own.
        hub.links.append(StillLink())
    notice = NoticeStore(tmp_path / "notice")
    notice.dismiss()
    app = BackstretchApp(hub, notice=notice, clock=clock)
    app.animation_level = "none"
    return app, hub, clock


def session_at(
    app: BackstretchApp,
    clock: VirtualTime,
    step: str,
    kind: CueKind,
    *,
    then: tuple[str, ...] = (),
) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Start a session, then move the clock half-way through the first `kind` cue of `step`
    (and press `then`)."""

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("enter")
        if not app.hub.links:
            await pilot.press("s")  # screen only
        engine = app.hub.engine
        assert engine is not None
        cue = next(c for c in engine.plan.cues if c.step_id == step and c.kind is kind)
        # The engine anchors the plan one lead time after the start.
        clock.advance_to(START + DEFAULT_LEAD_S + cue.offset_s + cue.duration_s / 2)
        assert (engine.view().step, engine.view().phase) == (step, kind.value)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        # Drawn at the new moment before any key: a pause keeps the indicator where the
        # last redraw left it, and on a loaded machine the screen's own tick may not have
        # come round yet.
        await pilot.pause()
        screen.redraw()
        await pilot.press(*then)
        await pilot.pause()
        screen.redraw()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_home(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    app, _, _ = build(tmp_path)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        app.screen.show_status()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_home_wide(snap_compare: SnapCompare, tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    assert snap_compare(app, terminal_size=LARGE)


@pytest.mark.parametrize("size", SIZES)
def test_session_mid_inhale(
    snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]
) -> None:
    app, _, clock = build(tmp_path)
    run_before = session_at(app, clock, "sphinx", CueKind.INHALE)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_session_paused(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    app, _, clock = build(tmp_path)
    run_before = session_at(app, clock, "cat-cow", CueKind.EXHALE, then=("space",))
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_session_mid_exhale_on_the_screen_only(snap_compare: SnapCompare, tmp_path: Path) -> None:
    app, _, clock = build(tmp_path, wearable=False)
    run_before = session_at(app, clock, "knee-rolls", CueKind.EXHALE)
    assert snap_compare(app, terminal_size=STANDARD, run_before=run_before)


def test_session_in_a_terminal_too_small(snap_compare: SnapCompare, tmp_path: Path) -> None:
    app, _, clock = build(tmp_path)
    run_before = session_at(app, clock, "belly-lift", CueKind.INHALE)
    assert snap_compare(app, terminal_size=(38, 9), run_before=run_before)


def test_devices(snap_compare: SnapCompare, tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    assert snap_compare(app, terminal_size=LARGE, press=("d",))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
def test_help(snap_compare: SnapCompare, tmp_path: Path, theme: str, size: tuple[int, int]) -> None:
    app, _, _ = build(tmp_path)

    async def run_before(pilot: Pilot[None]) -> None:
        app.theme = theme
        await pilot.pause()
        await pilot.press("f1")

    assert snap_compare(app, terminal_size=size, run_before=run_before)
