"""Option values checked while parsing, so a wrong one is a usage error (exit code 2) in the
same form whether it is not a number at all or a number out of range.

The limits come from `routines`, imported when a value is checked (not at start-up, which
keeps `backstretch --help` quick).
"""

from __future__ import annotations

import argparse
import math


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def pace_bpm(text: str) -> float:
    """`--pace BPM`: breaths per minute within the routines' limits."""
    from routines import MAX_PACE_BPM, MIN_PACE_BPM

    value = _number(text, "breaths per minute")
    if not MIN_PACE_BPM <= value <= MAX_PACE_BPM:
        raise argparse.ArgumentTypeError(
            f"must be {MIN_PACE_BPM:g} to {MAX_PACE_BPM:g} breaths per minute, got {value:g}"
        )
    return value


def speed(text: str) -> float:
    """`--speed X`: how many times faster than real time."""
    from routines import MAX_SPEED, MIN_SPEED

    value = _number(text, "a speed factor such as 2 or 0.5")
    if not MIN_SPEED <= value <= MAX_SPEED:
        raise argparse.ArgumentTypeError(f"must be {MIN_SPEED:g} to {MAX_SPEED:g}, got {value:g}")
    return value


def rounds(text: str) -> tuple[str, int]:
    """`--rounds EXERCISE=N`; whether N is allowed is the routine's to say."""
    exercise, sep, count = text.partition("=")
    if not sep or not exercise.strip() or not count.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected EXERCISE=N, e.g. cat-cow=4 (got {text!r})")
    return exercise.strip(), int(count)
