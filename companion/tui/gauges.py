"""The session view's two gauges: the breath indicator and the overall progress bar.

Both draw whatever value they were last given; nothing here animates by itself, so they
show exactly what the presenter computed from the plan's clock.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.widget import Widget

from routines import format_clock

FULL = "█"
LEFT_HALF = "▌"
RIGHT_HALF = "▐"


def breath_rows(level: float, width: int, height: int) -> list[str]:
    """A lens-shaped bar, `level` (0-1) of the width, centred; at least a dot at rest.

    Half-cell steps keep the growth smooth on a narrow terminal at a redraw rate a small
    computer can afford.
    """
    rows = []
    for row in range(height):
        # Rows away from the middle are a little narrower, like a lung seen from the side.
        offset = (row - (height - 1) / 2) / max(1.0, height / 2)
        profile = math.sqrt(max(0.0, 1.0 - offset * offset * 0.6))
        # In half cells, bar and margins must share parity to centre exactly: keep the bar
        # even, and when the margin is odd, end the bar in a half block on each side.
        halves = 2 * max(1, round(level * profile * (width - 1)))
        margin = width * 2 - halves
        left = margin // 2
        if left % 2:
            body = RIGHT_HALF + FULL * ((halves - 2) // 2) + LEFT_HALF
        else:
            body = FULL * (halves // 2)
        pad = left // 2
        rows.append((" " * pad + body).ljust(width)[:width])
    return rows


class BreathIndicator(Widget):
    """Grows during inhale, shrinks during exhale, rests during a hold."""

    DEFAULT_CSS = """
    BreathIndicator { height: 5; color: $text-muted; }
    BreathIndicator.inhale { color: $success; }
    BreathIndicator.exhale { color: $accent; }
    BreathIndicator.hold { color: $warning; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.level = 0.0
        self.phase = "none"
        self._drawn: list[str] = []

    def show(self, level: float, phase: str) -> None:
        """Draw `level`; repaint only when the drawing moves by at least a half cell."""
        self.level = level
        if phase != self.phase:
            self.remove_class(self.phase)
            self.add_class(phase)
            self.phase = phase
        if self._rows() != self._drawn:
            self.refresh()

    def _rows(self) -> list[str]:
        width, height = self.content_size.width, self.content_size.height
        if width <= 0 or height <= 0:
            return []
        return breath_rows(self.level, width, height)

    def render(self) -> Text:
        self._drawn = self._rows()
        return Text("\n".join(self._drawn), no_wrap=True)


def progress_text(progress: float, remaining_s: float | None, width: int) -> str:
    """`━━━━━━╸────── 0:42 left`: the share of the session done and the time still to go."""
    # Counted down as a clock would (ceiling), so a moment exactly between two seconds
    # does not flicker with float noise.
    tail = f" {format_clock(math.ceil(remaining_s - 1e-6))} left" if remaining_s is not None else ""
    bar = max(4, width - len(tail))
    done = max(0.0, min(1.0, progress)) * bar
    full = int(done)
    head = "╸" if done - full >= 0.5 and full < bar else ""
    return "━" * full + head + "─" * (bar - full - len(head)) + tail


class SessionProgress(Widget):
    DEFAULT_CSS = """
    SessionProgress { height: 1; color: $primary; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.progress = 0.0
        self.remaining_s: float | None = None
        self._drawn = ""

    def show(self, progress: float, remaining_s: float | None) -> None:
        """Repaint only when the bar or the seconds left change."""
        self.progress, self.remaining_s = progress, remaining_s
        if self._text() != self._drawn:
            self.refresh()

    def _text(self) -> str:
        return progress_text(self.progress, self.remaining_s, self.content_size.width)

    def render(self) -> Text:
        self._drawn = self._text()
        return Text(self._drawn, no_wrap=True)
