"""The virtual radio: bumble's in-process link and controller, with the gaps filled.

bumble's virtual controller (0.0.236) is made for happy paths. Its gaps would hang or wedge
our tests, or let the simulator do what no wearable could, so `SimController` fills them:

- LE Create Connection Cancel is answered but no connection-complete event follows, so a
  host connecting to an absent device waits forever: we send the event (status 0x02).
- HCI_Reset does nothing and the virtual link has no supervision timeout, so a hub that dies
  while connected leaves the wearable "connected" and silent forever: reset (and the loss of
  the HCI transport, see `HciTransportServer`) drops the controller's links, and the peer
  sees a disconnection as it would after a supervision timeout.
- Nothing can take a link down from outside: `drop_link` does it, for the fault injector.
- Advertising data and scan responses of any length are taken, though a legacy advertising
  PDU carries at most 31 bytes of each: over-long data is refused (Invalid HCI Command
  Parameters), so the simulator cannot advertise what real firmware could not.
- A scanner is handed the advertising data a second time as the scan response, and every
  report as non-scannable: legacy advertisements are reported as a real controller reports
  them, with their true event type and, on an active scan of a scannable advertiser, the
  advertiser's own scan response.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any

from bumble import hci, ll
from bumble.controller import AdvertisingSet, Controller, LegacyAdvertiser
from bumble.controller import Connection as ControllerConnection
from bumble.device import Device
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink, PacketParser

from simulator.air import AirOptions
from simulator.link_layer import LinkLayer, LinkRecord

__all__ = [
    "LEGACY_ADVERTISING_DATA_MAX",
    "HciTransportServer",
    "LocalLink",
    "SimController",
    "SimLink",
    "drop_link",
    "interrupt_link",
    "local_device",
    "new_link",
    "parse_tcp_server_spec",
]

logger = logging.getLogger(__name__)

# What a peer sees when a link vanishes without a word (Core Vol 1, Part F, 2.8).
CONNECTION_TIMEOUT = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR
# The status the spec gives the connection-complete event that follows a cancel.
UNKNOWN_CONNECTION = hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR
# What a legacy advertising PDU carries at most, of advertising data and of scan response
# each (Core Vol 6, Part B, 2.3.1); the HCI commands that set them refuse more.
LEGACY_ADVERTISING_DATA_MAX = 31
INVALID_PARAMETERS = hci.HCI_ErrorCode.INVALID_COMMAND_PARAMETERS_ERROR
# The signal strength bumble's controller reports for every advertisement.
SIM_RSSI = -50

_Properties = hci.HCI_LE_Set_Extended_Advertising_Parameters_Command.AdvertisingProperties
_ExtendedEvent = hci.HCI_LE_Extended_Advertising_Report_Event.EventType
_LegacyEvent = hci.HCI_LE_Advertising_Report_Event.EventType
_COMPLETE_DATA = hci.HCI_LE_Set_Extended_Advertising_Data_Command.Operation.COMPLETE_DATA


class SimLink(LocalLink):
    """bumble's in-process link, told how each simulated device's connections went."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.on_link_closed: Callable[[LinkRecord], None] | None = None


