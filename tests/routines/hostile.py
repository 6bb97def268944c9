"""Hypothesis strategies for hostile TOML: a valid document with one part made wrong.

A base document (a bundled routine, the example configuration) is parsed, one value is
replaced or one field added with something nasty (nesting hundreds deep, numbers far out
of range or not finite, the wrong type), and the result is written back as TOML text. The
text may then be truncated or have bytes that are not UTF-8 put in. Shared by the routine
and the configuration tests.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class Raw:
    """TOML text written as it is (for what the writer could not build: deep nesting)."""

    text: str


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    # Recursive, but only over the shallow base documents: deep parts come as Raw.
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # inf, -inf and nan are spelt as TOML spells them
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def to_toml(data: dict[str, Any]) -> str:
    """A document of ``key = value`` lines, tables inline."""
    return "".join(f"{_key(key)} = {_value(value)}\n" for key, value in data.items())


def locations(data: Any, loc: Loc = ()) -> list[Loc]:
    """Every place in ``data`` (tables, lists and leaves), the document itself excluded."""
    found: list[Loc] = [loc] if loc else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += locations(value, (*loc, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += locations(value, (*loc, index))
    return found


def tables(data: Any, loc: Loc = ()) -> list[Loc]:
    """Every table's place, the document's (``()``) included."""
    found: list[Loc] = [loc] if isinstance(data, dict) else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += tables(value, (*loc, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += tables(value, (*loc, index))
    return found


def _copy_with(data: Any, loc: Loc, value: Any) -> Any:
    if not loc:
        return value
    head, rest = loc[0], loc[1:]
    if isinstance(data, dict):
        copy = dict(data)
        copy[head] = _copy_with(data.get(head), rest, value)
        return copy
    assert isinstance(data, list)
    assert isinstance(head, int)
    items = list(data)
    items[head] = _copy_with(items[head], rest, value)
    return items


def _deep(depth: int, kind: str) -> Raw:
    if kind == "array":
        return Raw("[" * depth + "]" * depth)
    if kind == "table":
        return Raw("{a = " * depth + "1" + "}" * depth)
    if kind == "mixed":
        return Raw("[{a = " * depth + "1" + "}]" * depth)
    return Raw("[" * depth)  # never closed


deep_values = st.builds(
    _deep,
    st.integers(min_value=1, max_value=700),
    st.sampled_from(["array", "table", "mixed", "open"]),
)

out_of_range_ints = st.sampled_from(
    [
        Raw(str(2**63)),
        Raw(str(-(2**63) - 1)),
        Raw("9" * 5000),
        Raw("0x" + "f" * 40),
        Raw("0x" + "f" * 3000),
    ]
)

numbers = st.one_of(
    # Near the limits, where a valid file and a refused one are a step apart.
    st.integers(min_value=0, max_value=100),
    st.floats(min_value=0, max_value=400),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),  # inf, -inf, nan, subnormals, 1e308...
    st.sampled_from([0, -1, 1e308, -1e308, 5e-324, 1e-300, 2**53 + 1, 2**63 - 1, -(2**63)]),
    st.sampled_from([Raw("inf"), Raw("-inf"), Raw("nan"), Raw("+nan"), Raw("-0.0")]),
)

wrong_types = st.one_of(
    st.text(max_size=20),
    st.booleans(),
    st.sampled_from(
        [
            dt.datetime(1979, 5, 27, 7, 32, tzinfo=dt.UTC),
            Raw("9999-12-31T23:59:59"),
            dt.date(1, 1, 1),
            dt.time(7, 32, 15, 999999),
            [],
            {},
            [1, "two"],
            {"x": 1},
            [[[]]],
        ]
    ),
)

hostile_values = st.one_of(deep_values, out_of_range_ints, numbers, wrong_types)


@st.composite
def hostile_documents(
    draw: st.DrawFn, bases: Sequence[dict[str, Any]], field_names: Sequence[str]
) -> str:
    """TOML text: one of ``bases`` with one value replaced or one field (often one of
    ``field_names``) added, made hostile."""
    data = draw(st.sampled_from(bases))
    value = draw(hostile_values)
    places = locations(data)
    replace: bool = draw(st.booleans())
    if places and replace:
        data = _copy_with(data, draw(st.sampled_from(places)), value)
    else:
        table = draw(st.sampled_from(tables(data)))
        # Mostly a field the model knows, now and then one it does not.
        unknown = draw(st.integers(min_value=0, max_value=4)) == 0
        name = draw(st.text(min_size=1, max_size=8) if unknown else st.sampled_from(field_names))
        data = _copy_with(data, (*table, name), value)
    return to_toml(data)


def deep_headers(depth: int) -> str:
    """A table header naming a table ``depth`` levels down (tomllib builds it without
    recursion, but anything that walks it recursively would not survive)."""
    return "[" + ".".join(["a"] * depth) + "]\nx = 1\n"


@st.composite
def hostile_bytes(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> bytes:
    """A document's bytes, maybe truncated, maybe with a few bytes that are not UTF-8."""
    data = draw(texts).encode("utf-8")
    mutation = draw(st.sampled_from(["none", "truncate", "bytes", "both"]))
    if mutation in ("truncate", "both") and data:
        data = data[: draw(st.integers(min_value=0, max_value=len(data) - 1))]
    if mutation in ("bytes", "both"):
        junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xe2\x80"]))
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:at] + junk + data[at:]
    return data


def assert_one_line(message: str, source: str) -> None:
    """What every file problem must be: one printable line that starts with its source."""
    assert message.startswith(f"{source}: "), message
    assert message.isprintable(), message
    assert "Traceback" not in message
    assert len(message) <= 500 + len(source)
