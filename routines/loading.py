"""Reading routine files: one file, and the library of bundled and user routines.

Every way a file can be wrong becomes one :class:`RoutineError` whose message starts with
the file's path, then the field (``exercises[2].rounds``) when there is one, then the
problem.
"""

from __future__ import annotations

import codecs
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Final, Literal

from pydantic import ValidationError

from routines.errors import RoutineError
from routines.models import Routine
from routines.problems import describe_validation_error

MAX_FILE_BYTES: Final = 1024 * 1024
BUNDLED_ROUTINES_DIR: Final = Path(__file__).resolve().parent / "library"

Origin = Literal["bundled", "user"]


def default_user_routines_dir() -> Path:
    """``$XDG_CONFIG_HOME/backstretch/routines`` (``~/.config`` when unset or not absolute)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    config = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return config / "backstretch" / "routines"


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise RoutineError(f"{path}: file is too large ({size} bytes; the limit is 1 MiB)")
        with path.open("rb") as handle:
            # Read at most one byte past the limit, in case the file grew since stat().
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise RoutineError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise RoutineError(f"{path}: file is too large (the limit is 1 MiB)")
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise RoutineError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, "
            f"column {column}); save the file as UTF-8"
        ) from None


def parse_routine(text: str, source: str) -> Routine:
    """Parse and validate a routine from TOML text; ``source`` names it in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The message ends with "(at line L, column C)".
        raise RoutineError(f"{source}: TOML syntax error: {exc}") from None
    return routine_from_data(data, source)


def routine_from_data(data: Mapping[str, object], source: str) -> Routine:
    """Validate already-parsed routine data; ``source`` names it in messages."""
    try:
        return Routine.model_validate(data)
    except ValidationError as exc:
        raise RoutineError(f"{source}: {describe_validation_error(exc)}") from None


def load_routine(path: Path) -> Routine:
    """Read, parse and validate one routine file. Raises :class:`RoutineError`."""
    return parse_routine(_read_text(path), str(path))


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


def _load_dir(directory: Path, problems: list[RoutineError]) -> dict[str, tuple[Routine, Path]]:
    found: dict[str, tuple[Routine, Path]] = {}
    try:
        paths = sorted(p for p in directory.glob("*.toml") if p.is_file())
    except OSError as exc:
        problems.append(RoutineError(f"{directory}: cannot list routines: {exc}"))
        return found
    for path in paths:
        try:
            routine = load_routine(path)
        except RoutineError as exc:
            problems.append(exc)
            continue
        if routine.id in found:
            problems.append(
                RoutineError(
                    f"{path}: id: routine '{routine.id}' is already defined by "
                    f"{found[routine.id][1]}; this file is ignored"
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
