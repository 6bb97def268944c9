"""Messages to and from the plain JSON fields that vectors.json records for each frame."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from firmware_protocol import (
    ButtonKind,
    CueEntry,
    CueOutcome,
    DeviceState,
    ErrorCode,
    Message,
    MotorType,
    PatternEntry,
    Segment,
)
from firmware_protocol.messages import MESSAGE_CLASSES

CLASSES: dict[str, type[Message]] = {cls.__name__: cls for cls in MESSAGE_CLASSES}


def _plain(value: object) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, IntEnum):
        return int(value)
    return value


def fields_of(message: Message) -> dict[str, Any]:
    """The message's fields as JSON values (enums as their numbers)."""
    plain = _plain(message)
    assert isinstance(plain, dict)
    return plain


def _segments(items: list[dict[str, int]]) -> tuple[Segment, ...]:
    return tuple(Segment(**item) for item in items)


def _patterns(items: list[dict[str, Any]]) -> tuple[PatternEntry, ...]:
    return tuple(
        PatternEntry(pattern_id=item["pattern_id"], segments=_segments(item["segments"]))
        for item in items
    )


def _cues(items: list[dict[str, int]]) -> tuple[CueEntry, ...]:
    return tuple(CueEntry(**item) for item in items)


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "patterns": _patterns,
    "cues": _cues,
    "motor": MotorType,
    "state": DeviceState,
    "kind": ButtonKind,
    "outcome": CueOutcome,
    "code": ErrorCode,
}


def message_from(type_name: str, fields: dict[str, Any]) -> Message:
    """The message a vector's `type` and `fields` describe."""
    cls = CLASSES[type_name]
    converted = {name: _CONVERT.get(name, lambda v: v)(value) for name, value in fields.items()}
    return cls(**converted)
