"""The simulated wearable: a bumble GATT peripheral running the backstretch firmware logic.

The radio side lives here (advertising, connections, GATT, injected latency and link drops);
what the device does with each message lives in `simulator.firmware`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device

from firmware_protocol import gatt as uuids
from simulator.clock import DeviceClock
from simulator.faults import DelayLine
from simulator.firmware import Channel, Firmware
from simulator.gatt_services import WearableGatt, build_gatt
from simulator.motor import Pulse, VirtualMotor
from simulator.options import SimOptions
from simulator.radio import (
    LEGACY_ADVERTISING_DATA_MAX,
    SimController,
    drop_link,
    interrupt_link,
    local_device,
)

if TYPE_CHECKING:
    from bumble.link import LocalLink

    from firmware_protocol.messages import ButtonKind, DeviceState

__all__ = ["SimulatedWearable"]

logger = logging.getLogger(__name__)

FIRMWARE_REVISION = "sim-1"


def _logged(handler: Callable[..., None]) -> Callable[..., None]:
    # bumble swallows exceptions raised by event handlers; log ours before they vanish.
    def wrapper(*args: object) -> None:
        try:
            handler(*args)
        except Exception:
            logger.exception("error in the simulated wearable's %s", handler.__name__)

    return wrapper


class SimulatedWearable:
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
        self.options = options
        self.link = link
        self.host_clock = clock
        rng = random.Random(options.seed)
        self.device_clock = DeviceClock(options.clock_ppm, options.clock_offset_s, clock)
        self.motor = VirtualMotor(clock, options.motor_spin_ms / 1000, on_pulse)
        # Separate generators per direction, so that traffic one way cannot shift the other.
        self._rx = DelayLine(
            options.latency_ms / 1000, options.jitter_ms / 1000, random.Random(rng.random())
        )
        self._tx = DelayLine(
            options.latency_ms / 1000, options.jitter_ms / 1000, random.Random(rng.random())
        )
        self._air_rng = random.Random(rng.random())
        self.firmware = Firmware(
            clock=self.device_clock,
            motor=self.motor,
            send=self._send_payload,
            battery_pct=float(options.battery_pct),
            on_message=on_message,
        )
        self._device: Device | None = None
        self._controller: SimController | None = None
        self._gatt: WearableGatt | None = None
        self._connection: Connection | None = None
        self._reachable = True
        self._running = False
        self._timers: list[asyncio.TimerHandle] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_battery = options.battery_pct
        self.connections = 0
        self.disconnections = 0

    # ----------------------------------------------------------------- public state

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def address(self) -> str:
        """The advertised random static address, as a bleak client takes it."""
        return self.options.address

    @property
    def trace(self) -> list[Pulse]:
        """Every pulse the motor played, oldest first."""
        return self.motor.trace

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

    @property
    def connected(self) -> bool:
        return self._connection is not None

    @property
    def advertising(self) -> bool:
        return self._device is not None and self._device.is_advertising

    def press_button(self, kind: ButtonKind | str = "short") -> None:
        """Press the virtual button; the hub hears of it if connected."""
        self.firmware.press_button(kind)

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Power on, expose the GATT database and advertise; schedule the configured drops."""
        device, controller = local_device(
            self.options.name,
            self.options.address,
            self.link,
            air=self.options.air_options(),
            rng=self._air_rng,
        )
        self._device, self._controller = device, controller
        self._gatt = build_gatt(
            on_control=lambda value: self._receive(Channel.CONTROL, value),
            on_data=lambda value: self._receive(Channel.DATA, value),
            read_info=self.firmware.info_value,
            read_battery=lambda: bytes([round(self.firmware.battery_pct)]),
            model="BackStretch SIM",
            firmware_revision=FIRMWARE_REVISION,
        )
        device.add_services(self._gatt.services)
        device.gatt_server.max_mtu = self.options.max_mtu
        device.on(Device.EVENT_CONNECTION, _logged(self._on_connection))
        await device.power_on()
        self._running = True
        loop = asyncio.get_running_loop()
        for at_s, for_s in self.options.drops:
            self._timers.append(loop.call_later(at_s, self.begin_outage, for_s))
        await self._advertise()

    async def stop(self) -> None:
        """Stop advertising, drop any link and leave the virtual radio."""
        self._running = False
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self.motor.cancel_all()
        self.firmware.stop()
        self._rx.clear()
        self._tx.clear()
        if self._tasks:
            # Let HCI commands in flight finish: bumble fails if their answer finds no waiter.
            _done, pending = await asyncio.wait(list(self._tasks), timeout=1.0)
            for task in pending:
                task.cancel()
        controller, device = self._controller, self._device
        if controller is not None:
            drop_link(controller)
            controller.forget_host_state()
            if controller in self.link.controllers:
                self.link.remove_controller(controller)
        if device is not None:
            device.remove_all_listeners()
        self._connection = None

    # ----------------------------------------------------------------- radio

    def _advertising_data(self) -> bytes:
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

    def _scan_response_data(self) -> bytes:
        """The name, shortened (at a character boundary) if it would not fit in 31 bytes."""
        name = self.options.name.encode()
        room = LEGACY_ADVERTISING_DATA_MAX - 2  # an AD structure's length and type bytes
        if len(name) <= room:
            return bytes(AdvertisingData([(AdvertisingData.COMPLETE_LOCAL_NAME, name)]))
        short = name[:room].decode(errors="ignore").encode()
        return bytes(AdvertisingData([(AdvertisingData.SHORTENED_LOCAL_NAME, short)]))

    async def _advertise(self) -> None:
        device = self._device
        if device is None or not self._running or not self._reachable or self.connected:
            return
        interval = self.options.advertising_interval_ms
        await device.start_advertising(
            advertising_data=self._advertising_data(),
            scan_response_data=self._scan_response_data(),
            advertising_interval_min=interval,
            advertising_interval_max=interval,
        )
        logger.info("%s advertising as %s", self.options.name, self.options.address)

    def _spawn(self, coroutine: asyncio.Future[None] | asyncio.Task[None] | object) -> None:
        assert asyncio.iscoroutine(coroutine)
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("simulated wearable task failed", exc_info=task.exception())

    def _on_connection(self, connection: Connection) -> None:
        if not self._running or not self._reachable:
            self._spawn(connection.disconnect())
            return
        self._connection = connection
        self.connections += 1
        connection.on(connection.EVENT_DISCONNECTION, _logged(self._on_disconnection))
        connection.on(connection.EVENT_CONNECTION_ATT_MTU_UPDATE, _logged(self._on_mtu))
        self.firmware.link_up(connection.att_mtu)
        logger.info("%s connected to %s", self.options.name, connection.peer_address)

    def _on_mtu(self) -> None:
        if self._connection is not None:
            self.firmware.link_up(self._connection.att_mtu)

    def _on_disconnection(self, reason: int) -> None:
        self._connection = None
        self.disconnections += 1
        self._rx.clear()
        self._tx.clear()
        self.firmware.link_down()
        logger.info("%s disconnected (reason 0x%02X)", self.options.name, reason)
        if self._running and self._reachable:
            self._spawn(self._advertise())

    def begin_outage(self, for_s: float) -> None:
        """Unreachable for `for_s` seconds (cues keep playing): the link goes down at once, or
        with the ble model when the silence outlasts its supervision timeout."""
        if not self._running:
            return
        logger.info("%s: link drop for %.1f s", self.options.name, for_s)
        self._reachable = False
        if self._device is not None:
            self._spawn(self._device.stop_advertising())
        if self._controller is not None:
            interrupt_link(self._controller, for_s)
        loop = asyncio.get_running_loop()
        self._timers.append(loop.call_later(for_s, self._end_outage))

    def _end_outage(self) -> None:
        self._reachable = True
        if self._running:
            self._spawn(self._advertise())

    # ----------------------------------------------------------------- traffic

    def _receive(self, channel: Channel, value: bytes) -> None:
        self._rx.send(lambda: self.firmware.receive(channel, value))

    def _send_payload(self, payload: bytes) -> None:
        """Notify one frame to the hub through the outgoing delay line."""

        def deliver() -> None:
            device, gatt = self._device, self._gatt
            connection = self._connection
            if device is None or gatt is None or connection is None:
                return
            self._spawn(device.notify_subscriber(connection, gatt.event, payload))

        self._tx.send(deliver)
        self._notify_battery_if_changed()

    def _notify_battery_if_changed(self) -> None:
        level = round(self.firmware.battery_pct)
        if level == self._last_battery:
            return
        self._last_battery = level
        device, gatt, connection = self._device, self._gatt, self._connection
        if device is not None and gatt is not None and connection is not None:
            self._spawn(device.notify_subscriber(connection, gatt.battery_level, bytes([level])))
