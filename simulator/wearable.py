"""The simulated wearable: a bumble GATT peripheral running the backstretch firmware logic.

The radio side (advertising, connections, injected latency and link drops) is the shared
`SimulatedPeripheral`'s; this module gives the wearable's GATT services and advertising,
and what the device does with each message lives in `simulator.firmware`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bumble import gatt
from bumble.core import UUID, AdvertisingData

from firmware_protocol import gatt as uuids
from simulator.clock import DeviceClock
from simulator.firmware import Channel, Firmware
from simulator.gatt_services import build_gatt
from simulator.motor import Pulse
from simulator.options import SimOptions
from simulator.peripheral import SimulatedPeripheral
from simulator.radio import LEGACY_ADVERTISING_DATA_MAX

if TYPE_CHECKING:
    from bumble.link import LocalLink

    from firmware_protocol.messages import ButtonKind, DeviceState

__all__ = ["SimulatedWearable"]

FIRMWARE_REVISION = "sim-1"


class SimulatedWearable(SimulatedPeripheral):
    """One simulated wearable on a virtual link.

    `clock` is the host clock everything is measured on (``time.monotonic`` unless a test
    injects another); the device's own clock derives from it with the configured drift and
    offset. `trace` lists every pulse the motor played, in that host clock.
    """

    profile = "native"
    reports_cues = True

    def __init__(
        self,
        options: SimOptions,
        link: LocalLink,
        clock: Callable[[], float] = time.monotonic,
        on_pulse: Callable[[Pulse], None] | None = None,
        on_message: Callable[[str, object], None] | None = None,
    ) -> None:
        super().__init__(options, link, clock, on_pulse, motor_spin_s=options.motor_spin_ms / 1000)
        self.device_clock = DeviceClock(options.clock_ppm, options.clock_offset_s, clock)
        self.firmware = Firmware(
            clock=self.device_clock,
            motor=self.motor,
            send=self._send_payload,
            battery_pct=float(options.battery_pct),
            on_message=on_message,
        )
        self._gatt = build_gatt(
            on_control=lambda value: self._receive(Channel.CONTROL, value),
            on_data=lambda value: self._receive(Channel.DATA, value),
            read_info=self.firmware.info_value,
            read_battery=lambda: bytes([round(self.firmware.battery_pct)]),
            model="BackStretch SIM",
            firmware_revision=FIRMWARE_REVISION,
        )
        self._last_battery = options.battery_pct

    # -- public state ----------------------------------------------------------------

    @property
    def display_text(self) -> str:
        return self.firmware.display_text

    @property
    def battery(self) -> float:
        """Battery level in percent (drains a little with each pulse)."""
        return self.firmware.battery_pct

    @property
    def state(self) -> DeviceState:
        return self.firmware.state

    def press_button(self, kind: ButtonKind | str = "short") -> None:
        """Press the virtual button; the hub hears of it if connected."""
        self.firmware.press_button(kind)

    async def stop(self) -> None:
        # The firmware's timers first: nothing may start the motor while the radio goes.
        self.firmware.stop()
        await super().stop()

    # -- what the peripheral asks of it ----------------------------------------------

    def services(self) -> list[gatt.Service]:
        return self._gatt.services

    def advertising_data(self) -> bytes:
        # Flags and our service: what the hub recognises a wearable by (21 of the 31 bytes a
        # legacy PDU carries, so the name cannot fit too; it goes in the scan response).
        return bytes(
            AdvertisingData(
                [
                    (AdvertisingData.FLAGS, bytes([0x06])),  # LE general discoverable, no BR/EDR
                    (
                        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                        UUID(uuids.SERVICE_UUID).to_bytes(),
                    ),
                ]
            )
        )

    def scan_response_data(self) -> bytes:
        """The name, shortened (at a character boundary) if it would not fit in 31 bytes."""
        name = self.options.name.encode()
        room = LEGACY_ADVERTISING_DATA_MAX - 2  # an AD structure's length and type bytes
        if len(name) <= room:
            return bytes(AdvertisingData([(AdvertisingData.COMPLETE_LOCAL_NAME, name)]))
        short = name[:room].decode(errors="ignore").encode()
        return bytes(AdvertisingData([(AdvertisingData.SHORTENED_LOCAL_NAME, short)]))

    def link_changed(self, connected: bool) -> None:
        if connected:
            self.firmware.link_up(self.att_mtu)
        else:
            self.firmware.link_down()

    def mtu_changed(self, att_mtu: int) -> None:
        self.firmware.link_up(att_mtu)

    # -- traffic ---------------------------------------------------------------------

    def _receive(self, channel: Channel, value: bytes) -> None:
        self.received(lambda: self.firmware.receive(channel, value))

    def _send_payload(self, payload: bytes) -> None:
        """Notify one frame to the hub through the outgoing delay line."""
        self.notify(self._gatt.event, payload)
        self._notify_battery_if_changed()

    def _notify_battery_if_changed(self) -> None:
        level = round(self.firmware.battery_pct)
        if level == self._last_battery:
            return
        self._last_battery = level
        self.notify(self._gatt.battery_level, bytes([level]))
