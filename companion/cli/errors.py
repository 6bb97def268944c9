"""Which exceptions are a user's mistake (printed as one line) rather than a bug."""

from __future__ import annotations


def user_message(exc: BaseException) -> str | None:
    """The one-line message for an error a person can act on, or None for a bug."""
    from companion.errors import HubError
    from firmware_protocol import ProtocolError
    from routines import RoutineError

    if isinstance(exc, RoutineError | ProtocolError | HubError):
        return str(exc)
    return None
