"""Errors raised for routine files and plan requests."""


class RoutineError(Exception):
    """A routine file or request is wrong; the message says what and where."""
