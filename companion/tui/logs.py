"""While the TUI owns the terminal, log records go to a file and problems become notifications.

A handler writing to stderr would scribble over the screen, so the root handlers are set
aside for the app's lifetime and put back afterwards.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from textual.app import App
from textual.notifications import SeverityLevel

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class NotifyHandler(logging.Handler):
    """Warnings and errors of the hub (not of the BLE stack's internals) as notifications."""

    def __init__(self, app: App[Any]) -> None:
        super().__init__(logging.WARNING)
        self.app = app
        self._thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("bumble") or not self.app.is_running:
            return
        message = record.getMessage()
        severity: SeverityLevel = "error" if record.levelno >= logging.ERROR else "warning"
        if threading.get_ident() == self._thread:
            self.app.notify(message, severity=severity)
        else:
            self.app.call_from_thread(self.app.notify, message, severity=severity)


@contextlib.contextmanager
def logs_to_file_and_notifications(app: App[Any], path: Path) -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:]
    handlers: list[logging.Handler] = [NotifyHandler(app)]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(path, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter(FORMAT, "%H:%M:%S"))
        handlers.append(file_handler)
    except OSError:
        pass  # No log file then; the notifications still show problems.
    root.handlers = handlers
    try:
        yield
    finally:
        root.handlers = saved
        for handler in handlers:
            handler.close()
