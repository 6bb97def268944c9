"""Reading a TOML file the hub was given, so that nothing in it can crash the reader.

Routines and the configuration both come through here. Every way a file can fail (it
cannot be read, it is too large, it is not UTF-8, its TOML is wrong, it nests so deeply
that the parser runs out of stack, it holds an integer TOML does not allow) becomes one
exception of the caller's type, whose message is one printable line that starts with the
file's path and gives the line, or the field, when it is known.
"""

from __future__ import annotations

import codecs
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from routines.problems import describe_validation_error, field_path, validation_problems

# Tables and lists inside each other. A routine needs 4 (exercises, an exercise, its
# phases, a phase); anything far deeper is a mistake or an attack on the parser's stack.
MAX_DEPTH: Final = 16
# TOML integers are 64-bit; tomllib accepts more, which would only overflow later.
MIN_INT: Final = -(2**63)
MAX_INT: Final = 2**63 - 1
# Dots outside strings on one line. tomllib takes time quadratic in the parts of one dotted
# key (100,000 parts: 15 s for a header, minutes for a key), so a key that could never fit
# MAX_DEPTH is refused before it is parsed; no routine or configuration line comes near.
MAX_DOTS_PER_LINE: Final = 100
# Strings (their dots are text, not keys), multi-line ones first.
_STRINGS = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'[^\'\n]*\'')
# A message that names a 100 kB key is still one line, but nobody reads it.
MAX_MESSAGE_CHARS: Final = 500

ErrorType = Callable[[str], Exception]


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` with every unprintable character escaped (a newline in a key or a file
    name cannot break the line) and cut to ``limit`` characters."""
    printable = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return printable if len(printable) <= limit else printable[: limit - 3] + "..."


def _size(count: int) -> str:
    if count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MiB"
    if count % 1024 == 0:
        return f"{count // 1024} KiB"
    return f"{count} bytes"


def read_text(
    path: Path, *, max_bytes: int, error: ErrorType, if_missing: str | None = None
) -> str:
    """The file's text, decoded as UTF-8 (a byte order mark is allowed).

    ``if_missing`` replaces the problem said when the file does not exist.
    """
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise error(
                one_line(
                    f"{path}: file is too large ({size} bytes; the limit is {_size(max_bytes)})"
                )
            )
        with path.open("rb") as handle:
            # At most one byte past the limit: the file may have grown since stat(), and a
            # pipe or a device has no size to check beforehand.
            data = handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        problem = if_missing or f"cannot read the file: {exc.strerror or exc}"
        raise error(one_line(f"{path}: {problem}")) from None
    except OSError as exc:
        raise error(one_line(f"{path}: cannot read the file: {exc.strerror or exc}")) from None
    if len(data) > max_bytes:
        raise error(one_line(f"{path}: file is too large (the limit is {_size(max_bytes)})"))
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise error(
            one_line(
                f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, "
                f"column {column}); save the file as UTF-8"
            )
        ) from None


def parse_toml(text: str, source: str, *, error: ErrorType) -> dict[str, Any]:
    """Parse TOML text; ``source`` (a path, usually) starts every message."""
    line = _line_with_too_many_dots(text)
    if line is not None:
        raise error(
            one_line(
                f"{source}: line {line}: a dotted key of too many parts: {nested_too_deeply()}"
            )
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The message ends with "(at line L, column C)".
        raise error(one_line(f"{source}: TOML syntax error: {exc}")) from None
    except RecursionError:
        raise error(one_line(f"{source}: {nested_too_deeply()}")) from None
    except MemoryError:
        raise error(one_line(f"{source}: too large to parse")) from None
    except ValueError as exc:
        raise error(one_line(f"{source}: {_value_problem(exc)}")) from None
    except Exception as exc:  # noqa: BLE001 (whatever else the parser trips on is the file's)
        raise error(
            one_line(f"{source}: the TOML parser failed on this file ({type(exc).__name__})")
        ) from None
    problem = first_unsupported_value(data)
    if problem is not None:
        raise error(one_line(f"{source}: {problem}"))
    return data


def read_toml_file(
    path: Path, *, max_bytes: int, error: ErrorType, if_missing: str | None = None
) -> dict[str, Any]:
    """Read and parse one TOML file; ``error`` is raised, with one line, for any problem."""
    text = read_text(path, max_bytes=max_bytes, error=error, if_missing=if_missing)
    return parse_toml(text, str(path), error=error)


def _line_with_too_many_dots(text: str) -> int | None:
    """The first line with more than MAX_DOTS_PER_LINE dots outside strings and comments."""
    if text.count(".") <= MAX_DOTS_PER_LINE:
        return None
    # Strings become their newlines only, so line numbers stay right.
    bare = _STRINGS.sub(lambda match: "\n" * match.group().count("\n"), text)
    for number, line in enumerate(bare.split("\n"), start=1):
        if line.split("#", 1)[0].count(".") > MAX_DOTS_PER_LINE:
            return number
    return None


def nested_too_deeply() -> str:
    return f"nested too deeply (at most {MAX_DEPTH} levels of tables and lists inside each other)"


def validation_problem(exc: ValidationError) -> str:
    """:func:`describe_validation_error`, safe from values nested too deeply to show."""
    try:
        return describe_validation_error(exc)
    except RecursionError:
        return nested_too_deeply()


def every_validation_problem(exc: ValidationError) -> list[str]:
    """:func:`validation_problems`, safe from values nested too deeply to show."""
    try:
        return validation_problems(exc)
    except RecursionError:
        return [nested_too_deeply()]


def _value_problem(exc: ValueError) -> str:
    # tomllib lets int() refuse a decimal integer of thousands of digits, unwrapped.
    if "integer string conversion" in str(exc):
        return "TOML syntax error: an integer with thousands of digits (TOML integers are 64-bit)"
    return f"TOML syntax error: {exc}"


def first_unsupported_value(data: dict[str, Any]) -> str | None:
    """ "field: problem" for the first value, in file order, nested deeper than MAX_DEPTH or
    an integer outside TOML's 64-bit range; None when there is none.

    Iterative, so that the check itself cannot run out of stack.
    """
    stack: list[tuple[tuple[int | str, ...], object, int]] = [((), data, 0)]
    while stack:
        loc, value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                return f"{field_path(loc) or '(top level)'}: {nested_too_deeply()}"
            items = list(value.items() if isinstance(value, dict) else enumerate(value))
            stack.extend(((*loc, key), item, depth + 1) for key, item in reversed(items))
        elif isinstance(value, int) and not MIN_INT <= value <= MAX_INT:
            return (
                f"{field_path(loc)}: integer out of range (TOML integers are 64-bit, "
                f"{MIN_INT} to {MAX_INT})"
            )
    return None
