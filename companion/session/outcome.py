"""How a session ended: one vocabulary for the engine, history, the trace, MQTT and the UIs."""

from __future__ import annotations

from enum import StrEnum


class SessionOutcome(StrEnum):
    # Every chosen exercise ran to the end cue.
    COMPLETED = "completed"
    # The end cue came, but the person skipped one or more exercises on the way.
    PARTIAL = "partial"
    # The person stopped it (a key, the CLI, an MQTT command).
    STOPPED = "stopped"
    # The hub gave up: every wearable lost for good, or too long without one.
    ABORTED = "aborted"
    # Found in history after the hub exited while the session ran.
    INTERRUPTED = "interrupted"


# How a person reads each outcome (TUI, `history`, summaries).
OUTCOME_LABELS: dict[SessionOutcome, str] = {
    SessionOutcome.COMPLETED: "completed",
    SessionOutcome.PARTIAL: "completed with skips",
    SessionOutcome.STOPPED: "stopped",
    SessionOutcome.ABORTED: "aborted",
    SessionOutcome.INTERRUPTED: "interrupted",
}

# Outcomes that count as a session done for streaks and reminders.
DONE_OUTCOMES = frozenset({SessionOutcome.COMPLETED, SessionOutcome.PARTIAL})
