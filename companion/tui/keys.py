"""The TUI's keys in one table: the screens' bindings, the help dialog and the command
palette all read it, so a key is described once.

Each key belongs to the place where it does something: the whole app, the routine screen,
the exercise list, the session view, the devices screen. The footer then shows only what
applies where the person is.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Key:
    keys: str  # Textual key names, comma-separated
    shown: str  # how the help dialog writes them
    action: str  # the action it runs
    label: str  # the footer's word
    help: str  # the help dialog's and the command palette's sentence
    footer: str | None = None  # how the footer writes the key, when not as Textual would

    def binding(self, *, show: bool = True, priority: bool = False) -> Binding:
        """The binding for this key, as the footer shows it."""
        return Binding(
            self.keys,
            self.action,
            self.label,
            show=show,
            key_display=self.footer,
            priority=priority,
        )


APP_KEYS: tuple[Key, ...] = (
    Key("question_mark,f1", "? or f1", "help", "Help", "Show the keys and what they do", "?"),
    Key("q", "q", "quit", "Quit", "Quit (asks first while a session runs)"),
    Key("d", "d", "devices", "Devices", "Show wearables: battery, signal, clock sync; scan"),
    Key("h", "h", "history", "History", "Show recent sessions, streak and reminders"),
)

HOME_KEYS: tuple[Key, ...] = (
    Key("enter", "enter", "app.start", "Start", "Start the selected routine"),
    Key(
        "minus", "- / +", "pace(-1)", "Pace", "Slower or faster breathing (3-12 per minute)", "-/+"
    ),
    Key("0", "0", "pace(0)", "Own pace", "Back to the routine's own pace"),
    Key("g", "g", "pace_for_all", "All routines", "Use this pace for every routine (again: undo)"),
    Key("tab", "tab", "app.focus_next", "Next list", "Move between the routines and exercises"),
)

EXERCISE_KEYS: tuple[Key, ...] = (
    Key(
        "space",
        "space",
        "include_or_skip",
        "Include",
        "Include or skip the highlighted exercise",
    ),
    Key("right", "← / →", "rounds(1)", "Rounds", "More or fewer rounds, where allowed", "←/→"),
)

SESSION_KEYS: tuple[Key, ...] = (
    Key("space", "space", "pause", "Pause", "Pause the session (space again resumes)"),
    Key("n", "n", "skip", "Next", "Skip to the next exercise"),
    Key("x", "x", "stop", "Stop", "Stop the session (asks first)"),
    Key("b", "b", "bell", "Bell", "Bell on each cue, on or off (screen-only sessions)"),
)

DEVICES_KEYS: tuple[Key, ...] = (
    Key("s", "s", "scan", "Scan", "Scan for a wearable and connect it"),
    Key("escape", "escape", "back", "Back", "Back to where you were"),
)

# The help dialog's sections, in order.
SECTIONS: tuple[tuple[str, tuple[Key, ...]], ...] = (
    ("Everywhere", APP_KEYS),
    ("Routines", HOME_KEYS),
    ("Exercise list", EXERCISE_KEYS),
    ("During a session", SESSION_KEYS),
    ("Devices and history", DEVICES_KEYS),
)
