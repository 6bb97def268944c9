"""Routines: models, the bundled library, loading and validation, and the cue-plan compiler."""

from routines.errors import RoutineError

__all__ = ["RoutineError"]
