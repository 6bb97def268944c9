"""Snapshots (pytest-textual-snapshot) of home, the session view mid-inhale and mid-exhale,
devices and help.

Time is frozen: the hub and the app read a ManualClock, which each test sets to the moment
it wants (half-way through a breath phase), so the breath indicator and the counters are
the same on every run whatever the machine's load. `snap_compare` runs the app in its own
event loop, so these tests are synchronous.
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
from routines import CueKind, load_library
from tests.session.links import ManualClock
from tests.tui.links import StillLink

SIZE = (100, 34)
START = 1000.0


class SnapCompare(Protocol):
    def __call__(
        self,
        app: BackstretchApp,
        press: tuple[str, ...] = (),
        terminal_size: tuple[int, int] = (80, 24),
        run_before: Callable[[Pilot[None]], Awaitable[None] | None] | None = None,
    ) -> bool: ...


def build(tmp_path: Path) -> tuple[BackstretchApp, Hub, ManualClock]:
    clock = ManualClock(START)
    hub = Hub(
        load_library(None),
        clock=clock,
        wall_clock=lambda: datetime(2025, 3, 4, 9, 30, tzinfo=UTC),
    )
    notice = NoticeStore(tmp_path / "notice")
    notice.dismiss()
    app = BackstretchApp(hub, notice=notice, clock=clock)
    app.animation_level = "none"
    return app, hub, clock


async def settle(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    for _ in range(200):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the app never reached the state the snapshot needs")


def session_at(
    hub: Hub, clock: ManualClock, step: str, kind: CueKind
) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Start a session, then freeze the clock half-way through the first `kind` cue of `step`."""

    async def run_before(pilot: Pilot[None]) -> None:
        hub.add_link(StillLink())
        await pilot.pause()
        await pilot.press("enter")
        engine = hub.engine
        assert engine is not None
        cue = next(c for c in engine.plan.cues if c.step_id == step and c.kind is kind)
        # The engine anchors the plan one lead time after the start.
        clock.now = START + DEFAULT_LEAD_S + cue.offset_s + cue.duration_s / 2
        # Its timer fires within the lead time and catches up to the frozen moment.
        await settle(pilot, lambda: engine.view().phase == kind.value)
        await settle(pilot, lambda: engine.view().step == step)
        await pilot.pause(0.2)  # a couple of redraws at the frozen moment

    return run_before


def test_home(snap_compare: SnapCompare, tmp_path: Path) -> None:
    app, hub, _ = build(tmp_path)

    async def run_before(pilot: Pilot[None]) -> None:
        hub.add_link(StillLink())
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        app.screen.show_status()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_session_mid_inhale(snap_compare: SnapCompare, tmp_path: Path) -> None:
    app, hub, clock = build(tmp_path)
    run_before = session_at(hub, clock, "sphinx", CueKind.INHALE)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_session_mid_exhale(snap_compare: SnapCompare, tmp_path: Path) -> None:
    app, hub, clock = build(tmp_path)
    run_before = session_at(hub, clock, "knee-rolls", CueKind.EXHALE)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_devices(snap_compare: SnapCompare, tmp_path: Path) -> None:
    app, hub, _ = build(tmp_path)

    async def run_before(pilot: Pilot[None]) -> None:
        hub.add_link(StillLink())
        await pilot.pause()
        await pilot.press("d")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
def test_help(snap_compare: SnapCompare, tmp_path: Path, theme: str) -> None:
    app, _, _ = build(tmp_path)

    async def run_before(pilot: Pilot[None]) -> None:
        app.theme = theme
        await pilot.pause()
        await pilot.press("f1")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
