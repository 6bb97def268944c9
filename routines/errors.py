"""Errors raised for routine files and plan requests."""

from collections.abc import Sequence


class RoutineError(Exception):
    """A routine file or request is wrong; the message says what and where.

    `problems` holds every problem found, one line each, when there were several (the
    message names the first and counts the others).
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems) or (message,)
