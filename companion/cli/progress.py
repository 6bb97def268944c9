"""A one-line progress display for headless sessions on a terminal."""

from __future__ import annotations

from typing import TextIO

from companion.state import HubSnapshot

BAR_WIDTH = 24


class ProgressLine:
    """Redraws one line in place: bar, time left, exercise, breath phase."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._width = 0

    def show(self, snapshot: HubSnapshot, duration_s: float) -> None:
        remaining = snapshot.remaining_s if snapshot.remaining_s is not None else duration_s
        done = 1.0 - remaining / duration_s if duration_s > 0 else 1.0
        filled = round(max(0.0, min(1.0, done)) * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        minutes, seconds = divmod(round(remaining), 60)
        parts = [f"[{bar}] {minutes}:{seconds:02d} left"]
        if snapshot.session == "countdown":
            parts.append("get ready")
        elif snapshot.step_title:
            step = (
                f"{snapshot.step_title} ({(snapshot.step_index or 0) + 1}/{snapshot.steps_total})"
            )
            parts.append(step)
        if snapshot.phase != "none":
            parts.append(snapshot.phase + (f", {snapshot.side}" if snapshot.side else ""))
        if snapshot.session == "paused":
            parts.append(f"paused: {snapshot.paused_reason or 'paused'}")
        line = " · ".join(parts)
        pad = max(0, self._width - len(line))
        self._stream.write("\r" + line + " " * pad)
        self._stream.flush()
        self._width = len(line)

    def clear(self) -> None:
        self._stream.write("\r" + " " * self._width + "\r")
        self._stream.flush()
        self._width = 0
