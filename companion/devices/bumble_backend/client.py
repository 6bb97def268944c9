"""The bleak client backend on a bumble central."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar

from bleak.args import SizedBuffer
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError, BleakGATTProtocolError
from bumble import core, hci
from bumble.att import ATT_Error
from bumble.device import Connection, Device, Peer
from bumble.gatt_client import CharacteristicProxy

from companion.devices.bumble_backend.central import BumbleCentral
from companion.devices.bumble_backend.events import logged
from companion.devices.bumble_backend.scanner import bleak_uuid

__all__ = ["BumbleClient"]

logger = logging.getLogger(__name__)

# The largest ATT MTU we ask for: a 244-byte payload fits one LE data packet with DLE.
PREFERRED_MTU = 247
# The reason a link reports when its adapter vanished: as if the supervision timed out.
CONNECTION_TIMEOUT = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR


@contextlib.asynccontextmanager
async def bleak_errors(what: str) -> AsyncIterator[None]:
    """Turn bumble's exceptions into the ones bleak users catch."""
    try:
        yield
    except ATT_Error as exc:
        raise BleakGATTProtocolError(exc.error_code) from exc
    except core.TimeoutError as exc:
        # bumble's own TimeoutError is not the builtin one callers catch.
        raise TimeoutError(f"{what} timed out") from exc
    except core.ConnectionError as exc:
        raise BleakError(f"{what} failed: {exc}") from exc
    except core.BaseBumbleError as exc:
        raise BleakError(f"{what} failed: {exc}") from exc
    except asyncio.CancelledError:
        # bumble cancels its own futures when a connection or the adapter goes (a GATT
        # request in flight, a pending disconnect): a failure, not this task being cancelled.
        task = asyncio.current_task()
        if task is None or task.cancelling():
            raise
        raise BleakError(f"{what} failed: the connection went") from None


async def _cancel_create_connection(device: Device) -> None:
    with contextlib.suppress(core.BaseBumbleError, hci.HCI_Error, TimeoutError):
        await asyncio.wait_for(
            device.send_sync_command(hci.HCI_LE_Create_Connection_Cancel_Command()), 1.0
        )


