"""Modal screens: the safety notice, the stop confirmation and the help."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from companion.tui.keys import KEYS, SCREEN_KEYS

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 72; max-width: 95%; height: auto; max-height: 90%;
    border: thick $primary; background: $surface; padding: 1 2;
}}
{name} .title {{ text-style: bold; width: 100%; content-align: center middle; }}
{name} Horizontal {{ height: auto; align: center middle; margin-top: 1; }}
{name} Button {{ margin: 0 1; }}
"""


class SafetyNotice(ModalScreen[None]):
    """Shown once, before the first session: the routine's own safety notes."""

    DEFAULT_CSS = DIALOG_CSS.format(name="SafetyNotice")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_notice", "Got it", show=False)
    ]

    def __init__(self, title: str, notes: Sequence[str]) -> None:
        super().__init__()
        self.notice_title = title
        self.notes = tuple(notes)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Before you start: {self.notice_title}", classes="title")
            yield Static("\n".join(f"• {note}" for note in self.notes), id="notes")
            with Horizontal():
                yield Button("Got it", variant="primary", id="ok")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_dismiss_notice(self) -> None:
        self.dismiss(None)


class ConfirmStop(ModalScreen[bool]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmStop")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Stop", show=False),
        Binding("n,escape", "answer(False)", "Keep going", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Stop this session?", classes="title")
            yield Static("The wearable is told to stop; the session is saved as stopped.")
            with Horizontal():
                yield Button("Stop (y)", variant="error", id="stop")
                yield Button("Keep going (n)", variant="primary", id="keep")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "stop")

    def action_answer(self, stop: bool) -> None:
        self.dismiss(stop)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = (
        DIALOG_CSS.format(name="HelpScreen")
        + """
    HelpScreen #keys { height: auto; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1,q", "close", "Close", show=False)
    ]

    def compose(self) -> ComposeResult:
        rows = [(key.shown, key.help) for key in KEYS] + list(SCREEN_KEYS)
        width = max(len(shown) for shown, _ in rows) + 2
        text = "\n".join(f"{shown:<{width}}{words}" for shown, words in rows)
        with Vertical():
            yield Label("backstretch: keys", classes="title")
            with VerticalScroll(id="keys"):
                yield Static(text)
            yield Static(
                "Every key is also in the command palette (ctrl+p), with the theme switch.",
                id="palette-hint",
            )
            with Horizontal():
                yield Button("Close", id="close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
