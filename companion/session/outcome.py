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


def outcome_words(outcome: str, reason: str = "") -> str:
    """`completed`, or `partial: 1 exercise skipped`: the outcome's own word everywhere a
    person reads it (the TUI, `history`, `session`), with the reason when there is news in it.
    """
    if not reason or reason == outcome:
        return outcome
    return f"{outcome}: {reason}"


# Outcomes that count as a session done for streaks and reminders.
DONE_OUTCOMES = frozenset({SessionOutcome.COMPLETED, SessionOutcome.PARTIAL})
