"""The hub's bleak backend against the simulated wearable, over bumble's real BLE stack."""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakGATTProtocolError, BleakGATTProtocolErrorCode

from companion.devices.bumble_backend import BumbleCentral
from firmware_protocol import codec
from firmware_protocol.gatt import (
    BATTERY_LEVEL_CHAR_UUID,
    BATTERY_SERVICE_UUID,
    DEVICE_INFORMATION_SERVICE_UUID,
    EVENT_CHAR_UUID,
    INFO_CHAR_UUID,
    MODEL_NUMBER_CHAR_UUID,
    SERVICE_UUID,
)
from firmware_protocol.messages import Capabilities, Hello
from simulator import SimOptions, SimulatedWearable
from tests.ble.conftest import HubPeer, MakeWearable


async def test_scan_finds_the_wearable_by_service_uuid_and_by_name(
    central: BumbleCentral, make_wearable: MakeWearable
) -> None:
    first = await make_wearable(SimOptions(seed=1))
    second = await make_wearable(SimOptions(seed=2))
    by_uuid = await BleakScanner.find_device_by_filter(
        lambda _d, adv: SERVICE_UUID in adv.service_uuids,
        timeout=5,
        backend=central.scanner_backend,
    )
    assert by_uuid is not None
    assert by_uuid.address in {first.address, second.address}
    by_name = await BleakScanner.find_device_by_name(
        second.name, timeout=5, backend=central.scanner_backend
    )
    assert by_name is not None
    assert by_name.address == second.address
    assert second.name.startswith("BackStretch-SIM-")
    assert first.name != second.name


async def test_advertised_service_uuids_are_not_repeated(
    central: BumbleCentral, wearable: SimulatedWearable
) -> None:
    heard = await BleakScanner.discover(
        timeout=0.3, return_adv=True, service_uuids=[SERVICE_UUID], backend=central.scanner_backend
    )
    _device, adv = heard[wearable.address]
    assert adv.service_uuids == [SERVICE_UUID]
    assert adv.local_name == wearable.name


async def test_connect_exchanges_mtu_discovers_writes_and_is_notified(
    central: BumbleCentral, make_wearable: MakeWearable
) -> None:
    wearable = await make_wearable(SimOptions(max_mtu=185))
    async with BleakClient(wearable.address, timeout=5, backend=central.client_backend) as client:
        assert client.is_connected
        assert client.mtu_size == 185
        uuids = {service.uuid for service in client.services}
        assert {SERVICE_UUID, BATTERY_SERVICE_UUID, DEVICE_INFORMATION_SERVICE_UUID} <= uuids
        event = client.services.get_characteristic(EVENT_CHAR_UUID)
        assert event is not None
        assert "notify" in event.properties
        assert bytes(await client.read_gatt_char(MODEL_NUMBER_CHAR_UUID)) == b"BackStretch SIM"
        assert (await client.read_gatt_char(BATTERY_LEVEL_CHAR_UUID))[0] == 100
        info = codec.decode(bytes(await client.read_gatt_char(INFO_CHAR_UUID)))
        assert isinstance(info, Capabilities)

        peer = HubPeer(client)
        await peer.start()
        await peer.send(Hello(seq=7))
        answer = await peer.next(Capabilities)
        assert isinstance(answer, Capabilities)
        assert answer.cue_buffer_size == info.cue_buffer_size
        assert wearable.connected
    await asyncio.sleep(0.01)
    assert not wearable.connected


async def test_a_write_to_a_read_only_characteristic_is_refused_at_once(
    central: BumbleCentral, wearable: SimulatedWearable
) -> None:
    async with BleakClient(wearable.address, timeout=5, backend=central.client_backend) as client:
        # Without the explicit rejection this write would wait for bumble's 30 s ATT timeout.
        async with asyncio.timeout(2):
            with pytest.raises(BleakGATTProtocolError) as caught:
                await client.write_gatt_char(INFO_CHAR_UUID, b"\x01", response=True)
        assert caught.value.code is BleakGATTProtocolErrorCode.WRITE_NOT_PERMITTED
        with pytest.raises(BleakGATTProtocolError) as caught:
            await client.write_gatt_char(BATTERY_LEVEL_CHAR_UUID, b"\x05", response=True)
        assert caught.value.code is BleakGATTProtocolErrorCode.WRITE_NOT_PERMITTED
        assert (await client.read_gatt_char(BATTERY_LEVEL_CHAR_UUID))[0] == 100


async def test_connecting_to_an_absent_device_times_out(central: BumbleCentral) -> None:
    client = BleakClient("C1:23:45:67:89:AB", timeout=0.2, backend=central.client_backend)
    # bumble's virtual controller alone would never complete the cancelled connection.
    async with asyncio.timeout(5):
        with pytest.raises(TimeoutError):
            await client.connect()
    assert not client.is_connected


async def test_a_link_drop_is_seen_by_the_hub_and_the_wearable_advertises_again(
    central: BumbleCentral, wearable: SimulatedWearable
) -> None:
    lost = asyncio.Event()
    client = BleakClient(
        wearable.address,
        disconnected_callback=lambda _c: lost.set(),
        timeout=5,
        backend=central.client_backend,
    )
    await client.connect()
    wearable.begin_outage(0.2)
    async with asyncio.timeout(2):
        await lost.wait()
    assert not client.is_connected
    assert not wearable.connected
    assert not wearable.advertising  # unreachable during the outage
    again = await BleakScanner.find_device_by_address(
        wearable.address, timeout=5, backend=central.scanner_backend
    )
    assert again is not None
    async with BleakClient(again, timeout=5, backend=central.client_backend) as second:
        assert second.is_connected
    assert wearable.connections == 2