class SimController(Controller):
    """bumble's virtual controller, with cancel, reset, link loss and advertising as on hardware.

    As a peripheral it passes its ACL packets through a `LinkLayer`: counted per connection,
    and with `air` options held for connection events (the `ble` link model).
    """

    def __init__(
        self,
        name: str,
        *,
        link: LocalLink,
        air: AirOptions | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(name, link=link)
        if air is not None:
            # With data length extension, as our 247-byte ATT MTU assumes: one ATT PDU is
            # one packet on air.
            self.le_acl_data_packet_length = 251
        self.link_layer = LinkLayer(
            self,
            air,
            rng or random.Random(0),
            lambda peer: drop_link(self, peer),
            report=self._report,
        )

    def _report(self, record: LinkRecord) -> None:
        hook = getattr(self.link, "on_link_closed", None)
        if hook is not None:
            hook(record)

    # ----------------------------------------------------------------- link layer

    def on_le_connect_ind(self, packet: ll.ConnectInd) -> None:
        super().on_le_connect_ind(packet)
        connection = self.le_connections.get(packet.initiator_address)
        if connection is not None and connection.role == hci.Role.PERIPHERAL:
            self.link_layer.connected(connection)

    def on_le_disconnected(self, connection: ControllerConnection, reason: int) -> None:
        self.link_layer.disconnected(connection)
        super().on_le_disconnected(connection, reason)

    def on_hci_acl_data_packet(self, packet: hci.HCI_AclDataPacket) -> None:
        self.link_layer.from_host(packet, lambda: Controller.on_hci_acl_data_packet(self, packet))

    def on_link_acl_data(self, sender_address: hci.Address, transport: Any, data: bytes) -> None:
        self.link_layer.from_air(
            sender_address,
            data,
            lambda: Controller.on_link_acl_data(self, sender_address, transport, data),
        )

    # ----------------------------------------------------------------- connections

    def on_hci_le_create_connection_cancel_command(
        self,
        command: hci.HCI_LE_Create_Connection_Cancel_Command,  # noqa: ARG002 - the handler signature bumble calls
    ) -> hci.HCI_StatusReturnParameters:
        pending = self.pending_le_connection
        if pending is None:
            return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
        self.pending_le_connection = None
        event = hci.HCI_LE_Connection_Complete_Event(
            status=UNKNOWN_CONNECTION,
            connection_handle=0,
            role=hci.Role.CENTRAL,
            peer_address_type=pending.peer_address.address_type,
            peer_address=pending.peer_address,
            connection_interval=0,
            peripheral_latency=0,
            supervision_timeout=0,
            central_clock_accuracy=0,
        )
        # After the Command Complete of the cancel itself, as the spec orders them.
        asyncio.get_running_loop().call_soon(self.send_hci_packet, event)
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)

    def on_hci_reset_command(
        self,
        command: hci.HCI_Reset_Command,  # noqa: ARG002 - the handler signature bumble calls
    ) -> hci.HCI_StatusReturnParameters:
        self.forget_host_state()
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)

    def forget_host_state(self) -> None:
        """Drop every link (peers see a timeout), stop advertising and scanning, as a reset does.

        The host that owned this controller is gone or starting over, so it is told nothing.
        """
        for connection in list(self.le_connections.values()):
            _notify_peer_of_loss(self, connection)
            self.link_layer.disconnected(connection)
            del self.le_connections[connection.peer_address]
        self.pending_le_connection = None
        self.le_scan_enable = False
        self.le_legacy_advertiser.stop()
        for advertising_set in self.advertising_sets.values():
            advertising_set.stop()
        self.advertising_sets.clear()

    # ----------------------------------------------------------------- advertising

    def on_hci_le_set_advertising_data_command(
        self, command: hci.HCI_LE_Set_Advertising_Data_Command
    ) -> hci.HCI_StatusReturnParameters:
        if len(command.advertising_data) > LEGACY_ADVERTISING_DATA_MAX:
            return hci.HCI_StatusReturnParameters(INVALID_PARAMETERS)
        return super().on_hci_le_set_advertising_data_command(command)

    def on_hci_le_set_scan_response_data_command(
        self, command: hci.HCI_LE_Set_Scan_Response_Data_Command
    ) -> hci.HCI_StatusReturnParameters:
        if len(command.scan_response_data) > LEGACY_ADVERTISING_DATA_MAX:
            return hci.HCI_StatusReturnParameters(INVALID_PARAMETERS)
        return super().on_hci_le_set_scan_response_data_command(command)

    # bumble's Device advertises through these (legacy PDUs from an advertising set) whenever
    # the controller offers extended advertising, as this one does.
    def on_hci_le_set_extended_advertising_data_command(
        self, command: hci.HCI_LE_Set_Extended_Advertising_Data_Command
    ) -> hci.HCI_StatusReturnParameters:
        if self._refuses_legacy_data(
            command.advertising_handle, command.operation, command.advertising_data
        ):
            return hci.HCI_StatusReturnParameters(INVALID_PARAMETERS)
        return super().on_hci_le_set_extended_advertising_data_command(command)

    def on_hci_le_set_extended_scan_response_data_command(
        self, command: hci.HCI_LE_Set_Extended_Scan_Response_Data_Command
    ) -> hci.HCI_StatusReturnParameters:
        if self._refuses_legacy_data(
            command.advertising_handle, command.operation, command.scan_response_data
        ):
            return hci.HCI_StatusReturnParameters(INVALID_PARAMETERS)
        return super().on_hci_le_set_extended_scan_response_data_command(command)

    def _refuses_legacy_data(self, handle: int, operation: int, data: bytes) -> bool:
        # A set sending legacy PDUs takes its data whole, in one command (Core Vol 4, Part E,
        # 7.8.54 and 7.8.55).
        advertising_set = self.advertising_sets.get(handle)
        if advertising_set is None or not _uses_legacy_pdus(advertising_set):
            return False
        return operation != _COMPLETE_DATA or len(data) > LEGACY_ADVERTISING_DATA_MAX

    def on_hci_le_set_extended_scan_parameters_command(
        self, command: hci.HCI_LE_Set_Extended_Scan_Parameters_Command
    ) -> hci.HCI_StatusReturnParameters:
        # bumble forgets whether the scan is active; the reports below depend on it.
        result = super().on_hci_le_set_extended_scan_parameters_command(command)
        if result.status == hci.HCI_ErrorCode.SUCCESS:
            active = hci.HCI_LE_Set_Extended_Scan_Parameters_Command.ACTIVE_SCANNING
            self.le_scan_type = int(active in command.scan_types)
        return result

    def on_advertising_pdu(self, pdu: ll.AdvInd | ll.AdvExtInd) -> None:
        """Report a legacy advertisement as a real controller does, then let bumble go on.

        bumble reports the PDU's data twice, the second time posing as the scan response,
        and marks neither report scannable nor legacy: a host would never hear what the
        advertiser put in its scan response (our wearables' name). The virtual link has no
        SCAN_REQ/SCAN_RSP exchange, so the scan response is read from the advertiser's
        controller, and reported only on an active scan, as a radio would hear it; the
        advertising report keeps only what the PDU carried.
        """
        heard = _legacy_advertiser(self, pdu)
        if heard is None or not self.le_scan_enable:
            super().on_advertising_pdu(pdu)
            return
        properties, scan_response = heard
        self._report_legacy(pdu.advertiser_address, properties, pdu.data, scan_response)
        # bumble's own handling, its reports left out: a pending connection to this advertiser.
        self.le_scan_enable = False
        try:
            super().on_advertising_pdu(pdu)
        finally:
            self.le_scan_enable = True

    def _report_legacy(
        self, address: hci.Address, properties: int, data: bytes, scan_response: bytes
    ) -> None:
        connectable = bool(properties & _Properties.CONNECTABLE_ADVERTISING)
        scannable = bool(properties & _Properties.SCANNABLE_ADVERTISING)
        answers = (
            scannable
            and self.le_scan_type == hci.HCI_LE_Set_Scan_Parameters_Command.ACTIVE_SCANNING
        )
        if self.le_features & hci.LeFeatureMask.LE_EXTENDED_ADVERTISING:
            kind = _ExtendedEvent.LEGACY_ADVERTISING_PDU_USED
            if connectable:
                kind |= _ExtendedEvent.CONNECTABLE_ADVERTISING
            if scannable:
                kind |= _ExtendedEvent.SCANNABLE_ADVERTISING
            self._send_extended_report(address, kind, data)
            if answers:
                self._send_extended_report(
                    address, kind | _ExtendedEvent.SCAN_RESPONSE, scan_response
                )
            return
        if connectable:
            legacy_kind = _LegacyEvent.ADV_IND
        else:
            legacy_kind = _LegacyEvent.ADV_SCAN_IND if scannable else _LegacyEvent.ADV_NONCONN_IND
        self._send_legacy_report(address, legacy_kind, data)
        if answers:
            self._send_legacy_report(address, _LegacyEvent.SCAN_RSP, scan_response)

    def _send_extended_report(self, address: hci.Address, kind: int, data: bytes) -> None:
        event = hci.HCI_LE_Extended_Advertising_Report_Event
        report = event.Report(
            event_type=kind,
            address_type=address.address_type,
            address=address,
            primary_phy=hci.Phy.LE_1M,
            secondary_phy=0,  # a legacy PDU is sent on the primary channels only
            advertising_sid=event.NO_ADI_FIELD_PROVIDED,
            tx_power=event.TX_POWER_INFORMATION_NOT_AVAILABLE,
            rssi=SIM_RSSI,
            periodic_advertising_interval=0,
            direct_address_type=0,
            direct_address=hci.Address.ANY,
            data=data,
        )
        self.send_hci_packet(event([report]))

    def _send_legacy_report(self, address: hci.Address, kind: int, data: bytes) -> None:
        report = hci.HCI_LE_Advertising_Report_Event.Report(
            event_type=kind,
            address_type=address.address_type,
            address=address,
            data=data,
            rssi=SIM_RSSI,
        )
        self.send_hci_packet(hci.HCI_LE_Advertising_Report_Event([report]))


