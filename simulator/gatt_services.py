"""The wearable's GATT database: the backstretch service, Battery and Device Information.

bumble's GATT server does not enforce a characteristic's properties (a write to a read-only
value just replaces it), and a value callback that raises anything but `ATT_Error` leaves
the request unanswered, so the client waits for its 30 s ATT timeout. Every attribute here
therefore goes through callbacks that reject what it does not support with the ATT error a
real stack would send, at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bumble import att, gatt
from bumble.device import Connection

from firmware_protocol import gatt as uuids

__all__ = [
    "AlertGatt",
    "ConsoleGatt",
    "WearableGatt",
    "build_alert_gatt",
    "build_console_gatt",
    "build_gatt",
]

logger = logging.getLogger(__name__)

Props = gatt.Characteristic.Properties
Perms = gatt.Characteristic.Permissions

Reader = Callable[[], bytes]
Writer = Callable[[bytes], Awaitable[None] | None]


def _refuse_write(_connection: Connection, _value: bytes) -> None:
    raise att.ATT_Error(att.ATT_WRITE_NOT_PERMITTED_ERROR)


def _refuse_read(_connection: Connection) -> bytes:
    raise att.ATT_Error(att.ATT_READ_NOT_PERMITTED_ERROR)


def _read_only(read: Reader) -> gatt.CharacteristicValue[bytes]:
    def on_read(_connection: Connection) -> bytes:
        return read()

    return gatt.CharacteristicValue(read=on_read, write=_refuse_write)


def _write_only(write: Writer) -> gatt.CharacteristicValue[bytes]:
    async def on_write(_connection: Connection, value: bytes) -> None:
        try:
            result = write(bytes(value))
            if result is not None:
                await result
        except att.ATT_Error:
            raise
        except Exception:
            # Anything else would leave the request unanswered for 30 s: log and reject.
            logger.exception("the wearable failed to handle a write")
            raise att.ATT_Error(att.ATT_UNLIKELY_ERROR_ERROR) from None

    return gatt.CharacteristicValue(read=_refuse_read, write=on_write)


@dataclass(frozen=True)
class WearableGatt:
    """The services to add to the device, and the characteristics that notify."""

    services: list[gatt.Service]
    event: gatt.Characteristic[bytes]
    battery_level: gatt.Characteristic[bytes]


def build_gatt(
    *,
    on_control: Writer,
    on_data: Writer,
    read_info: Reader,
    read_battery: Reader,
    model: str,
    firmware_revision: str,
) -> WearableGatt:
    """The GATT database of one wearable, wired to its firmware's handlers."""
    control: gatt.Characteristic[bytes] = gatt.Characteristic(
        uuids.CONTROL_CHAR_UUID, Props.WRITE, Perms.WRITEABLE, _write_only(on_control)
    )
    data: gatt.Characteristic[bytes] = gatt.Characteristic(
        uuids.DATA_CHAR_UUID, Props.WRITE_WITHOUT_RESPONSE, Perms.WRITEABLE, _write_only(on_data)
    )
    # The value is only ever sent as notifications; a read says so.
    event: gatt.Characteristic[bytes] = gatt.Characteristic(
        uuids.EVENT_CHAR_UUID,
        Props.NOTIFY,
        Perms.READABLE,
        gatt.CharacteristicValue(read=_refuse_read, write=_refuse_write),
    )
    info: gatt.Characteristic[bytes] = gatt.Characteristic(
        uuids.INFO_CHAR_UUID, Props.READ, Perms.READABLE, _read_only(read_info)
    )
    battery_level: gatt.Characteristic[bytes] = gatt.Characteristic(
        uuids.BATTERY_LEVEL_CHAR_UUID,
        Props.READ | Props.NOTIFY,
        Perms.READABLE,
        _read_only(read_battery),
    )

    dis = _device_information(model, firmware_revision)
    services = [
        gatt.Service(uuids.SERVICE_UUID, [control, data, event, info]),
        gatt.Service(uuids.BATTERY_SERVICE_UUID, [battery_level]),
        gatt.Service(uuids.DEVICE_INFORMATION_SERVICE_UUID, dis),
    ]
    return WearableGatt(services=services, event=event, battery_level=battery_level)


