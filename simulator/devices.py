"""Any simulated device, whatever its profile: what the hub's radio and the tools need of one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from simulator.motor import Pulse
from simulator.options import SimOptions

if TYPE_CHECKING:
    from bumble.link import LocalLink

__all__ = ["SimulatedDevice", "simulated_device"]


class SimulatedDevice(Protocol):
    """A simulated device on a virtual link, with the trace of what its motor played."""

    @property
    def name(self) -> str: ...

    @property
    def address(self) -> str: ...

    @property
    def trace(self) -> list[Pulse]: ...

    # Whether each pulse names the cue it played (a band told only "buzz now" cannot).
    reports_cues: bool

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def press_button(self, kind: str = "short") -> None: ...


def simulated_device(
    options: SimOptions,
    link: LocalLink,
    clock: Callable[[], float] = time.monotonic,
    on_pulse: Callable[[Pulse], None] | None = None,
    on_message: Callable[[str, object], None] | None = None,
) -> SimulatedDevice:
    """The simulated device `options.profile` names (a Bangle.js runs in real time only).

    `on_message` hears each protocol message a native wearable handles (for `sim -v`); a
    Bangle.js has no protocol messages and logs only what its console reports as errors.
    """
    if options.profile == "banglejs":
        from simulator.bangle import SimulatedBangle

        return SimulatedBangle(options, link, on_pulse=on_pulse)
    if options.profile == "ias":
        from simulator.band import SimulatedBand

        return SimulatedBand(options, link, clock=clock, on_pulse=on_pulse)
    from simulator.wearable import SimulatedWearable

    return SimulatedWearable(options, link, clock=clock, on_pulse=on_pulse, on_message=on_message)
