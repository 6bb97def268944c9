"""Routines: models, the bundled library, loading and validation, and the cue-plan compiler."""

from routines.errors import RoutineError
from routines.loading import (
    BUNDLED_ROUTINES_DIR,
    MAX_FILE_BYTES,
    LibraryEntry,
    RoutineLibrary,
    default_user_routines_dir,
    load_library,
    load_routine,
    parse_routine,
)
from routines.models import (
    MAX_PACE_BPM,
    MIN_PACE_BPM,
    BreathPhase,
    Direction,
    Exercise,
    Position,
    Routine,
    Side,
    Sides,
)
from routines.plan import (
    PATTERN_NAMES,
    Cue,
    CueKind,
    CuePlan,
    HapticPattern,
    PlanOptions,
    PlanStep,
    compile_plan,
)
from routines.summary import format_clock, plan_lines, plan_summary, plan_to_dict

__all__ = [
    "BUNDLED_ROUTINES_DIR",
    "MAX_FILE_BYTES",
    "MAX_PACE_BPM",
    "MIN_PACE_BPM",
    "PATTERN_NAMES",
    "BreathPhase",
    "Cue",
    "CueKind",
    "CuePlan",
    "Direction",
    "Exercise",
    "HapticPattern",
    "LibraryEntry",
    "PlanOptions",
    "PlanStep",
    "Position",
    "Routine",
    "RoutineError",
    "RoutineLibrary",
    "Side",
    "Sides",
    "compile_plan",
    "default_user_routines_dir",
    "format_clock",
    "load_library",
    "load_routine",
    "parse_routine",
    "plan_lines",
    "plan_summary",
    "plan_to_dict",
]
