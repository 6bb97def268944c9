"""Reading the configuration: the TOML file, `BACKSTRETCH_*` variables and options, checked.

Every problem becomes one `ConfigError` reading "SOURCE: field.path: problem", where SOURCE
is the file, the environment variable or the command line that holds the wrong value. The
file is read as routine files are (`routines.tomlfile`): nothing in it, however broken,
gets past as anything but that one line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import SettingsError

from companion.config.models import ENV_NESTED_DELIMITER, ENV_PREFIX, HubConfig
from companion.config.paths import default_config_path
from companion.errors import ConfigError
from routines import RoutineError, RoutineLibrary
from routines.tomlfile import one_line, read_toml_file, validation_problem

MAX_CONFIG_BYTES = 256 * 1024

# What the file said, handed to HubConfig's settings sources for one validation.
_file: ContextVar[Mapping[str, Any] | None] = ContextVar("backstretch_config_file", default=None)


def file_data() -> dict[str, Any]:
    return dict(_file.get() or {})


@contextmanager
def _reading(data: Mapping[str, Any]) -> Iterator[None]:
    token = _file.set(data)
    try:
        yield
    finally:
        _file.reset(token)


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse one TOML file; ConfigError naming the file for anything unreadable."""
    return read_toml_file(
        path,
        max_bytes=MAX_CONFIG_BYTES,
        error=ConfigError,
        if_missing="no such file; write an example with `backstretch config init`",
    )


def load_config(
    path: Path | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    library: RoutineLibrary | None = None,
    required: bool = False,
) -> HubConfig:
    """The configuration from `path` (default: the XDG file), the environment and `overrides`
    (command-line values, strongest). A missing default file means defaults unless
    `required`; with `library`, routine ids are checked too."""
    required = required or path is not None
    path = path or default_config_path()
    data: dict[str, Any] = {}
    if required or path.exists():
        data = read_config_file(path)
    overrides = dict(overrides or {})
    try:
        with _reading(data):
            config = HubConfig(**overrides)
    except ValidationError as exc:
        line = validation_problem(exc)
        raise ConfigError(one_line(f"{_source(line, path, overrides)}: {line}")) from None
    except SettingsError as exc:
        raise ConfigError(one_line(_unparsable_variable(exc))) from None
    except RecursionError:
        # The file's nesting is bounded when it is read: what is left is a variable's JSON.
        raise ConfigError(
            one_line(f"environment variable {_deepest_variable()}: its JSON is nested too deeply")
        ) from None
    if library is not None:
        check_routines(config, library, lambda field: _source(field, path, overrides))
    return config


def _source(line: str, path: Path, overrides: Mapping[str, Any]) -> str:
    """Which source holds the wrong field: an option, a variable, or the file."""
    field = line.split(": ", 1)[0]
    parts = re.findall(r"[A-Za-z_]+", field)
    if parts and parts[0] in overrides:
        return "command line"
    env = {name.upper(): name for name in os.environ}
    # The field's own variable, or one holding a table or list above it (as JSON).
    for depth in range(len(parts), 0, -1):
        name = ENV_PREFIX + ENV_NESTED_DELIMITER.join(parts[:depth])
        if name.upper() in env:
            return f"environment variable {env[name.upper()]}"
    return str(path)


def _prefixed_variables() -> list[str]:
    return sorted(name for name in os.environ if name.upper().startswith(ENV_PREFIX))


def _unparsable_variable(exc: SettingsError) -> str:
    """A variable that should hold JSON (a list, a table) and does not."""
    match = re.search(r'field "(\w+)"', str(exc))
    field = match[1] if match else ""
    wanted = (ENV_PREFIX + field).upper()
    names = [
        name
        for name in _prefixed_variables()
        if name.upper() == wanted or name.upper().startswith(wanted + ENV_NESTED_DELIMITER)
    ]
    where = f"environment variable {names[0]}" if names else "environment"
    cause = exc.__cause__
    detail = f" ({cause})" if cause is not None else ""
    return f"{where}: {field or '(top level)'}: not valid JSON{detail}"


def _deepest_variable() -> str:
    """The BACKSTRETCH_* variable whose brackets nest deepest (a close enough guess)."""

    def depth(text: str) -> int:
        level = deepest = 0
        for char in text:
            level += (char in "[{") - (char in "]}")
            deepest = max(deepest, level)
        return deepest

    names = _prefixed_variables()
    return max(names, key=lambda name: depth(os.environ[name])) if names else "BACKSTRETCH_*"


def check_routines(
    config: HubConfig, library: RoutineLibrary, source: Callable[[str], str]
) -> None:
    """Every routine the configuration names must be in the library; `source` names where
    a field came from."""
    fields = [("routine", config.routine)] + [
        (f"schedules[{i}].routine", s.routine)
        for i, s in enumerate(config.schedules)
        if s.routine is not None
    ]
    for field, routine_id in fields:
        try:
            library.get(routine_id)
        except RoutineError as exc:
            raise ConfigError(one_line(f"{source(field)}: {field}: {exc}")) from None
