"""The session view: what to do now, the breath, the time, and then a summary.

Redrawn at a fixed rate from the engine's view and the hub clock (see `presenter`); the bus
only supplies the words of the current breath cue and the end of the session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Digits, Footer, Header, Label, Static

from companion.events import BreathPhase, HubEvent, SessionEnded, StepChanged
from companion.session.engine import SessionEngine, SessionResult
from companion.session.outcome import DONE_OUTCOMES
from companion.tui.gauges import BreathIndicator, SessionProgress
from companion.tui.presenter import (
    SessionDisplay,
    format_seconds,
    present_session,
    summary_rows,
)

if TYPE_CHECKING:
    from companion.tui.app import BackstretchApp


class SessionScreen(Screen[None]):
    DEFAULT_CSS = """
    SessionScreen #live { padding: 0 2; height: 1fr; }
    SessionScreen #where { color: $text-muted; height: 1; }
    SessionScreen #title-row { height: 3; margin-top: 1; }
    SessionScreen #title {
        width: 1fr; height: 3; border: tall $primary; padding: 0 1;
        text-style: bold; content-align: left middle;
    }
    SessionScreen #side {
        width: 12; height: 3; border: tall $warning; text-style: bold;
        content-align: center middle; color: $warning;
    }
    SessionScreen #side.none { display: none; }
    SessionScreen #instruction { margin: 1 0; height: auto; }
    SessionScreen #phase-row { height: 3; }
    SessionScreen #phase {
        width: 1fr; height: 3; content-align: left middle; text-style: bold;
        background: $boost; padding: 0 1;
    }
    SessionScreen #phase.inhale { color: $success; }
    SessionScreen #phase.exhale { color: $accent; }
    SessionScreen #phase.hold { color: $warning; }
    SessionScreen #seconds { width: 12; height: 3; text-align: right; }
    SessionScreen #breath { margin: 1 0 0 0; }
    SessionScreen #cue { height: 1; content-align: center middle; width: 100%; }
    SessionScreen #progress { margin-top: 1; }
    SessionScreen #next { color: $text-muted; height: 1; }
    SessionScreen #device { height: auto; margin-top: 1; }
    SessionScreen #summary { display: none; padding: 1 2; height: 1fr; }
    SessionScreen.ended #summary { display: block; }
    SessionScreen.ended #live { display: none; }
    SessionScreen #summary-title { text-style: bold; margin-bottom: 1; }
    SessionScreen #summary-hint { margin-top: 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
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

    @property
    def bs_app(self) -> BackstretchApp:
        return cast("BackstretchApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="live"):
            yield Static(id="where")
            with Horizontal(id="title-row"):
                yield Static(id="title")
                yield Static(id="side", classes="none")
            yield Static(id="instruction")
            with Horizontal(id="phase-row"):
                yield Static(id="phase")
                yield Digits(id="seconds")
            yield BreathIndicator(id="breath")
            yield Static(id="cue")
            yield SessionProgress(id="progress")
            yield Static(id="next")
            yield Static(id="device")
        with Vertical(id="summary"):
            yield Label(id="summary-title")
            yield Static(id="summary-rows")
            yield Static(
                "enter: the same session again · escape: back to the routines · h: history",
                id="summary-hint",
            )
        yield Footer()

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(self.bs_app.refresh_interval, self.tick)

    # -- the bus ---------------------------------------------------------------------

    def on_hub_event(self, event: HubEvent) -> None:
        session_id = getattr(event, "session_id", None)
        if session_id is not None and session_id != self.engine.session_id:
            return
        if isinstance(event, StepChanged):
            self._breathed_in_step = False
            self._cue_text = ""
        elif isinstance(event, BreathPhase):
            self._breathed_in_step = True
            self._cue_text = event.text
        elif isinstance(event, SessionEnded):
            self.show_summary(self.engine.result())

    # -- drawing ---------------------------------------------------------------------

    def tick(self) -> None:
        if self.result is not None:
            return
        app = self.bs_app
        values = present_session(
            self.engine.view(),
            self.engine.plan,
            app.hub.snapshot(),
            app.clock(),
            rest_level=self._level,
            cue_text=self._cue_text,
            breathed_in_step=self._breathed_in_step,
        )
        self._level = values.level
        self.display_values = values
        self.query_one("#where", Static).update(f"{values.routine_title} · {values.step_label}")
        self.query_one("#title", Static).update(values.title.upper())
        side = self.query_one("#side", Static)
        side.set_class(values.side is None, "none")
        side.update((values.side or "").upper())
        self.query_one("#instruction", Static).update(values.instruction)
        phase = self.query_one("#phase", Static)
        for name in ("inhale", "exhale", "hold"):
            phase.set_class(values.phase == name, name)
        phase.update(values.phase_word)
        self.query_one("#seconds", Digits).update(format_seconds(values.seconds_left))
        self.query_one("#breath", BreathIndicator).show(values.level, values.phase)
        self.query_one("#cue", Static).update(values.cue_text)
        self.query_one("#progress", SessionProgress).show(values.progress, values.remaining_s)
        self.query_one("#next", Static).update(values.next_label)
        self.query_one("#device", Static).update(f"Wearable: {values.device_line}")

    def show_summary(self, result: SessionResult) -> None:
        self.result = result
        snapshot = self.bs_app.hub.snapshot()
        rows = summary_rows(
            result, len(self.engine.plan.steps), snapshot.sessions_today, snapshot.streak_days
        )
        width = max(len(row.label) for row in rows) + 2
        self.query_one("#summary-title", Label).update(
            f"{self.engine.plan.routine_title}: "
            + ("well done." if result.outcome in DONE_OUTCOMES else f"{result.outcome}.")
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
        if action in ("again", "back"):
            # Hidden while the session runs: enter and escape only mean something after it.
            return not self.engine.active
        return True

    def action_again(self) -> None:
        self.bs_app.action_start()

    def action_back(self) -> None:
        if not self.engine.active:
            self.dismiss(None)