def _uses_legacy_pdus(advertising_set: AdvertisingSet) -> bool:
    parameters = advertising_set.parameters
    return parameters is not None and bool(
        parameters.advertising_event_properties & _Properties.USE_LEGACY_ADVERTISING_PDUS
    )


def _legacy_advertiser(
    controller: Controller, pdu: ll.AdvInd | ll.AdvExtInd
) -> tuple[int, bytes] | None:
    """The event properties and scan response of the undirected legacy advertiser that sent
    `pdu`, or None when it is no such advertiser (bumble then reports the PDU its own way)."""
    peer = controller.link.find_le_controller(pdu.advertiser_address) if controller.link else None
    if peer is None:
        return None
    # Not required to be still enabled: a PDU in flight when advertising stopped was sent.
    if isinstance(pdu, ll.AdvInd):
        legacy: LegacyAdvertiser = peer.le_legacy_advertiser
        if legacy.address != pdu.advertiser_address:
            return None
        # bumble's legacy advertiser only ever sends ADV_IND: connectable and scannable.
        adv_ind = _Properties.CONNECTABLE_ADVERTISING | _Properties.SCANNABLE_ADVERTISING
        return int(adv_ind), legacy.scan_response_data
    for advertising_set in peer.advertising_sets.values():
        parameters = advertising_set.parameters
        if (
            parameters is not None
            and advertising_set.address == pdu.advertiser_address
            and parameters.advertising_sid == pdu.sid
        ):
            properties = parameters.advertising_event_properties
            if (
                not _uses_legacy_pdus(advertising_set)
                or properties & _Properties.DIRECTED_ADVERTISING
            ):
                return None
            return properties, bytes(advertising_set.scan_response_data)
    return None


