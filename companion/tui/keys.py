"""The TUI's keys in one table: the footer, the help screen and the command palette read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Key:
    keys: str  # Textual key names, comma-separated
    shown: str  # how the help screen writes them
    action: str  # the app action
    label: str  # the footer's word
    help: str  # the help screen's and the command palette's sentence


KEYS: tuple[Key, ...] = (
    Key("enter", "enter", "start", "Start", "Start the selected routine"),
    Key("space", "space", "pause_resume", "Pause", "Pause or resume the session"),
    Key("n", "n", "skip", "Next", "Skip to the next exercise"),
    Key("x", "x", "stop", "Stop", "Stop the session (asks to confirm)"),
    Key("d", "d", "devices", "Devices", "Show wearables: battery, signal, clock sync; scan"),
    Key("h", "h", "history", "History", "Show recent sessions, streak and reminders"),
    Key("question_mark,f1", "? or f1", "help", "Help", "Show the keys and what they do"),
    Key("q", "q", "quit", "Quit", "Quit (a running session is stopped first)"),
)

# Keys that only mean something on one screen, listed in the help too.
SCREEN_KEYS: tuple[tuple[str, str], ...] = (
    ("space (routine screen)", "Include or skip the highlighted exercise"),
    ("- / +", "Slower or faster breathing pace (3-12 breaths per minute)"),
    ("0", "The routine's own pace"),
    ("s (devices screen)", "Scan for a wearable and connect it"),
    ("escape", "Back"),
)
