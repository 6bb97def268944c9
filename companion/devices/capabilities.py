"""What a wearable can do, as the engine, the timing figures and the UIs need to know it.

Every link declares these, so nothing claims "cues felt" for a device that cannot report
what it played, and the reminder flow waits only for a button that exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Timing(StrEnum):
    # The device plays cues loaded ahead on its own clock.
    DEVICE = "device-timed"
    # The hub triggers each pulse at its moment ("buzz now").
    HOST = "host-timed"


@dataclass(frozen=True, slots=True)
class Capabilities:
    timing: Timing
    # The device reports each cue it started, with its own timestamp.
    reports_played: bool
    has_button: bool
    reports_battery: bool
    # Shortest and longest pulse the motor renders, in ms (equal for a fixed buzz).
    pulse_ms: tuple[int, int]
    # Distinct intensity levels (1 for an on/off motor).
    intensity_levels: int

    def describe(self) -> str:
        """One line for a person: `device-timed, reports cues, button, battery`."""
        parts = [self.timing.value]
        parts.append("reports cues" if self.reports_played else "cues not reported")
        if self.has_button:
            parts.append("button")
        if self.reports_battery:
            parts.append("battery")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {
            "timing": self.timing.value,
            "reports_played": self.reports_played,
            "has_button": self.has_button,
            "reports_battery": self.reports_battery,
            "pulse_ms": list(self.pulse_ms),
            "intensity_levels": self.intensity_levels,
        }
