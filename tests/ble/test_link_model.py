"""The ble link model under the real bumble stack: traffic, silences, and what each link carried."""

from __future__ import annotations

import asyncio
import time

import pytest
from bleak import BleakClient

from companion.devices.bumble_backend import BumbleCentral
from firmware_protocol.messages import Capabilities, Hello, TimeSyncPing, TimeSyncPong
from simulator import LocalLink, SimOptionError, SimOptions
from simulator.link_layer import LinkRecord
from simulator.radio import SimLink
from tests.ble.conftest import HubPeer, MakeWearable

BLE = SimOptions(link="ble", interval_ms=15, supervision_timeout_ms=500, central_ppm=0)


def records_of(link: LocalLink) -> list[LinkRecord]:
    assert isinstance(link, SimLink)
    records: list[LinkRecord] = []
    link.on_link_closed = records.append
    return records


async def ping(peer: HubPeer, seq: int) -> tuple[float, float]:
    """Sends a ping; returns when it was sent and when its pong came (host clock)."""
    sent = time.monotonic()
    await peer.send(TimeSyncPing(seq=seq, hub_timestamp_us=seq))
    pong = await peer.next(TimeSyncPong)
    assert isinstance(pong, TimeSyncPong)
    return sent, time.monotonic()


async def test_a_session_over_the_ble_air_is_answered_and_recorded(
    central: BumbleCentral, make_wearable: MakeWearable, link: LocalLink
) -> None:
    records = records_of(link)
    wearable = await make_wearable(BLE)
    async with BleakClient(wearable.address, timeout=10, backend=central.client_backend) as client:
        peer = HubPeer(client)
        await peer.start()
        await peer.send(Hello(seq=1))
        assert isinstance(await peer.next(Capabilities), Capabilities)
        trips = [await ping(peer, seq) for seq in range(2, 8)]
    await asyncio.sleep(0.05)
    # A reply leaves at the event after the one that brought the request: never sooner.
    assert all(received - sent >= 0.015 for sent, received in trips)
    (record,) = records
    assert record.device == wearable.name
    assert record.model == "ble"
    assert record.to_device >= 8  # Hello, six pings, the subscription, discovery
    assert record.from_device >= 8
    assert record.events is not None
    assert record.events > 0
    assert record.lost == 0


async def test_a_silence_shorter_than_the_supervision_timeout_only_delays(
    central: BumbleCentral, make_wearable: MakeWearable
) -> None:
    wearable = await make_wearable(BLE)
    lost = asyncio.Event()
    async with BleakClient(
        wearable.address,
        timeout=10,
        backend=central.client_backend,
        disconnected_callback=lambda _client: lost.set(),
    ) as client:
        peer = HubPeer(client)
        await peer.start()
        wearable.begin_outage(0.2)
        await ping(peer, 2)
        assert not lost.is_set()
        assert wearable.connected
        assert wearable.disconnections == 0


async def test_a_silence_past_the_supervision_timeout_drops_both_ends(
    central: BumbleCentral, make_wearable: MakeWearable, link: LocalLink
) -> None:
    records = records_of(link)
    wearable = await make_wearable(BLE)
    lost = asyncio.Event()
    async with BleakClient(
        wearable.address,
        timeout=10,
        backend=central.client_backend,
        disconnected_callback=lambda _client: lost.set(),
    ) as client:
        peer = HubPeer(client)
        await peer.start()
        wearable.begin_outage(5.0)
        assert wearable.connected  # the link waits for its supervision timeout
        await asyncio.wait_for(lost.wait(), 3.0)
    assert wearable.disconnections == 1
    assert [record.model for record in records] == ["ble"]


async def test_the_jitter_model_records_its_links_too(
    central: BumbleCentral, make_wearable: MakeWearable, link: LocalLink
) -> None:
    records = records_of(link)
    wearable = await make_wearable(SimOptions(latency_ms=2))
    async with BleakClient(wearable.address, timeout=10, backend=central.client_backend) as client:
        peer = HubPeer(client)
        await peer.start()
        await ping(peer, 2)
    await asyncio.sleep(0.05)
    (record,) = records
    assert record.model == "jitter"
    assert record.to_device > 0
    assert record.from_device > 0
    assert record.events is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"link": "ble", "latency_ms": 40}, "belong to the jitter link model"),
        ({"link": "ble", "interval_ms": 31}, "steps of 1.25 ms"),
        ({"link": "radio"}, "unknown link model"),
        ({"interval_ms": 2}, "7.5 ms to 4 s"),
    ],
)
def test_link_options_are_checked(options: dict[str, object], message: str) -> None:
    with pytest.raises(SimOptionError, match=message):
        SimOptions(**options)  # type: ignore[arg-type]
