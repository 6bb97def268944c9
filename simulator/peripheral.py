"""The radio side of a simulated device that is not our firmware (a watch, a band).

Power on a bumble device on the virtual link with the GATT services a subclass gives,
advertise what it gives (within 31 bytes), accept one central at a time, delay traffic each
way (latency and jitter, order kept) and take the link down for the configured drops. What
the device does with what it receives is the subclass's.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from bumble import gatt
from bumble.att import ATT_UNLIKELY_ERROR_ERROR, ATT_Error
from bumble.device import Connection, Device
from bumble.hci import HCI_Error

from simulator.faults import DelayLine
from simulator.motor import Pulse, VirtualMotor
from simulator.options import SimOptions
from simulator.radio import SimController, drop_link, interrupt_link, local_device

if TYPE_CHECKING:
    from bumble.link import LocalLink

__all__ = ["SimulatedPeripheral"]

logger = logging.getLogger(__name__)


def _logged(handler: Callable[..., None]) -> Callable[..., None]:
    # bumble swallows what an event handler raises; log it before it vanishes.
    def wrapper(*args: object) -> None:
        try:
            handler(*args)
        except Exception:
            logger.exception("error in a simulated device's %s", handler.__name__)

    return wrapper


class SimulatedPeripheral:
    """One simulated device on a virtual link. Subclasses give its services and advertising."""

    profile = ""
    reports_cues = True

    def __init__(
        self,
        options: SimOptions,
        link: LocalLink,
        clock: Callable[[], float] = time.monotonic,
        on_pulse: Callable[[Pulse], None] | None = None,
        *,
        motor_spin_s: float = 0.0,
    ) -> None:
        self.options = options
        self.link = link
        self.host_clock = clock
        self.motor = VirtualMotor(clock, motor_spin_s, on_pulse)
        rng = random.Random(options.seed)
        latency, jitter = options.latency_ms / 1000, options.jitter_ms / 1000
        # Separate generators per direction, so traffic one way cannot shift the other.
        self._rx = DelayLine(latency, jitter, random.Random(rng.random()))
        self._tx = DelayLine(latency, jitter, random.Random(rng.random()))
        self._air_rng = random.Random(rng.random())
        self._device: Device | None = None
        self._controller: SimController | None = None
        self._connection: Connection | None = None
        self._reachable = True
        self._running = False
        self._timers: list[asyncio.TimerHandle] = []
        self._tasks: set[asyncio.Task[None]] = set()
        # Answers on their way when the link goes: they never arrive.
        self._in_flight: set[asyncio.Future[None]] = set()
        self.connections = 0
        self.disconnections = 0

    # -- what a subclass gives -------------------------------------------------------

    def services(self) -> list[gatt.Service]:
        raise NotImplementedError

    def advertising_data(self) -> bytes:
        raise NotImplementedError

    def scan_response_data(self) -> bytes:
        raise NotImplementedError

    def advertises(self) -> bool:
        """Whether it advertises when free (a watch a phone holds does not)."""
        return True

    def link_changed(self, connected: bool) -> None:
        """Called when a central connects or the link goes."""

    def mtu_changed(self, att_mtu: int) -> None:
        """Called when the central and the device agreed on a new ATT MTU."""

    async def shut_down(self) -> None:
        """Called last by `stop`: release what the subclass holds."""

    # -- public state ----------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def address(self) -> str:
        return self.options.address

    @property
    def trace(self) -> list[Pulse]:
        """Every pulse the motor played, oldest first, in the host clock."""
        return self.motor.trace

    @property
    def connected(self) -> bool:
        return self._connection is not None

    @property
    def att_mtu(self) -> int:
        """The connection's ATT MTU (the default 23 when not connected)."""
        return self._connection.att_mtu if self._connection is not None else 23

    @property
    def advertising(self) -> bool:
        return self._device is not None and self._device.is_advertising

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        device, controller = local_device(
            self.options.name,
            self.options.address,
            self.link,
            air=self.options.air_options(),
            rng=self._air_rng,
        )
        self._device, self._controller = device, controller
        device.add_services(self.services())
        device.gatt_server.max_mtu = self.options.max_mtu
        device.on(Device.EVENT_CONNECTION, _logged(self._on_connection))
        await device.power_on()
        self._running = True
        loop = asyncio.get_running_loop()
        for at_s, for_s in self.options.drops:
            self._timers.append(loop.call_later(at_s, self.begin_outage, for_s))
        await self._advertise()

    async def stop(self) -> None:
        self._running = False
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self.motor.cancel_all()
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
        await self.shut_down()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- radio -----------------------------------------------------------------------

    async def _advertise(self) -> None:
        device = self._device
        if device is None or not self._running or not self._reachable or self.connected:
            return
        if not self.advertises():
            logger.info("%s is held by another central: not advertising", self.name)
            return
        interval = self.options.advertising_interval_ms
        try:
            await device.start_advertising(
                advertising_data=self.advertising_data(),
                scan_response_data=self.scan_response_data(),
                advertising_interval_min=interval,
                advertising_interval_max=interval,
            )
        except HCI_Error:
            if self._stopped():
                return  # stopped while it was being set up: the controller is gone
            raise
        logger.info("%s advertising as %s", self.name, self.address)

    def _stopped(self) -> bool:
        # A method, not the attribute: `stop` may have run while an await was pending.
        return not self._running

    def _on_connection(self, connection: Connection) -> None:
        if not self._running or not self._reachable:
            self.spawn(connection.disconnect())
            return
        self._connection = connection
        self.connections += 1
        connection.on(connection.EVENT_DISCONNECTION, _logged(self._on_disconnection))
        connection.on(
            connection.EVENT_CONNECTION_ATT_MTU_UPDATE,
            _logged(lambda: self.mtu_changed(connection.att_mtu)),
        )
        self.link_changed(True)
        logger.info("%s connected to %s", self.name, connection.peer_address)

    def _on_disconnection(self, reason: int) -> None:
        self._connection = None
        self.disconnections += 1
        self._rx.clear()
        self._tx.clear()
        for answer in self._in_flight:
            if not answer.done():
                answer.set_exception(ATT_Error(ATT_UNLIKELY_ERROR_ERROR))
        self.link_changed(False)
        logger.info("%s disconnected (reason 0x%02X)", self.name, reason)
        if self._running and self._reachable:
            self.spawn(self._advertise())

    def begin_outage(self, for_s: float) -> None:
        """Unreachable for `for_s` seconds: the link goes down at once, or with the ble model
        when the silence outlasts its supervision timeout."""
        if not self._running:
            return
        logger.info("%s: link drop for %.1f s", self.name, for_s)
        self._reachable = False
        if self._device is not None:
            self.spawn(self._device.stop_advertising())
        if self._controller is not None:
            interrupt_link(self._controller, for_s)
        self._timers.append(asyncio.get_running_loop().call_later(for_s, self._end_outage))

    def _end_outage(self) -> None:
        self._reachable = True
        if self._running:
            self.spawn(self._advertise())

    # -- traffic ---------------------------------------------------------------------

    def received(self, handle: Callable[[], None]) -> None:
        """Run `handle` (what the device does with a write) after the incoming delay."""
        self._rx.send(handle)

    async def through_air(self) -> None:
        """Wait as long as a request and its answer take on this link (a GATT read)."""
        answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def answer() -> None:
            if not answered.done():
                answered.set_result(None)

        self._in_flight.add(answered)
        try:
            self._rx.send(lambda: self._tx.send(answer))
            await answered
        finally:
            self._in_flight.discard(answered)

    def notify(self, characteristic: gatt.Characteristic[bytes], data: bytes) -> None:
        """Notify `data` to the central after the outgoing delay, in ATT-payload chunks."""

        def deliver() -> None:
            device, connection = self._device, self._connection
            if device is None or connection is None:
                return
            size = max(20, connection.att_mtu - 3)
            for start in range(0, len(data), size):
                chunk = data[start : start + size]
                self.spawn(device.notify_subscriber(connection, characteristic, chunk))

        self._tx.send(deliver)

    def spawn(self, coroutine: Coroutine[Any, Any, object]) -> None:
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("%s: a task failed", self.name, exc_info=task.exception())
