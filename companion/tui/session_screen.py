"""The session view: what to do now, the breath, the time, and then a summary.

Redrawn from the engine's view and the hub clock (see `presenter`); the bus only supplies
the words of the current breath cue and the end of the session. Each redraw touches only
what changed: a text that is the same is not set again (setting it would lay the whole
screen out anew), and the breath indicator repaints only when its drawing moves.

The essentials (phase, seconds, breath indicator, time left, the pause and stop keys) stay
on screen down to 60x15; the extras give way first. Below 40x11 the view says it needs more
room and shows only the phase and the time left.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Digits, Header, Label, Static

from companion.events import BreathPhase, HubEvent, SessionEnded, StepChanged
from companion.session.engine import SessionEngine, SessionResult, SessionState
from companion.session.outcome import DONE_OUTCOMES
from companion.state import HubSnapshot
from companion.tui.footer import KeyFooter
from companion.tui.gauges import BreathIndicator, SessionProgress
from companion.tui.keys import SESSION_KEYS
from companion.tui.presenter import (
    SessionDisplay,
    format_seconds,
    present_session,
    screen_only_line,
    summary_rows,
)

if TYPE_CHECKING:
    from companion.tui.app import BackstretchApp

MIN_WIDTH, MIN_HEIGHT = 40, 11
SNAPSHOT_EVERY_S = 0.5
# Between breaths (holds, moves into position, the countdown), redraws this far apart.
STILL_REDRAW_S = 0.2


class Line(Static):
    """A Static that is only updated when its text changes, without a layout if it is one
    line high (its size cannot change)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes, markup=False)
        self.text = ""

    def show(self, text: str, *, layout: bool = False) -> None:
        if text != self.text:
            self.text = text
            self.update(text, layout=layout)


