"""The clocks the hub's parts are given, so tests can drive time (DESIGN.md, Conventions)."""

from collections.abc import Callable
from datetime import datetime

# Seconds of a monotonic clock: `time.monotonic` unless a test injects another.
Clock = Callable[[], float]
# An aware wall-clock time: for schedules, "today" and timestamps shown to people.
WallClock = Callable[[], datetime]
