"""The wearable's own clock: the host's monotonic time, scaled by a drift and shifted.

A real wearable's crystal runs a few tens of ppm fast or slow and started at an arbitrary
moment; the hub has to estimate both. Here the device clock is

    device = (host - epoch) * (1 + ppm / 1e6) + offset

so the inverse, used to schedule the motor and to write the trace in host time, is exact.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["DeviceClock"]


class DeviceClock:
    """A drifting clock derived from a host clock (``time.monotonic`` unless injected)."""

    def __init__(
        self,
        ppm: float = 0.0,
        offset_s: float = 0.0,
        host_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host_clock = host_clock
        self.rate = 1.0 + ppm / 1e6
        self.offset_s = offset_s
        self.epoch = host_clock()

    def now(self) -> float:
        """The device's time, in its own seconds."""
        return self.to_device(self.host_clock())

    def to_device(self, host_t: float) -> float:
        """The device time at host time `host_t`."""
        return (host_t - self.epoch) * self.rate + self.offset_s

    def to_host(self, device_t: float) -> float:
        """The host time at which the device clock reads `device_t`."""
        return (device_t - self.offset_s) / self.rate + self.epoch

    def set(self, device_t: float) -> None:
        """Step the clock so that it reads `device_t` now (a firmware's clock set)."""
        self.offset_s += device_t - self.now()
