"""Reading the configuration: the TOML file, `BACKSTRETCH_*` variables and options, checked.

Every problem becomes one `ConfigError` reading "SOURCE: field.path: problem", where SOURCE
is the file, the environment variable or the command line that holds the wrong value.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from companion.config.models import ENV_NESTED_DELIMITER, ENV_PREFIX, HubConfig
from companion.config.paths import default_config_path
from companion.errors import ConfigError
from routines import RoutineError, RoutineLibrary
from routines.problems import describe_validation_error

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
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file; write an example with `backstretch config init`"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: file is too large ({len(raw)} bytes; the limit is 256 KiB)")
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from None


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
        line = describe_validation_error(exc)
        raise ConfigError(f"{_source(line, path, overrides)}: {line}") from None
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
            raise ConfigError(f"{source(field)}: {field}: {exc}") from None