def _notify_peer_of_loss(controller: Controller, connection: ControllerConnection) -> None:
    peer = controller.link.find_le_controller(connection.peer_address)
    if peer is None:
        return
    peer_connection = peer.le_connections.get(connection.self_address)
    if peer_connection is not None:
        peer.on_le_disconnected(peer_connection, CONNECTION_TIMEOUT)


def drop_link(controller: Controller, peer_address: hci.Address | None = None) -> int:
    """Take down `controller`'s links (to `peer_address` only, if given) as a radio outage would.

    Both ends get a Disconnection Complete with reason "connection timeout". Returns how
    many links were dropped.
    """
    dropped = 0
    for connection in list(controller.le_connections.values()):
        if peer_address is not None and connection.peer_address != peer_address:
            continue
        _notify_peer_of_loss(controller, connection)
        controller.on_le_disconnected(connection, CONNECTION_TIMEOUT)
        dropped += 1
    return dropped


def interrupt_link(controller: SimController, for_s: float) -> None:
    """Radio silence around `controller` for `for_s` seconds, for the fault injector.

    With an air model its links go on waiting for events, and drop when the silence
    outlasts their supervision timeout; without one, they drop at once.
    """
    if controller.link_layer.interrupt(for_s):
        drop_link(controller)


def new_link() -> SimLink:
    """A fresh virtual radio link."""
    return SimLink()


