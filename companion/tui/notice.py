"""Whether the person has already dismissed the safety notice: one small file in the state dir."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

NOTICE_FILE = "safety-notice-dismissed"


def default_state_dir() -> Path:
    """``$XDG_STATE_HOME/backstretch`` (``~/.local/state`` when unset or not absolute)."""
    base = os.environ.get("XDG_STATE_HOME", "")
    state = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return state / "backstretch"


class NoticeStore:
    """Remembers one dismissal. A store that cannot write only forgets; it never fails the UI."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_state_dir() / NOTICE_FILE

    def dismissed(self) -> bool:
        return self.path.is_file()

    def dismiss(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("dismissed\n", encoding="utf-8")
        except OSError as exc:
            log.warning("cannot remember the safety notice in %s: %s", self.path, exc)
