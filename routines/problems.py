"""Turn pydantic's validation errors into one line a person can act on.

The line names the field as it is written in a routine file (``exercises[2].rounds``,
indices from 0 in file order) and says what is wrong in plain words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from routines.models import NestedFieldError


def field_path(loc: Sequence[int | str]) -> str:
    """``("exercises", 2, "rounds")`` -> ``"exercises[2].rounds"``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


# Fields whose value may hold a secret (a password, a URL with credentials): a problem
# with one names the field but never repeats the value.
SECRET_FIELDS: Final = frozenset({"password", "url"})


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _given(error: ErrorDetails) -> str:
    if any(part in SECRET_FIELDS for part in error["loc"] if isinstance(part, str)):
        return "a value not shown, as it may be secret"
    return _shown(error.get("input"))


# Plain words for pydantic's error types; {given} is the offending value, the other fields
# come from the error's context.
_TEMPLATES: Final = {
    "extra_forbidden": "unknown field (check its spelling and the table it is in)",
    "missing": "required field is missing",
    "string_too_short": "must not be empty",
    "string_too_long": "is too long (at most {max_length} characters)",
    "string_pattern_mismatch": (
        "must be a slug: lowercase letters, digits and single hyphens (got {given})"
    ),
    "int_type": "must be a whole number (got {given})",
    "float_type": "must be a number (got {given})",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false (got {given})",
    "string_type": "must be a string (got {given})",
    "tuple_type": "must be a list",
    "too_short": "needs at least {min_length} items",
    "too_long": "has too many items: at most {max_length} (got {actual_length})",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "greater_than": "must be greater than {gt:g} (got {given})",
    "greater_than_equal": "must be at least {ge:g} (got {given})",
    "less_than": "must be less than {lt:g} (got {given})",
    "less_than_equal": "must be at most {le:g} (got {given})",
    "enum": "must be one of {expected} (got {given})",
}


def _problem(error: ErrorDetails) -> str:
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if error["type"] == "too_short" and ctx.get("min_length") == 1:
        return "needs at least 1 item"
    if error["type"] == "value_error" and isinstance(ctx.get("error"), ValueError):
        return str(ctx["error"])
    template = _TEMPLATES.get(error["type"])
    if template is None:
        return error["msg"]
    try:
        return template.format(**ctx, given=_given(error))
    except (KeyError, ValueError):  # a context that is not what the template expects
        return error["msg"]


def _where(error: ErrorDetails) -> str:
    path = field_path(error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, NestedFieldError):
        path += cause.subpath
    return path or "(top level)"


def validation_problems(exc: ValidationError) -> list[str]:
    """Every problem, one line each: the field path and what is wrong."""
    errors = exc.errors()
    # A tuple's min_length is checked after its items; when an item failed, pydantic also
    # reports the tuple as too short. That echo is noise next to the real problem.
    real = [e for e in errors if not (e["type"] == "too_short" and "after validation" in e["msg"])]
    return [f"{_where(error)}: {_problem(error)}" for error in real or errors]


def describe_validation_error(exc: ValidationError) -> str:
    """One line: the first problem's field path and what is wrong, and how many more."""
    problems = validation_problems(exc)
    line = problems[0]
    if len(problems) > 1:
        more = len(problems) - 1
        line += f" (and {more} more problem{'s' if more > 1 else ''})"
    return line
