"""The device's pattern table (SPEC.md 0x03) and the strength a segment plays at (7.3).

Patterns are kept as their raw segment bytes (5 per segment: on_ms u16, off_ms u16,
intensity u8), read in place while playing: nothing is unpacked on the cue path.
"""

from . import wire
from .errors import ProtocolError


def apply_table(
    table: dict[int, bytes], replace: int, patterns: list[tuple[int, bytes]], capacity: int
) -> dict[int, bytes]:
    """The table after a PatternTable message, or PATTERN_TABLE_FULL (table unchanged)."""
    updated = {} if replace else dict(table)
    for pattern_id, segments in patterns:
        updated[pattern_id] = segments
    if len(updated) > capacity:
        raise ProtocolError("pattern table full", wire.PATTERN_TABLE_FULL)
    return updated


def segment_count(segments: bytes) -> int:
    return len(segments) // wire.SEGMENT_SIZE


def segment(segments: bytes, index: int) -> tuple[int, int, int]:
    """(on_ms, off_ms, intensity) of one segment, read with no allocation but the tuple."""
    pos = index * wire.SEGMENT_SIZE
    return (
        segments[pos] | segments[pos + 1] << 8,
        segments[pos + 2] | segments[pos + 3] << 8,
        segments[pos + 4],
    )


def on_ms(segments: bytes) -> int:
    """How long the motor runs in all, for the battery estimate and the simulator's trace."""
    total = 0
    for pos in range(0, len(segments), wire.SEGMENT_SIZE):
        total += segments[pos] | segments[pos + 1] << 8
    return total


def scaled_intensity(segment_intensity: int, cue_intensity: int) -> int:
    """A segment's strength in a cue: 255 x 255 stays 255, x 0 is off, never rounds to off."""
    if not segment_intensity or not cue_intensity:
        return 0
    return max(1, (segment_intensity * cue_intensity + 127) // 255)


def motor_level(strength: int, levels: int) -> int:
    """`strength` (0-255) on a motor with `levels` non-zero steps: 0 is off, 1..levels on.

    Nearest step, but a non-zero strength never becomes off.
    """
    if not strength:
        return 0
    return max(1, (strength * levels + 127) // 255)
