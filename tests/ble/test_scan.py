"""`devices scan`: every device heard, with the profile that knows it (or none)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bumble.core import UUID, AdvertisingData

from companion.cli import main
from companion.devices.bumble_backend import BumbleCentral
from companion.devices.radio import Radio, scan_with
from simulator import LocalLink, SimOptions
from simulator.radio import local_device
from tests.ble.conftest import MakeWearable

HEART_RATE = UUID.from_16_bits(0x180D)


async def test_a_foreign_device_is_listed_without_a_profile(
    link: LocalLink, central: BumbleCentral, make_wearable: MakeWearable
) -> None:
    wearable = await make_wearable(SimOptions(name="BackStretch-Scan"))
    stranger, _ = local_device("Heart", "C3:33:33:33:33:33", link)
    await stranger.power_on()
    advert = AdvertisingData(
        [
            (AdvertisingData.FLAGS, bytes([0x06])),
            (AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS, bytes(HEART_RATE)),
            (AdvertisingData.COMPLETE_LOCAL_NAME, b"Heart"),
        ]
    )
    # Often, so that a one-second scan hears it even on a busy machine.
    await stranger.start_advertising(
        advertising_data=bytes(advert), advertising_interval_min=20, advertising_interval_max=20
    )
    try:
        radio = Radio(scanner_backend=central.scanner_backend, central=central)
        found = await scan_with(radio, timeout=1.0)
    finally:
        await stranger.power_off()
    by_name = {device.name: device for device in found}
    assert by_name["BackStretch-Scan"].profile == "native"
    assert by_name["BackStretch-Scan"].address == wearable.address
    assert by_name["Heart"].profile is None
    # Wearables come first, whatever their signal.
    assert found[0].name == "BackStretch-Scan"


def test_scan_lists_both_simulated_wearables_with_their_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    args = ["devices", "scan", "--sim", "--sim-devices", "2", "--timeout", "1"]
    assert main([*args, "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2
    assert len({row["address"] for row in rows}) == 2
    assert all(row["profile"] == "native" and row["name"] for row in rows)

    assert main(args) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["ADDRESS", "RSSI", "PROFILE", "NAME"]
    assert all(" native " in line for line in table[1:3])
    assert table[-1] == "2 wearables, 0 other devices"
