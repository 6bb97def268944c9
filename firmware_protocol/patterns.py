"""The haptic vocabulary: named patterns with fixed ids (SPEC.md, "Haptic vocabulary").

Designed for the weakest motor, an ERM that needs 50-100 ms to spin up: every pulse lasts at
least 50 ms, every gap at least 100 ms, and each pulse belongs to one of three classes a person
tells apart by length alone: tap (50-60 ms), medium (120-150 ms), long (400 ms or more).
Intensity only adds to what length already says, since a cheap motor may have one level.

A segment with `off_ms == 0` runs straight into the next one: together they are one pulse
whose intensity steps (how "exhale" fades where the motor can).

The routines package names these patterns in its cue plans without importing this module, so
the names and ids here are a contract: never renumber, only add.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from types import MappingProxyType
from typing import Final

from firmware_protocol.codec import PATTERN_ENTRY_HEADER_SIZE, PATTERN_TABLE_OVERHEAD, SEGMENT_SIZE
from firmware_protocol.errors import ErrorCode, ProtocolError
from firmware_protocol.messages import (
    Capabilities,
    MotorType,
    PatternEntry,
    PatternTable,
    Segment,
)

MIN_PULSE_MS: Final = 50
MIN_GAP_MS: Final = 100
TAP_MS: Final = (50, 60)
MEDIUM_MS: Final = (120, 150)
LONG_MIN_MS: Final = 400
# Below about 40 % drive an ERM may not reach speed within a 50 ms tap: it would be silent.
ERM_MIN_INTENSITY: Final = 102


@dataclass(frozen=True, slots=True)
class Pulse:
    """A stretch of motor-on time: consecutive segments joined by zero-length gaps."""

    start_ms: int
    on_ms: int
    gap_after_ms: int
    intensities: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class HapticPattern:
    """A named pattern of the vocabulary with its wire id and default segments."""

    name: str
    pattern_id: int
    segments: tuple[Segment, ...]
    description: str

    @property
    def duration_ms(self) -> int:
        return sum(s.on_ms + s.off_ms for s in self.segments)

    def entry(self) -> PatternEntry:
        """The pattern-table row for a device that can play these segments as they are."""
        return PatternEntry(pattern_id=self.pattern_id, segments=self.segments)


def _seg(on_ms: int, off_ms: int, intensity: int = 255) -> Segment:
    return Segment(on_ms=on_ms, off_ms=off_ms, intensity=intensity)


_VOCABULARY: Final = (
    HapticPattern(
        "countdown_tick",
        1,
        (_seg(130, 100, 200),),
        "one medium pulse; sent once a second before a session starts",
    ),
    HapticPattern(
        "go",
        2,
        (_seg(60, 100), _seg(400, 100)),
        "a tap, then a long pulse: the session or exercise begins now",
    ),
    HapticPattern(
        "inhale",
        3,
        (_seg(55, 250, 150), _seg(55, 150, 200), _seg(55, 100, 255)),
        "three taps, gaps shrinking 250 then 150 ms, rising in strength: breathe in",
    ),
    HapticPattern(
        "exhale",
        4,
        (_seg(200, 0, 255), _seg(200, 0, 200), _seg(200, 0, 150), _seg(200, 100, 110)),
        "one long 800 ms pulse fading in four steps: breathe out",
    ),
    HapticPattern(
        "hold",
        5,
        (_seg(60, 100, 130),),
        "one soft tap: hold the breath or the position",
    ),
    HapticPattern(
        "step_change",
        6,
        (_seg(130, 120), _seg(130, 350), _seg(130, 120), _seg(130, 100)),
        "two pairs of medium pulses: the next exercise starts",
    ),
    HapticPattern(
        "side_switch",
        7,
        (_seg(400, 150, 220), _seg(130, 150, 220), _seg(130, 100, 220)),
        "a long pulse, then two medium ones: change sides",
    ),
    HapticPattern(
        "session_end",
        8,
        (_seg(500, 250, 255), _seg(500, 250, 200), _seg(500, 100, 150)),
        "three longer pulses, softening: the session is over",
    ),
    HapticPattern(
        "reminder",
        9,
        (_seg(130, 150, 180), _seg(55, 150, 180), _seg(130, 100, 180)),
        "medium, tap, medium: time for a session",
    ),
)

PATTERNS: Final[Mapping[str, HapticPattern]] = MappingProxyType({p.name: p for p in _VOCABULARY})
PATTERNS_BY_ID: Final[Mapping[int, HapticPattern]] = MappingProxyType(
    {p.pattern_id: p for p in _VOCABULARY}
)


def pattern_id(name: str) -> int:
    """The wire id of a named pattern."""
    found = PATTERNS.get(name)
    if found is None:
        raise ProtocolError(
            f"unknown haptic pattern {name!r}; known patterns: {', '.join(PATTERNS)}",
            ErrorCode.UNKNOWN_PATTERN,
        )
    return found.pattern_id


def pulses(segments: Sequence[Segment]) -> tuple[Pulse, ...]:
    """The pulses `segments` make, joining segments separated by a zero-length gap."""
    found: list[Pulse] = []
    t = 0
    current: Pulse | None = None  # a pulse whose last segment had no gap after it
    for segment in segments:
        if segment.on_ms:
            if current is None:
                current = Pulse(t, segment.on_ms, 0, (segment.intensity,))
            else:
                current = Pulse(
                    current.start_ms,
                    current.on_ms + segment.on_ms,
                    0,
                    (*current.intensities, segment.intensity),
                )
        if segment.off_ms:
            if current is not None:
                found.append(replace(current, gap_after_ms=segment.off_ms))
                current = None
            elif found:  # a pure pause lengthens the previous gap
                last = found[-1]
                found[-1] = replace(last, gap_after_ms=last.gap_after_ms + segment.off_ms)
        t += segment.on_ms + segment.off_ms
    if current is not None:
        found.append(current)
    return tuple(found)


def pulse_class(on_ms: int) -> str | None:
    """ "tap", "medium" or "long" for a pulse length, None when it is in no class."""
    if TAP_MS[0] <= on_ms <= TAP_MS[1]:
        return "tap"
    if MEDIUM_MS[0] <= on_ms <= MEDIUM_MS[1]:
        return "medium"
    if on_ms >= LONG_MIN_MS:
        return "long"
    return None


def looks_like_ring(segments: Sequence[Segment]) -> bool:
    """True for a phone-ring-like rhythm: short buzzes (<= 80 ms) about once a second."""
    short = [p for p in pulses(segments) if p.on_ms <= 80]
    return any(700 <= b.start_ms - a.start_ms <= 1300 for a, b in pairwise(short))


def _quantize(intensity: int, levels: int, floor: int) -> int:
    if intensity == 0:
        return 0
    step = max(1, round(intensity * levels / 255))
    return max(floor, round(step * 255 / levels))


def adapt_segments(segments: Sequence[Segment], capabilities: Capabilities) -> tuple[Segment, ...]:
    """`segments` as this device can play them.

    Intensities snap to the device's levels (a one-level motor plays everything at full
    strength), an ERM never gets less than ERM_MIN_INTENSITY, and joined segments that end up
    at the same strength merge into one.
    """
    floor = ERM_MIN_INTENSITY if capabilities.motor is MotorType.ERM else 1
    merged: list[Segment] = []
    for segment in segments:
        level = _quantize(segment.intensity, capabilities.intensity_levels, floor)
        previous = merged[-1] if merged else None
        if previous is not None and previous.off_ms == 0 and previous.intensity == level:
            merged[-1] = Segment(
                on_ms=previous.on_ms + segment.on_ms, off_ms=segment.off_ms, intensity=level
            )
        else:
            merged.append(Segment(on_ms=segment.on_ms, off_ms=segment.off_ms, intensity=level))
    return tuple(merged)


def pattern_table_messages(
    capabilities: Capabilities,
    *,
    first_seq: int = 0,
    patterns: Sequence[HapticPattern] | None = None,
) -> list[PatternTable]:
    """The PatternTable messages that load the vocabulary into this device.

    Each message fits the device's max message size; the first one replaces the device's
    table, the others add to it. Sequence numbers count up from `first_seq` (mod 2**16,
    skipping NO_SEQ).
    """
    chosen = list(PATTERNS.values()) if patterns is None else list(patterns)
    budget = capabilities.max_message_size
    groups: list[list[PatternEntry]] = [[]]
    size = PATTERN_TABLE_OVERHEAD
    for pattern in chosen:
        entry = PatternEntry(
            pattern_id=pattern.pattern_id, segments=adapt_segments(pattern.segments, capabilities)
        )
        entry_size = PATTERN_ENTRY_HEADER_SIZE + len(entry.segments) * SEGMENT_SIZE
        if PATTERN_TABLE_OVERHEAD + entry_size > budget:
            raise ProtocolError(
                f"pattern {pattern.name!r} needs a {PATTERN_TABLE_OVERHEAD + entry_size}-byte "
                f"message; the device's max message size is {budget}",
                ErrorCode.MESSAGE_TOO_LARGE,
            )
        if groups[-1] and size + entry_size > budget:
            groups.append([])
            size = PATTERN_TABLE_OVERHEAD
        groups[-1].append(entry)
        size += entry_size
    messages = []
    seq = first_seq
    for index, group in enumerate(groups):
        messages.append(PatternTable(seq=seq, replace=index == 0, patterns=tuple(group)))
        seq = (seq + 1) % 0xFFFF  # 0xFFFF is NO_SEQ
    return messages
