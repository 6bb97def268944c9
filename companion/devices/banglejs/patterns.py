"""The haptic vocabulary as `Bangle.buzz` steps, and the words the watch shows with each.

`Bangle.buzz(ms, strength)` drives the watch's vibration motor (a small ERM) for `ms` at a
PWM duty `strength` in 0..1. The vocabulary's pulse lengths carry over unchanged (tap
50-60 ms, medium 120-150 ms, long 400 ms or more), so the three classes stay apart by length
alone; its intensities map onto 0.4-1.0, since below about 0.4 the motor barely turns in a
short pulse. A segment with no gap after it runs straight into the next buzz (how "exhale"
fades).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from firmware_protocol.patterns import PATTERNS

# The weakest duty that still makes a 50 ms tap felt, and the strongest.
MIN_STRENGTH: Final = 0.4
MAX_STRENGTH: Final = 1.0

# What the screen says while a pattern plays (no word: the screen is left as it is).
WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "countdown_tick": "Ready",
        "go": "Go",
        "inhale": "In",
        "exhale": "Out",
        "hold": "Hold",
        "step_change": "Next",
        "side_switch": "Switch",
        "session_end": "Done",
    }
)


def strength(intensity: int) -> float:
    """A vocabulary intensity (0-255) as a `Bangle.buzz` strength."""
    return round(MIN_STRENGTH + (MAX_STRENGTH - MIN_STRENGTH) * intensity / 255, 2)


def buzz_steps(name: str) -> list[list[float]]:
    """`[[on_ms, gap_after_ms, strength], ...]` for the player's pattern table."""
    return [
        [segment.on_ms, segment.off_ms, strength(segment.intensity)]
        for segment in PATTERNS[name].segments
    ]


def pattern_table() -> tuple[dict[str, list[list[float]]], dict[str, str]]:
    """The player's tables by pattern id (as JSON object keys): steps, and screen words."""
    steps = {str(p.pattern_id): buzz_steps(p.name) for p in PATTERNS.values()}
    words = {str(p.pattern_id): WORDS[p.name] for p in PATTERNS.values() if p.name in WORDS}
    return steps, words
