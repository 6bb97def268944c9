"""The simulated Immediate Alert band: an InfiniTime-like watch the hub can only buzz.

It offers what such a band offers a host: the Immediate Alert service (an Alert Level write
shows a "simple alert" notification and, while notifications are switched on, buzzes the
motor once for 35 ms), a Battery service and Device Information. It advertises as InfiniTime
does: its firmware-update service in the advertisement, its name in the scan response.

The band knows nothing of cues: its trace is the motor's buzzes, each with `cue_id`
`NO_CUE`. Which cue a buzz belongs to is for whoever holds the plan to tell (the hub's
`session` command matches them against it). Faults are the other simulators': latency and
jitter each way, link drops.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bumble import gatt
from bumble.core import UUID, AdvertisingData

from simulator.clock import DeviceClock
from simulator.gatt_services import AlertGatt, build_alert_gatt
from simulator.motor import NO_CUE, Pulse
from simulator.options import SimOptions
from simulator.peripheral import SimulatedPeripheral

if TYPE_CHECKING:
    from bumble.link import LocalLink

__all__ = ["BUZZ_MS", "NO_CUE", "SimulatedBand"]

# InfiniTime's firmware-update (Nordic legacy DFU) service: the one UUID it advertises.
DFU_SERVICE_UUID = "00001530-1212-efde-1523-785feabcd123"
# How long InfiniTime runs its motor for a notification.
BUZZ_MS = 35
# Battery used by one buzz, in percent: a band lasts days, so it hardly moves in a session.
_DRAIN_PER_BUZZ = 0.002


class SimulatedBand(SimulatedPeripheral):
    """One simulated band with the Immediate Alert service."""

    profile = "ias"
    reports_cues = False

    def __init__(
        self,
        options: SimOptions,
        link: LocalLink,
        clock: Callable[[], float] = time.monotonic,
        on_pulse: Callable[[Pulse], None] | None = None,
    ) -> None:
        super().__init__(options, link, clock, on_pulse)
        self.device_clock = DeviceClock(options.clock_ppm, options.clock_offset_s, clock)
        self._gatt: AlertGatt | None = None
        self._battery = float(options.battery_pct)
        self._motor_until = float("-inf")
        # Alerts shown, buzzed or not (a muted band still lists them).
        self.notifications = 0

    @property
    def battery(self) -> float:
        return self._battery

    def press_button(self, kind: str = "short") -> None:
        """The band has a button, but it tells the host nothing: a press goes unheard."""

    # -- radio -----------------------------------------------------------------------

    def services(self) -> list[gatt.Service]:
        self._gatt = build_alert_gatt(
            on_alert=self._on_alert,
            read_battery=lambda: bytes([round(self._battery)]),
            model="InfiniTime-like band (simulated)",
            firmware_revision="1.15.0-sim",
            through_air=self.through_air,
        )
        return self._gatt.services

    def advertising_data(self) -> bytes:
        return bytes(
            AdvertisingData(
                [
                    (AdvertisingData.FLAGS, bytes([0x06])),
                    (
                        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                        UUID(DFU_SERVICE_UUID).to_bytes(),
                    ),
                ]
            )
        )

    def scan_response_data(self) -> bytes:
        return bytes(AdvertisingData([(AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode())]))

    # -- the band --------------------------------------------------------------------

    def _on_alert(self, _value: bytes) -> None:
        self.received(self._alert)

    def _alert(self) -> None:
        self.notifications += 1
        if self.options.muted:
            return
        t = self.host_clock()
        # A write while the motor runs restarts its timer: one longer buzz, not a second.
        starts = t >= self._motor_until
        self._motor_until = t + BUZZ_MS / 1000
        if not starts:
            return
        self._battery = max(0.0, self._battery - _DRAIN_PER_BUZZ)
        self.motor.record(
            Pulse(
                cue_id=NO_CUE,
                pattern="alert",
                t=t,
                device_t=self.device_clock.to_device(t),
                deadline=t,
                on_ms=BUZZ_MS,
            )
        )