# The Nordic UART service, as Espruino's console runs on it.
NUS_SERVICE_UUID = "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
NUS_RX_UUID = "6e400002-b5a3-f393-e0a9-e50e24dcca9e"
NUS_TX_UUID = "6e400003-b5a3-f393-e0a9-e50e24dcca9e"


@dataclass(frozen=True)
class ConsoleGatt:
    """A console's services: what the hub writes goes to `on_rx`; output notifies on `tx`."""

    services: list[gatt.Service]
    tx: gatt.Characteristic[bytes]


def build_console_gatt(*, on_rx: Writer, model: str, firmware_revision: str) -> ConsoleGatt:
    """The GATT database of a watch whose console is on the Nordic UART service."""
    rx: gatt.Characteristic[bytes] = gatt.Characteristic(
        NUS_RX_UUID,
        Props.WRITE | Props.WRITE_WITHOUT_RESPONSE,
        Perms.WRITEABLE,
        _write_only(on_rx),
    )
    tx: gatt.Characteristic[bytes] = gatt.Characteristic(
        NUS_TX_UUID,
        Props.NOTIFY,
        Perms.READABLE,
        gatt.CharacteristicValue(read=_refuse_read, write=_refuse_write),
    )
    dis = _device_information(model, firmware_revision)
    services = [
        gatt.Service(NUS_SERVICE_UUID, [rx, tx]),
        gatt.Service(uuids.DEVICE_INFORMATION_SERVICE_UUID, dis),
    ]
    return ConsoleGatt(services=services, tx=tx)


# The Immediate Alert service and its one characteristic (Bluetooth SIG assigned numbers).
IMMEDIATE_ALERT_SERVICE_UUID = "00001802-0000-1000-8000-00805f9b34fb"
ALERT_LEVEL_CHAR_UUID = "00002a06-0000-1000-8000-00805f9b34fb"


@dataclass(frozen=True)
class AlertGatt:
    """A band's services: Immediate Alert, Battery, Device Information."""

    services: list[gatt.Service]
    battery_level: gatt.Characteristic[bytes]


def build_alert_gatt(
    *,
    on_alert: Writer,
    read_battery: Reader,
    model: str,
    firmware_revision: str,
    through_air: Callable[[], Awaitable[None]],
) -> AlertGatt:
    """The GATT database of a band that buzzes on an Immediate Alert write; every read is
    answered after `through_air` (the link's delay both ways), as over a real radio."""
    # Write without response only, as the Immediate Alert service specifies.
    alert_level: gatt.Characteristic[bytes] = gatt.Characteristic(
        ALERT_LEVEL_CHAR_UUID,
        Props.WRITE_WITHOUT_RESPONSE,
        Perms.WRITEABLE,
        _write_only(on_alert),
    )

    def delayed(read: Reader) -> gatt.CharacteristicValue[bytes]:
        async def on_read(_connection: Connection) -> bytes:
            await through_air()
            return read()

        return gatt.CharacteristicValue(read=on_read, write=_refuse_write)

    battery_level: gatt.Characteristic[bytes] = gatt.Characteristic(
        uuids.BATTERY_LEVEL_CHAR_UUID,
        Props.READ | Props.NOTIFY,
        Perms.READABLE,
        delayed(read_battery),
    )
    services = [
        gatt.Service(IMMEDIATE_ALERT_SERVICE_UUID, [alert_level]),
        gatt.Service(uuids.BATTERY_SERVICE_UUID, [battery_level]),
        gatt.Service(
            uuids.DEVICE_INFORMATION_SERVICE_UUID,
            _device_information(model, firmware_revision, delayed),
        ),
    ]
    return AlertGatt(services=services, battery_level=battery_level)


def _device_information(
    model: str,
    firmware_revision: str,
    value: Callable[[Reader], gatt.CharacteristicValue[bytes]] = _read_only,
) -> list[gatt.Characteristic[bytes]]:
    return [
        gatt.Characteristic(uuid, Props.READ, Perms.READABLE, value(_text(text)))
        for uuid, text in (
            (uuids.MANUFACTURER_NAME_CHAR_UUID, "backstretch simulator"),
            (uuids.MODEL_NUMBER_CHAR_UUID, model),
            (uuids.FIRMWARE_REVISION_CHAR_UUID, firmware_revision),
        )
    ]


def _text(value: str) -> Reader:
    encoded = value.encode()
    return lambda: encoded
