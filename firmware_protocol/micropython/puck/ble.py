"""The GATT server (SPEC.md section 3) and advertising, on aioble.

Writes are handed to the firmware with the ticks read as the write task wakes; the pong's
device time is that reading. Everything the core puts in its outbox is notified on the
event characteristic of the connected hub.
"""

import time

import aioble
import bluetooth

from ..core import advert, wire

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

SERVICE, CONTROL, DATA = wire.SERVICE_UUID, wire.CONTROL_UUID, wire.DATA_UUID
EVENT, INFO = wire.EVENT_UUID, wire.INFO_UUID
ADVERTISING_INTERVAL_US = 200_000
WRITE_BUFFER = 256  # the largest value a hub writes: 244 at MTU 247


class Radio:
    def __init__(
        self,
        name: str,
        capabilities: bytes,
        battery_percent: int,
        on_write: "Callable[[int, bytes, int], None]",
        on_link: "Callable[[int], None]",
    ) -> None:
        self._name = name
        self._on_write = on_write
        self._on_link = on_link  # ATT payload when a hub connects or the MTU grows, 0 when gone
        self.connection: object | None = None
        self._mtu = 23
        uuid = bluetooth.UUID
        service = aioble.Service(uuid(SERVICE))
        self._control = aioble.Characteristic(service, uuid(CONTROL), write=True, capture=True)
        self._data = aioble.Characteristic(
            service, uuid(DATA), write_no_response=True, capture=True
        )
        self._event = aioble.Characteristic(service, uuid(EVENT), notify=True)
        aioble.Characteristic(service, uuid(INFO), read=True, initial=capabilities)
        battery = aioble.Service(uuid(0x180F))
        self._battery = aioble.Characteristic(
            battery, uuid(0x2A19), read=True, notify=True, initial=bytes((battery_percent,))
        )
        info = aioble.Service(uuid(0x180A))
        for characteristic, text in (
            (0x2A29, "backstretch"),
            (0x2A24, "BackStretch desk puck"),
            (0x2A26, "mpy-1"),
        ):
            aioble.Characteristic(info, uuid(characteristic), read=True, initial=text.encode())
        aioble.register_services(service, battery, info)
        ble = bluetooth.BLE()
        ble.config(mtu=247)
        for characteristic in (self._control, self._data):
            ble.gatts_set_buffer(characteristic._value_handle, WRITE_BUFFER)

    async def serve(self) -> None:
        """Advertise, serve one hub until it leaves, and again, forever."""
        adv = advert.advertisement(SERVICE)
        resp = advert.scan_response(self._name)
        while True:
            connection = await aioble.advertise(
                ADVERTISING_INTERVAL_US, adv_data=adv, resp_data=resp
            )
            self.connection = connection
            self._mtu = 23
            self._on_link(self._mtu - 3)
            await connection.disconnected(timeout_ms=None)
            self.connection = None
            self._on_link(0)

    async def receive(self, channel: int) -> None:
        """Hands every value written to CONTROL or DATA to the firmware, as it arrives."""
        characteristic = self._control if channel == wire.CONTROL else self._data
        while True:
            connection, value = await characteristic.written()
            now = time.ticks_us()  # type: ignore[attr-defined]
            mtu = getattr(connection, "mtu", None) or 23
            if mtu != self._mtu:
                self._mtu = mtu
                self._on_link(mtu - 3)
            self._on_write(channel, bytes(value), now)

    def notify(self, frames: list[bytes]) -> None:
        connection = self.connection
        # aioble forgets the link's handle as soon as it drops, before `serve` wakes to
        # forget the connection: a reply to the hub's last write lands in between.
        if connection is None or not connection.is_connected():  # type: ignore[attr-defined]
            return
        for frame in frames:
            try:
                self._event.notify(connection, frame)
            except (OSError, ValueError, TypeError):
                # The hub is gone or not subscribed: what it missed is lost, as SPEC says.
                # (A handle cleared mid-notify is a TypeError in aioble.)
                return

    def battery(self, percent: int) -> None:
        self._battery.write(bytes((percent,)), send_update=True)