def local_device(
    name: str,
    address: str,
    link: LocalLink,
    air: AirOptions | None = None,
    rng: random.Random | None = None,
) -> tuple[Device, SimController]:
    """A bumble Device with its own `SimController` on `link`, in this process.

    `address` is a random static address ("C0:..." style); call `await device.power_on()`.
    With `air`, its connections as a peripheral move data at connection events.
    """
    controller = SimController(name, link=link, air=air, rng=rng)
    host = Host(controller, AsyncPipeSink(controller))
    device = Device(name=name, address=hci.Address(address), host=host)
    return device, controller


def parse_tcp_server_spec(spec: str) -> tuple[str, int]:
    """("127.0.0.1", 5555) from "tcp-server:127.0.0.1:5555" (or "_:5555" for every interface)."""
    scheme, _, rest = spec.partition(":")
    host, _, port = rest.rpartition(":")
    if scheme != "tcp-server" or not host or not port.isdigit():
        raise ValueError(
            f"cannot listen on {spec!r}: give tcp-server:HOST:PORT, e.g. tcp-server:127.0.0.1:5555"
        )
    return ("0.0.0.0" if host == "_" else host), int(port)  # noqa: S104 - "_" asks for it


class _HciStream(asyncio.Protocol):
    """One hub's HCI byte stream: H4 packets in, to the bridged controller, and events out."""

    def __init__(self, server: HciTransportServer) -> None:
        self._server = server
        self._parser = PacketParser(self)
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._server.attach(self)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except ValueError:
            logger.warning("hub sent an invalid HCI packet; closing its connection")
            if self.transport is not None:
                self.transport.close()

    def on_packet(self, packet: bytes) -> None:
        self._server.from_hub(self, packet)

    def connection_lost(self, exc: Exception | None) -> None:  # noqa: ARG002 - the handler signature bumble calls
        self._server.detach(self)


class HciTransportServer:
    """A `SimController` on the link whose HCI side is a TCP listener: a hub's radio.

    A hub started with `--adapter tcp-client:HOST:PORT` drives this controller as it would
    a USB dongle. One hub at a time: a new connection replaces the old one. When the hub
    goes (closes, crashes, is killed), the controller's links are dropped so that the
    wearables see the loss and advertise again.
    """

    def __init__(
        self,
        link: LocalLink,
        host: str,
        port: int,
        on_hci: Callable[[str, hci.HCI_Packet], None] | None = None,
    ) -> None:
        self.controller = SimController("hub-bridge", link=link)
        self.controller.host = self
        self._host = host
        self._port = port
        self._on_hci = on_hci
        self._server: asyncio.Server | None = None
        self._stream: _HciStream | None = None

    @property
    def port(self) -> int:
        """The port actually listened on (useful when 0 was asked for)."""
        if self._server is None or not self._server.sockets:
            return self._port
        sockname: Any = self._server.sockets[0].getsockname()
        return int(sockname[1])

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _HciStream(self), self._host, self._port, reuse_address=True
        )

    async def close(self) -> None:
        if self._stream is not None and self._stream.transport is not None:
            self._stream.transport.close()
        self.controller.forget_host_state()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    # The controller's host sink: events and ACL data go to the current hub.
    def on_packet(self, packet: bytes) -> None:
        stream = self._stream
        if stream is not None and stream.transport is not None:
            stream.transport.write(packet)

    def attach(self, stream: _HciStream) -> None:
        old = self._stream
        self._stream = stream
        if old is not None and old.transport is not None:
            logger.info("a new hub connected; dropping the previous one")
            old.transport.close()
        self.controller.forget_host_state()
        logger.info("hub connected over HCI")

    def detach(self, stream: _HciStream) -> None:
        if stream is not self._stream:
            return
        self._stream = None
        self.controller.forget_host_state()
        logger.info("hub disconnected; its links are dropped")

    def from_hub(self, stream: _HciStream, packet: bytes) -> None:
        if stream is not self._stream:
            return
        if self._on_hci is not None:
            self._on_hci("hub->controller", hci.HCI_Packet.from_bytes(packet))
        self.controller.on_packet(packet)