class SessionScreen(Screen[None]):
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012 - Textual types it as an instance attribute
        (0, "-cramped"),
        (MIN_WIDTH, "-narrow"),
        (72, "-wide"),
    ]
    VERTICAL_BREAKPOINTS = [  # noqa: RUF012 - Textual types it as an instance attribute
        (0, "-low"),
        (MIN_HEIGHT, "-short"),
        (22, "-tall"),
    ]
    DEFAULT_CSS = """
    SessionScreen #live { padding: 0 2; height: 1fr; }
    SessionScreen #where { color: $text-muted; height: 1; }
    SessionScreen #title-row { height: 3; }
    SessionScreen #title {
        width: 1fr; height: 3; border: tall $primary; padding: 0 1;
        text-style: bold; content-align: left middle;
    }
    SessionScreen #side {
        width: 12; height: 3; border: tall $warning; text-style: bold;
        content-align: center middle; color: $warning;
    }
    SessionScreen #side.none { display: none; }
    SessionScreen #instruction { margin-top: 1; height: auto; max-height: 4; }
    SessionScreen #phase-row { height: 3; margin-top: 1; }
    SessionScreen #phase {
        width: 1fr; height: 3; content-align: left middle; text-style: bold;
        background: $boost; padding: 0 1;
    }
    SessionScreen #phase.inhale { color: $success; }
    SessionScreen #phase.exhale { color: $accent; }
    SessionScreen #phase.hold { color: $warning; }
    SessionScreen #seconds { width: 12; height: 3; text-align: right; }
    SessionScreen #seconds-small {
        display: none; width: 6; height: 1; text-align: right; text-style: bold;
        background: $boost; padding: 0 1;
    }
    SessionScreen #breath { height: 1fr; min-height: 1; max-height: 5; }
    SessionScreen #cue { height: 1; content-align: center middle; width: 100%; }
    SessionScreen #progress { margin-top: 1; }
    SessionScreen #next { color: $text-muted; height: 1; }
    SessionScreen #device { height: 1; }
    SessionScreen #device.screen-only { color: $warning; text-style: bold; }
    SessionScreen #too-small { display: none; color: $warning; height: auto; }
    SessionScreen #summary { display: none; padding: 1 2; height: 1fr; }
    SessionScreen.ended #summary { display: block; }
    SessionScreen.ended #live { display: none; }
    SessionScreen #summary-title { text-style: bold; margin-bottom: 1; }
    SessionScreen #summary-hint { margin-top: 1; color: $text-muted; }

    /* Short terminals: the extras go, the phase row is one line, the indicator shrinks. */
    SessionScreen.-short Header { display: none; }
    SessionScreen.-short #title-row { display: none; }
    SessionScreen.-short #where { color: $text; text-style: bold; }
    SessionScreen.-short #instruction { max-height: 3; margin-top: 0; }
    SessionScreen.-short #phase-row { height: 1; margin-top: 1; }
    SessionScreen.-short #phase { height: 1; }
    SessionScreen.-short #seconds { display: none; }
    SessionScreen.-short #seconds-small { display: block; }
    SessionScreen.-short #breath { margin-top: 0; }
    SessionScreen.-short #cue { display: none; }
    SessionScreen.-short #next { display: none; }
    SessionScreen.-short #progress { margin-top: 0; }
    SessionScreen.-short #summary { padding: 0 1; }
    SessionScreen.-short #summary-title { margin-bottom: 0; }

    /* Too small for the view: say so, and keep only the phase and the time left. */
    SessionScreen.-low #live > *, SessionScreen.-cramped #live > * { display: none; }
    SessionScreen.-low #live > #too-small, SessionScreen.-cramped #live > #too-small,
    SessionScreen.-low #live > #phase-row, SessionScreen.-cramped #live > #phase-row,
    SessionScreen.-low #live > #progress, SessionScreen.-cramped #live > #progress {
        display: block;
    }
    SessionScreen.-low #phase-row, SessionScreen.-cramped #phase-row {
        height: 1; margin-top: 0;
    }
    SessionScreen.-low #phase, SessionScreen.-cramped #phase { height: 1; }
    SessionScreen.-low #seconds, SessionScreen.-cramped #seconds { display: none; }
    SessionScreen.-low #seconds-small, SessionScreen.-cramped #seconds-small { display: block; }
    SessionScreen.-low #progress, SessionScreen.-cramped #progress { margin-top: 0; }
    SessionScreen.-low #live, SessionScreen.-cramped #live { padding: 0 1; }
    SessionScreen.-low Header, SessionScreen.-cramped Header { display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        # One key, two meanings: the footer shows the one that applies now.
        Binding("space", "pause", SESSION_KEYS[0].label),
        Binding("space", "resume", "Resume"),
        *(key.binding() for key in SESSION_KEYS[1:]),
        Binding("enter", "again", "Start again", priority=True),
        Binding("escape", "back", "Routines"),
    ]

    def __init__(self, engine: SessionEngine) -> None:
        super().__init__()
        self.engine = engine
        self.display_values: SessionDisplay | None = None
        self.result: SessionResult | None = None
        self._cue_text = ""
        self._breathed_in_step = False
        self._level = 0.0
        self._state = engine.state
        self._snapshot: HubSnapshot | None = None
        self._snapshot_at = 0.0
        self._drawn_at = 0.0
        # Held here rather than looked up on every redraw.
        self._lines = {
            name: Line(id=name)
            for name in ("where", "title", "instruction", "phase", "seconds-small", "cue")
        }
        self._lines.update(next=Line(id="next"), device=Line(id="device"))
        self._side = Line(id="side", classes="none")
        self._digits = Digits(id="seconds")
        self._breath = BreathIndicator(id="breath")
        self._progress = SessionProgress(id="progress")

    @property
    def bs_app(self) -> BackstretchApp:
        return cast("BackstretchApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="live"):
            yield self._lines["where"]
            with Horizontal(id="title-row"):
                yield self._lines["title"]
                yield self._side
            yield self._lines["instruction"]
            yield Static(
                f"The terminal is too small for the session view (it needs {MIN_WIDTH}x"
                f"{MIN_HEIGHT}); the session goes on. space pauses, x stops.",
                id="too-small",
            )
            with Horizontal(id="phase-row"):
                yield self._lines["phase"]
                yield self._digits
                yield self._lines["seconds-small"]
            yield self._breath
            yield self._lines["cue"]
            yield self._progress
            yield self._lines["next"]
            yield self._lines["device"]
        with Vertical(id="summary"):
            yield Label(id="summary-title")
            yield Static(id="summary-rows")
            yield Static(
                "enter: the same session again · escape: back to the routines · h: history",
                id="summary-hint",
            )
        yield KeyFooter()

    def on_mount(self) -> None:
        if self.engine.screen_only:
            self.sub_title = "Screen only"
        self._lines["device"].set_class(self.engine.screen_only, "screen-only")
        self.redraw()
        self.set_interval(self.bs_app.refresh_interval, self.tick)

    # -- the bus ---------------------------------------------------------------------

    def on_hub_event(self, event: HubEvent) -> None:
        session_id = getattr(event, "session_id", None)
        if session_id is not None and session_id != self.engine.session_id:
            return
        if isinstance(event, StepChanged):
            self._breathed_in_step = False
            self._cue_text = ""
            self._ring()
        elif isinstance(event, BreathPhase):
            self._breathed_in_step = True
            self._cue_text = event.text
            self._ring()
        elif isinstance(event, SessionEnded):
            self.show_summary(self.engine.result())

    def _ring(self) -> None:
        """The terminal bell, the screen-only session's stand-in for a tap on the wrist."""
        if self.engine.screen_only and self.bs_app.bell_on_cues:
            self.app.bell()

    # -- drawing ---------------------------------------------------------------------

    def tick(self) -> None:
        """The timer's redraw: at the full rate while a breath moves the indicator; between
        breaths (holds, moves into position, the countdown) only the seconds change, and a
        few redraws a second keep them on time. Paced by the real clock: the screen's pace."""
        moment = time.monotonic()
        breathing = self.engine.view().phase in ("inhale", "exhale")
        if breathing or moment - self._drawn_at >= STILL_REDRAW_S:
            self._drawn_at = moment
            self.redraw()

    def redraw(self) -> None:
        """Show the session as it is now; only what changed is redrawn."""
        if self.result is not None:
            return
        app = self.bs_app
        now = app.clock()
        moment = time.monotonic()
        # The wearables' state moves slowly and costs a snapshot to read: twice a second.
        if self._snapshot is None or moment - self._snapshot_at >= SNAPSHOT_EVERY_S:
            self._snapshot, self._snapshot_at = app.hub.snapshot(), moment
        values = present_session(
            self.engine.view(),
            self.engine.plan,
            self._snapshot,
            now,
            rest_level=self._level,
            cue_text=self._cue_text,
            breathed_in_step=self._breathed_in_step,
        )
        self._level = values.level
        self.display_values = values
        if self.engine.state is not self._state:
            self._state = self.engine.state
            self.refresh_bindings()  # space: Pause or Resume
        lines = self._lines
        short = self.has_class("-short")
        where = f"{values.routine_title} · {values.step_label}"
        lines["where"].show(f"{values.title} · {values.step_label}" if short else where)
        lines["title"].show(values.title.upper())
        self._side.set_class(values.side is None, "none")
        self._side.show((values.side or "").upper())
        lines["instruction"].show(values.instruction, layout=True)
        phase = lines["phase"]
        for name in ("inhale", "exhale", "hold"):
            phase.set_class(values.phase == name, name)
        phase.show(values.phase_word)
        seconds = format_seconds(values.seconds_left)
        if self._digits.value != seconds:
            self._digits.update(seconds)
        lines["seconds-small"].show(seconds)
        self._breath.show(values.level, values.phase)
        lines["cue"].show(values.cue_text)
        self._progress.show(values.progress, values.remaining_s)
        lines["next"].show(values.next_label)
        lines["device"].show(
            screen_only_line(app.bell_on_cues)
            if self.engine.screen_only
            else f"Wearable: {values.device_line}"
        )

    def show_summary(self, result: SessionResult) -> None:
        self.result = result
        snapshot = self.bs_app.hub.snapshot()
        rows = summary_rows(
            result,
            len(self.engine.plan.steps),
            snapshot.sessions_today,
            snapshot.streak_days,
            screen_only=self.engine.screen_only,
        )
        width = max(len(row.label) for row in rows) + 2
        ending = "well done." if result.outcome in DONE_OUTCOMES else f"{result.outcome}."
        self.query_one("#summary-title", Label).update(
            f"{self.engine.plan.routine_title}: {ending}"
        )
        self.query_one("#summary-rows", Static).update(
            "\n".join(f"{row.label:<{width}}{row.value}" for row in rows)
        )
        self.add_class("ended")
        self.refresh_bindings()

    # -- keys ------------------------------------------------------------------------

    def check_action(
        self,
        action: str,
        parameters: tuple[object, ...],  # noqa: ARG002 - Textual's signature
    ) -> bool | None:
        active = self.engine.active
        paused = self.engine.state is SessionState.PAUSED
        if action in ("again", "back"):
            # Only after the session: enter and escape mean nothing while it runs.
            return not active
        if action in ("pause", "skip"):
            return active and not paused
        if action == "resume":
            return active and paused
        if action == "stop":
            return active
        if action == "bell":
            return active and self.engine.screen_only
        return True

    def action_pause(self) -> None:
        self.bs_app.action_pause_resume()

    def action_resume(self) -> None:
        self.bs_app.action_pause_resume()

    def action_skip(self) -> None:
        self.bs_app.action_skip()

    def action_stop(self) -> None:
        self.bs_app.action_stop()

    def action_bell(self) -> None:
        self.bs_app.action_toggle_bell()

    def action_again(self) -> None:
        self.bs_app.action_start()

    def action_back(self) -> None:
        if not self.engine.active:
            self.dismiss(None)
