"""Reading routine files: one file, and the library of bundled and user routines.

Every way a file can be wrong becomes one :class:`RoutineError` whose message starts with
the file's path, then the field (``exercises[2].rounds``) when there is one, then the
problem.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Final, Literal

from pydantic import ValidationError

from routines.errors import RoutineError
from routines.models import Routine
from routines.tomlfile import (
    every_validation_problem,
    nested_too_deeply,
    one_line,
    parse_toml,
    read_text,
    validation_problem,
)

MAX_FILE_BYTES: Final = 1024 * 1024
BUNDLED_ROUTINES_DIR: Final = Path(__file__).resolve().parent / "library"

log = logging.getLogger(__name__)

Origin = Literal["bundled", "user"]


def default_user_routines_dir() -> Path:
    """``$XDG_CONFIG_HOME/backstretch/routines`` (``~/.config`` when unset or not absolute)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    config = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return config / "backstretch" / "routines"


def parse_routine(text: str, source: str) -> Routine:
    """Parse and validate a routine from TOML text; ``source`` names it in messages."""
    return routine_from_data(parse_toml(text, source, error=RoutineError), source)


def routine_from_data(data: Mapping[str, object], source: str) -> Routine:
    """Validate already-parsed routine data; ``source`` names it in messages."""
    problems: list[str] = []
    try:
        return Routine.model_validate(data)
    except ValidationError as exc:
        problem = validation_problem(exc)
        problems = every_validation_problem(exc)
    except RecursionError:
        # Data that did not come through parse_toml may nest deeper than pydantic goes.
        problem = nested_too_deeply()
    raise RoutineError(
        one_line(f"{source}: {problem}"), [one_line(f"{source}: {p}") for p in problems]
    )


def load_routine(path: Path) -> Routine:
    """Read, parse and validate one routine file. Raises :class:`RoutineError`."""
    text = read_text(path, max_bytes=MAX_FILE_BYTES, error=RoutineError)
    return parse_routine(text, str(path))


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """A routine of the library and where it came from."""

    routine: Routine
    source: Path
    origin: Origin
    overrides_bundled: bool = False


@dataclass(frozen=True)
class RoutineLibrary:
    """The routines a person can run: bundled ones, overridden by user ones of the same id.

    ``problems`` holds one error per user file that could not be loaded; the other routines
    are still there.
    """

    entries: tuple[LibraryEntry, ...]
    problems: tuple[RoutineError, ...] = ()
    routines: Mapping[str, Routine] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "routines", {e.routine.id: e.routine for e in self.entries})

    def get(self, routine_id: str) -> Routine:
        try:
            return self.routines[routine_id]
        except KeyError:
            known = ", ".join(sorted(self.routines)) or "(none)"
            raise RoutineError(f"unknown routine '{routine_id}'; known: {known}") from None

    def entry(self, routine_id: str) -> LibraryEntry:
        self.get(routine_id)
        return next(e for e in self.entries if e.routine.id == routine_id)


class _Default(Enum):
    USER_DIR = "the XDG default"


def _routine_files(directory: Path, problems: list[RoutineError]) -> list[Path]:
    """The ``*.toml`` files to load, sorted. Hidden ones (an editor's lock or backup) and
    directories are passed over; anything else that is not a regular file is a problem,
    never opened (a named pipe would block the hub for good)."""
    try:
        candidates = sorted(directory.glob("*.toml"))
    except OSError as exc:
        problems.append(
            RoutineError(one_line(f"{directory}: cannot list routines: {exc.strerror or exc}"))
        )
        return []
    files: list[Path] = []
    for path in candidates:
        if path.name.startswith("."):
            continue
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            problems.append(
                RoutineError(one_line(f"{path}: cannot read the file: {exc.strerror or exc}"))
            )
            continue
        if stat.S_ISDIR(mode):
            continue
        if not stat.S_ISREG(mode):
            problems.append(RoutineError(one_line(f"{path}: not a regular file; ignored")))
            continue
        files.append(path)
    return files


def _load_one(path: Path) -> Routine:
    try:
        return load_routine(path)
    except RoutineError:
        raise
    except Exception as exc:
        # A bug met on one file must not hide the others. The line below is the report;
        # the traceback is for a developer's -v.
        log.debug("%s: unexpected error while loading", one_line(str(path)), exc_info=True)
        raise RoutineError(
            one_line(f"{path}: could not be loaded (internal error: {type(exc).__name__})")
        ) from None


def _load_dir(directory: Path, problems: list[RoutineError]) -> dict[str, tuple[Routine, Path]]:
    found: dict[str, tuple[Routine, Path]] = {}
    for path in _routine_files(directory, problems):
        try:
            routine = _load_one(path)
        except RoutineError as exc:
            problems.append(exc)
            continue
        if routine.id in found:
            problems.append(
                RoutineError(
                    one_line(
                        f"{path}: id: routine '{routine.id}' is already defined by "
                        f"{found[routine.id][1]}; this file is ignored"
                    )
                )
            )
            continue
        found[routine.id] = (routine, path)
    return found


def load_library(
    user_dir: Path | _Default | None = _Default.USER_DIR,
) -> RoutineLibrary:
    """The bundled routines and the user's (``default_user_routines_dir()`` by default;
    ``None`` for bundled routines only). A user routine with a bundled routine's id replaces
    it. Broken files end up in ``problems`` and never hide the other routines.
    """
    if user_dir is _Default.USER_DIR:
        user_dir = default_user_routines_dir()
    problems: list[RoutineError] = []
    bundled = _load_dir(BUNDLED_ROUTINES_DIR, problems)
    user = _load_dir(user_dir, problems) if user_dir and user_dir.is_dir() else {}
    entries = [
        LibraryEntry(routine, path, "bundled")
        for routine_id, (routine, path) in bundled.items()
        if routine_id not in user
    ] + [
        LibraryEntry(routine, path, "user", overrides_bundled=routine_id in bundled)
        for routine_id, (routine, path) in user.items()
    ]
    entries.sort(key=lambda e: e.routine.id)
    return RoutineLibrary(tuple(entries), tuple(problems))
