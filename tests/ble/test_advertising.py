"""Advertising within the rules: what the simulator puts on the air fits a legacy PDU, and a
hub's active scan still hears the name (from the scan response) and the service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import pytest
from bumble import hci, ll
from bumble.core import UUID, AdvertisingData
from bumble.device import Device

from companion.devices.bumble_backend import BumbleCentral
from companion.devices.discovery import find_wearables
from companion.devices.radio import Radio
from firmware_protocol.gatt import SERVICE_UUID
from simulator import LocalLink, SimOptions
from simulator.bangle import SimulatedBangle
from simulator.gatt_services import NUS_SERVICE_UUID
from simulator.radio import SimController, local_device
from tests.ble.conftest import MakeWearable

# Core Vol 6, Part B, 2.3.1: a legacy PDU's AdvData (and ScanRspData) is 0 to 31 octets.
LEGACY_MAX = 31
SERVICE = UUID(SERVICE_UUID)
LONG_NAME = "BackStretch-Arbeitszimmer-Stühle"  # 33 bytes, and 29 would split the ü

_DATA_COMMANDS = (
    hci.HCI_LE_Set_Advertising_Data_Command,
    hci.HCI_LE_Set_Extended_Advertising_Data_Command,
)
_SCAN_RESPONSE_COMMANDS = (
    hci.HCI_LE_Set_Scan_Response_Data_Command,
    hci.HCI_LE_Set_Extended_Scan_Response_Data_Command,
)
_Report = hci.HCI_LE_Extended_Advertising_Report_Event.Report
_Kind = hci.HCI_LE_Extended_Advertising_Report_Event.EventType
T = TypeVar("T")


@dataclass
class Recorder(Generic[T]):
    """Things seen, and a way to wait until enough of them were."""

    items: list[T] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, item: T) -> None:
        self.items.append(item)
        self._changed.set()

    async def until(self, done: Callable[[list[T]], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not done(self.items):
                self._changed.clear()
                await self._changed.wait()


@dataclass
class Air:
    """Every advertising PDU on the link, and every data command a SimController took."""

    pdus: Recorder[tuple[str, ll.AdvInd | ll.AdvExtInd]] = field(default_factory=Recorder)
    advertising_data: list[tuple[str, bytes]] = field(default_factory=list)
    scan_responses: list[tuple[str, bytes]] = field(default_factory=list)

    def data_of(self, name: str) -> list[bytes]:
        return [data for sender, data in self.advertising_data if sender == name]

    def scan_responses_of(self, name: str) -> list[bytes]:
        return [data for sender, data in self.scan_responses if sender == name]

    def pdus_of(self, name: str) -> list[bytes]:
        return [pdu.data for sender, pdu in self.pdus.items if sender == name]


@pytest.fixture
def air(link: LocalLink, monkeypatch: pytest.MonkeyPatch) -> Air:
    recorded = Air()
    send_pdu = link.send_advertising_pdu

    def on_air(sender: SimController, packet: ll.AdvertisingPdu) -> None:
        if isinstance(packet, ll.AdvInd | ll.AdvExtInd):
            recorded.pdus.add((sender.name, packet))
        send_pdu(sender, packet)

    monkeypatch.setattr(link, "send_advertising_pdu", on_air)
    take_command = SimController.on_hci_command_packet

    def on_command(self: SimController, command: hci.HCI_Command) -> None:
        if isinstance(command, _DATA_COMMANDS):
            recorded.advertising_data.append((self.name, command.advertising_data))
        elif isinstance(command, _SCAN_RESPONSE_COMMANDS):
            recorded.scan_responses.append((self.name, command.scan_response_data))
        take_command(self, command)

    monkeypatch.setattr(SimController, "on_hci_command_packet", on_command)
    return recorded


def ad(data: bytes, kind: int) -> object:
    return AdvertisingData.from_bytes(data).get(kind)


async def test_every_advertisement_fits_a_legacy_pdu(air: Air, make_wearable: MakeWearable) -> None:
    short = await make_wearable(SimOptions(seed=3))
    long = await make_wearable(SimOptions(seed=4, name=LONG_NAME))
    names = (short.name, long.name)
    await air.pdus.until(lambda _: all(len(air.pdus_of(name)) >= 3 for name in names))

    for name in names:
        sent = air.data_of(name) + air.scan_responses_of(name) + air.pdus_of(name)
        assert air.data_of(name), name
        assert air.scan_responses_of(name), name
        assert all(len(data) <= LEGACY_MAX for data in sent), name
        for data in air.data_of(name) + air.pdus_of(name):
            uuids = ad(data, AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS)
            assert uuids == [SERVICE]
            # The name is for the scan response only: the service alone makes it a wearable.
            assert ad(data, AdvertisingData.COMPLETE_LOCAL_NAME) is None
    assert {
        ad(d, AdvertisingData.COMPLETE_LOCAL_NAME) for d in air.scan_responses_of(short.name)
    } == {short.name}
    shortened = {
        ad(d, AdvertisingData.SHORTENED_LOCAL_NAME) for d in air.scan_responses_of(long.name)
    }
    assert len(shortened) == 1
    (prefix,) = shortened
    assert isinstance(prefix, str)
    assert long.name.startswith(prefix)
    assert len(prefix) < len(long.name)


async def test_a_simulated_bangle_advertises_as_a_real_one_within_a_legacy_pdu(
    air: Air, link: LocalLink
) -> None:
    watch = SimulatedBangle(SimOptions(profile="banglejs", seed=8), link)
    await watch.start()
    try:
        await air.pdus.until(lambda _: len(air.pdus_of(watch.name)) >= 3)
    finally:
        await watch.stop()
    sent = air.data_of(watch.name) + air.scan_responses_of(watch.name) + air.pdus_of(watch.name)
    assert all(len(data) <= LEGACY_MAX for data in sent)
    # A Bangle.js says its name in the advertisement and its console service in the scan
    # response: the hub knows it by the name.
    for data in air.data_of(watch.name):
        assert ad(data, AdvertisingData.COMPLETE_LOCAL_NAME) == watch.name
    (response,) = set(air.scan_responses_of(watch.name))
    uuids = ad(response, AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS)
    assert uuids == [UUID(NUS_SERVICE_UUID)]


async def test_a_hubs_active_scan_hears_name_and_service(
    central: BumbleCentral, make_wearable: MakeWearable
) -> None:
    first = await make_wearable(SimOptions(seed=5))
    second = await make_wearable(SimOptions(seed=6))
    long = await make_wearable(SimOptions(seed=7, name=LONG_NAME))
    radio = Radio(scanner_backend=central.scanner_backend, central=central)

    # As `--device NAME` finds them: by the name in the scan response.
    found = await find_wearables(radio, [first.name, second.name], timeout=5)
    assert [(s.address, s.name, s.profile) for s in found] == [
        (first.address, first.name, "native"),
        (second.address, second.name, "native"),
    ]
    assert all(SERVICE_UUID in s.advert.service_uuids for s in found)

    # A name too long for the scan response is heard shortened; the address still finds it.
    (sighting,) = await find_wearables(radio, [long.address], timeout=5)
    assert sighting.profile == "native"
    assert long.name.startswith(sighting.name)
    assert sighting.name != long.name


def _advertises(controller: SimController) -> bool:
    sets = controller.advertising_sets.values()
    return controller.le_legacy_advertiser.enabled or any(s.enabled for s in sets)


def _without_extended_advertising(controller: SimController) -> None:
    # bumble's Device then advertises with the legacy HCI commands (and scans with them).
    controller.le_features &= ~hci.LeFeatureMask.LE_EXTENDED_ADVERTISING


@pytest.mark.parametrize("legacy_commands", [False, True], ids=["extended-hci", "legacy-hci"])
@pytest.mark.parametrize("active", [True, False], ids=["active", "passive"])
async def test_a_scanner_hears_the_scan_response_apart_and_only_when_active(
    link: LocalLink, monkeypatch: pytest.MonkeyPatch, legacy_commands: bool, active: bool
) -> None:
    advertiser, advertiser_controller = local_device("Advertiser", "C6:66:66:66:66:66", link)
    scanner, scanner_controller = local_device("Scanner", "C7:77:77:77:77:77", link)
    if legacy_commands:
        _without_extended_advertising(advertiser_controller)
    reports: Recorder[_Report] = Recorder()
    send = scanner_controller.send_hci_packet

    def to_host(packet: hci.HCI_Packet) -> None:
        if isinstance(packet, hci.HCI_LE_Extended_Advertising_Report_Event):
            for report in packet.reports:
                if report.address == advertiser.random_address:
                    reports.add(report)
        send(packet)

    monkeypatch.setattr(scanner_controller, "send_hci_packet", to_host)
    advertising = bytes(
        AdvertisingData(
            [
                (AdvertisingData.FLAGS, bytes([0x06])),
                (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, SERVICE.to_bytes()),
            ]
        )
    )
    scan_response = bytes(AdvertisingData([(AdvertisingData.COMPLETE_LOCAL_NAME, b"Advertiser")]))
    heard: Recorder[str | None] = Recorder()
    scanner.on(
        Device.EVENT_ADVERTISEMENT,
        lambda adv: heard.add(adv.data.get(AdvertisingData.COMPLETE_LOCAL_NAME)),
    )
    await advertiser.power_on()
    await scanner.power_on()
    try:
        await advertiser.start_advertising(
            advertising_data=advertising,
            scan_response_data=scan_response,
            advertising_interval_min=20,
            advertising_interval_max=20,
        )
        await scanner.start_scanning(legacy=legacy_commands, active=active, filter_duplicates=False)
        await reports.until(
            lambda seen: sum(not r.event_type & _Kind.SCAN_RESPONSE for r in seen) >= 3
        )
        await heard.until(lambda names: len(names) >= 2)
    finally:
        await scanner.power_off()
        await advertiser.power_off()

    adverts = [r for r in reports.items if not r.event_type & _Kind.SCAN_RESPONSE]
    responses = [r for r in reports.items if r.event_type & _Kind.SCAN_RESPONSE]
    # Connectable, scannable and legacy, as a controller reports an ADV_IND.
    legacy_adv_ind = (
        _Kind.LEGACY_ADVERTISING_PDU_USED
        | _Kind.CONNECTABLE_ADVERTISING
        | _Kind.SCANNABLE_ADVERTISING
    )
    assert {(r.event_type, r.data) for r in adverts} == {(legacy_adv_ind, advertising)}
    if active:
        assert {(r.event_type, r.data) for r in responses} == {
            (legacy_adv_ind | _Kind.SCAN_RESPONSE, scan_response)
        }
        assert set(heard.items) == {"Advertiser"}
    else:
        assert responses == []
        assert set(heard.items) == {None}


@pytest.mark.parametrize("legacy_commands", [False, True], ids=["extended-hci", "legacy-hci"])
@pytest.mark.parametrize("scan_response", [False, True], ids=["advertising", "scan-response"])
async def test_the_controller_refuses_more_than_31_bytes(
    link: LocalLink, legacy_commands: bool, scan_response: bool
) -> None:
    device, controller = local_device("Chatty", "C8:88:88:88:88:88", link)
    if legacy_commands:
        _without_extended_advertising(controller)

    async def advertise(size: int) -> None:
        if scan_response:
            await device.start_advertising(scan_response_data=bytes(size))
        else:
            await device.start_advertising(advertising_data=bytes(size))

    await device.power_on()
    try:
        with pytest.raises(hci.HCI_Error) as refused:
            await advertise(LEGACY_MAX + 1)
        assert refused.value.error_code == hci.HCI_ErrorCode.INVALID_COMMAND_PARAMETERS_ERROR
        assert not _advertises(controller)
        await device.stop_advertising()  # bumble's Device keeps its failed legacy advertiser
        await advertise(LEGACY_MAX)
        assert _advertises(controller)
    finally:
        await device.power_off()


async def test_the_legacy_command_is_refused_at_32_bytes_and_taken_at_31(link: LocalLink) -> None:
    device, controller = local_device("Raw", "C9:99:99:99:99:99", link)
    await device.power_on()
    try:
        for size, status in (
            (LEGACY_MAX + 1, hci.HCI_ErrorCode.INVALID_COMMAND_PARAMETERS_ERROR),
            (LEGACY_MAX, hci.HCI_ErrorCode.SUCCESS),
        ):
            command = hci.HCI_LE_Set_Advertising_Data_Command(advertising_data=bytes(size))
            answer = await device.send_sync_command_raw(command)
            assert answer.return_parameters.status == status, size
        assert controller.le_legacy_advertiser.advertising_data == bytes(LEGACY_MAX)
    finally:
        await device.power_off()