class BumbleClient(BaseBleakClient):
    """A GATT client through the bound central; use `BumbleCentral.client_backend`."""

    _central: ClassVar[BumbleCentral]

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        services: set[str] | None = None,  # noqa: ARG002 - bleak passes it
        **kwargs: Any,  # noqa: ARG002 - bleak passes it
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        self._name = (
            address_or_ble_device.name
            if isinstance(address_or_ble_device, BLEDevice) and address_or_ble_device.name
            else self.address
        )
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._mtu = 23
        self._subscriptions: dict[int, Callable[[bytes], None]] = {}

    @property
    def name(self) -> str:
        return self._name

    @property
    def mtu_size(self) -> int:
        return self._mtu

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError(f"not connected to {self.address}")
        return self._peer

    async def connect(self, pair: bool, **kwargs: Any) -> None:  # noqa: ARG002 - bleak passes it
        if self._connection is not None:
            return
        try:
            # A bare address is random (the simulator's, most watches'); "/P" marks public.
            address = hci.Address(self.address)
        except (ValueError, core.InvalidArgumentError) as exc:
            raise BleakError(f"{self.address!r} is not a Bluetooth address") from exc
        central = self._central
        # An adapter being reopened fails the connect now: the supervisor backs off and
        # tries again, rather than every link queueing on the lock for a dead controller.
        central.require_available()
        async with central.connect_lock, bleak_errors(f"connecting to {self.address}"):
            central.require_available()
            # Read at each connect: a reopened adapter is a new Device.
            device = central.device
            try:
                connection = await central.until_lost(
                    device.connect(address, timeout=self._timeout)
                )
            except asyncio.CancelledError:
                # bumble cancels a pending connect on its own timeout, not on ours: without
                # this, the controller refuses the next attempt (command disallowed). With
                # nothing pending, the controller refuses the cancel, which is fine.
                if central.available:
                    await _cancel_create_connection(device)
                raise
        self._connection = connection
        self._watch(connection)
        try:
            async with asyncio.timeout(self._timeout), bleak_errors("GATT setup"):
                peer = Peer(connection)
                self._mtu = await peer.request_mtu(PREFERRED_MTU)
                self.services = await self._discover(peer)
                self._peer = peer
        except BaseException:
            await self.disconnect()
            raise

    async def _discover(self, peer: Peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        for service in await peer.discover_services():
            bleak_service = BleakGATTService(service, service.handle, bleak_uuid(service.uuid))
            collection.add_service(bleak_service)
            for characteristic in await peer.discover_characteristics(service=service):
                props = str(characteristic.properties).lower().replace("_", "-")
                bleak_char = BleakGATTCharacteristic(
                    characteristic,
                    characteristic.handle,
                    bleak_uuid(characteristic.uuid),
                    [p for p in props.split("|") if p],  # type: ignore[misc]
                    lambda: self._mtu - 3,
                    bleak_service,
                )
                collection.add_characteristic(bleak_char)
                for descriptor in await peer.discover_descriptors(characteristic):
                    collection.add_descriptor(
                        BleakGATTDescriptor(
                            descriptor, descriptor.handle, bleak_uuid(descriptor.type), bleak_char
                        )
                    )
        return collection

    def _watch(self, connection: Connection) -> None:
        """Report `connection`'s end once, whether bumble says so or the adapter vanishes."""
        reported = False

        def report(reason: int) -> None:
            nonlocal reported
            if not reported:
                reported = True
                forget()
                self._on_disconnection(reason)

        forget = self._central.on_adapter_lost(lambda: report(CONNECTION_TIMEOUT))
        connection.on(connection.EVENT_DISCONNECTION, logged(report))

    def _on_disconnection(self, reason: int) -> None:
        self._connection = None
        self._peer = None
        self._subscriptions.clear()
        logger.debug("disconnected from %s (reason 0x%02X)", self.address, reason)
        callback = self._disconnected_callback
        if callback is not None:
            callback()

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        # until_lost: a controller that is gone would never answer.
        with contextlib.suppress(BleakError, TimeoutError):
            async with bleak_errors(f"disconnecting from {self.address}"):
                await self._central.until_lost(connection.disconnect())
        self._connection = None
        self._peer = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("backstretch wearables do not pair")

    async def unpair(self) -> None:
        raise NotImplementedError("backstretch wearables do not pair")

    async def read_gatt_char(
        self,
        characteristic: BleakGATTCharacteristic,
        *,
        use_cached: bool = False,  # noqa: ARG002 - bumble keeps no cache: always reads
        **kwargs: Any,  # noqa: ARG002 - bleak passes it
    ) -> bytearray:
        peer = self._require_peer()
        async with bleak_errors(f"reading {characteristic.uuid}"):
            return bytearray(await peer.read_value(characteristic.handle))

    async def read_gatt_descriptor(
        self,
        descriptor: BleakGATTDescriptor,
        *,
        use_cached: bool = False,  # noqa: ARG002 - bumble keeps no cache: always reads
        **kwargs: Any,  # noqa: ARG002 - bleak passes it
    ) -> bytearray:
        peer = self._require_peer()
        async with bleak_errors(f"reading descriptor {descriptor.uuid}"):
            return bytearray(await peer.read_value(descriptor.handle))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        peer = self._require_peer()
        async with bleak_errors(f"writing {characteristic.uuid}"):
            await peer.write_value(characteristic.handle, bytes(data), with_response=response)

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        peer = self._require_peer()
        async with bleak_errors(f"writing descriptor {descriptor.uuid}"):
            await peer.write_value(descriptor.handle, bytes(data), with_response=True)

    async def start_notify(
        self,
        characteristic: BleakGATTCharacteristic,
        callback: NotifyCallback,
        **kwargs: Any,  # noqa: ARG002 - bleak passes it
    ) -> None:
        self._require_peer()
        proxy = characteristic.obj
        assert isinstance(proxy, CharacteristicProxy)

        def deliver(value: bytes) -> None:
            callback(bytearray(value))

        handler = logged(deliver)
        async with bleak_errors(f"subscribing to {characteristic.uuid}"):
            await proxy.subscribe(handler, prefer_notify=True)
        self._subscriptions[characteristic.handle] = handler

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._require_peer()
        proxy = characteristic.obj
        assert isinstance(proxy, CharacteristicProxy)
        handler = self._subscriptions.pop(characteristic.handle, None)
        async with bleak_errors(f"unsubscribing from {characteristic.uuid}"):
            await proxy.unsubscribe(handler)
