"""The footer every screen shows: compact, and without the palette key when space is short,
so that help and quit stay visible in a small terminal (ctrl+p works all the same)."""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

# Narrower than this, the footer's room goes to the keys of the screen.
PALETTE_KEY_MIN_WIDTH = 90


class KeyFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True)

    def on_resize(self, event: events.Resize) -> None:
        self.show_command_palette = event.size.width >= PALETTE_KEY_MIN_WIDTH
