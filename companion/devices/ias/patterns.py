"""The haptic vocabulary as alert rhythms, for a band that can only "buzz now".

An Immediate Alert band (a PineTime with InfiniTime, for one) gives one short fixed buzz per
alert write, about 35 ms, with no length and no intensity: all a pattern can keep is how many
buzzes and their rhythm. Each pattern becomes the moments of its buzzes, in ms after the cue,
at least `MIN_GAP_MS` apart so that each is felt on its own. The breath phases, the cues a
person meets most, differ by count (three, two, one) as well as by rhythm.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

# Buzz starts closer than this run together on the wrist.
MIN_GAP_MS: Final = 150
# What one alert write gives on InfiniTime (its motor runs 35 ms per notification).
BUZZ_MS: Final = 35

RHYTHMS: Final[Mapping[str, tuple[int, ...]]] = MappingProxyType(
    {
        # One buzz: a second of the countdown.
        "countdown_tick": (0,),
        # A quick double: begin now.
        "go": (0, 150),
        # Three, quickening (300 then 150 ms), as the vocabulary's taps close in: breathe in.
        "inhale": (0, 300, 450),
        # Two, slow: the 800 ms between them stands for the long fading pulse: breathe out.
        "exhale": (0, 800),
        # One: hold.
        "hold": (0,),
        # Two quick pairs: the next exercise.
        "step_change": (0, 150, 600, 750),
        # One, then a quick pair: change sides.
        "side_switch": (0, 500, 650),
        # Three, slow and even: the session is over.
        "session_end": (0, 500, 1000),
        # Four, even: time for a session.
        "reminder": (0, 200, 400, 600),
    }
)


def rhythm(pattern: str) -> tuple[int, ...]:
    """The buzz moments of a pattern (one buzz for a name this table does not know)."""
    return RHYTHMS.get(pattern, (0,))
