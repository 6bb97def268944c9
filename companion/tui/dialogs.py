"""Modal screens: the safety notice, the stop (and quit) confirmation, the offer of a
screen-only session, and the help."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from companion.tui.keys import SECTIONS

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
                yield Button("Got it", compact=True, variant="primary", id="ok")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_dismiss_notice(self) -> None:
        self.dismiss(None)


class ConfirmStop(ModalScreen[bool]):
    """Stop the running session? Asked by x, and by q (which then also quits)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmStop")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n,escape", "answer(False)", "Keep going", show=False),
    ]

    def __init__(self, *, quitting: bool = False) -> None:
        super().__init__()
        self.quitting = quitting

    def compose(self) -> ComposeResult:
        question = "Stop this session and quit?" if self.quitting else "Stop this session?"
        yes = "Stop and quit (y)" if self.quitting else "Stop (y)"
        with Vertical():
            yield Label(question, classes="title")
            yield Static("The wearable is told to stop; the session is saved as stopped.")
            with Horizontal():
                yield Button(yes, compact=True, variant="error", id="stop")
                yield Button("Keep going (n)", compact=True, variant="primary", id="keep")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "stop")

    def action_answer(self, stop: bool) -> None:
        self.dismiss(stop)


class ScreenOnlyOffer(ModalScreen[bool | None]):
    """No wearable is connected: follow the session on the screen alone? Answers whether to
    ring the bell on each cue, or None to cancel."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ScreenOnlyOffer")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "answer(False)", "Screen only", show=False),
        Binding("b", "answer(True)", "With the bell", show=False),
        Binding("escape,n", "cancel", "Cancel", show=False),
    ]

    def __init__(self, bell: bool = False) -> None:
        super().__init__()
        self.bell = bell

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("No wearable is connected", classes="title")
            yield Static(
                "Follow it on the screen: the breath indicator, and the terminal bell on each "
                "cue if you like. History records it as screen-only. For a wearable: escape, "
                "then d and s to scan."
            )
            with Horizontal():
                yield Button("Screen only (s)", compact=True, variant="primary", id="screen")
                yield Button("With the bell (b)", compact=True, id="bell")
                yield Button("Cancel", compact=True, id="cancel")

    def on_mount(self) -> None:
        self.query_one("#bell" if self.bell else "#screen", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None if event.button.id == "cancel" else event.button.id == "bell")

    def action_answer(self, bell: bool) -> None:
        self.dismiss(bell)

    def action_cancel(self) -> None:
        self.dismiss(None)


def keys_table() -> Group:
    """Every key by section, in two columns: a long sentence wraps within its own column,
    never under the keys."""
    width = max(len(key.shown) for _, keys in SECTIONS for key in keys)
    parts: list[Text | Table] = []
    for number, (section, keys) in enumerate(SECTIONS):
        parts.append(Text(("\n" if number else "") + section, style="bold underline"))
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
        table.add_column("keys", no_wrap=True, style="bold", width=width)
        table.add_column("what", ratio=1)
        for key in keys:
            table.add_row(key.shown, key.help)
        parts.append(table)
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = (
        DIALOG_CSS.format(name="HelpScreen")
        + """
    HelpScreen #keys { height: auto; max-height: 100%; }
    HelpScreen #palette-hint { color: $text-muted; margin-top: 1; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1,q", "close", "Close", show=False)
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("backstretch: keys", classes="title")
            with VerticalScroll(id="keys"):
                yield Static(keys_table())
            yield Static(
                "Every key is also in the command palette (ctrl+p), with the theme switch. "
                "escape closes this.",
                id="palette-hint",
            )

    def action_close(self) -> None:
        self.dismiss(None)
