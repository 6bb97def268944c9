"""The firmware's advertising fits legacy PDUs and says what the hub recognises it by."""

from __future__ import annotations

from bumble.core import UUID, AdvertisingData

from firmware_protocol import gatt
from firmware_protocol.micropython.core import advert, wire


def test_the_firmware_serves_the_protocol_uuids() -> None:
    assert wire.SERVICE_UUID == gatt.SERVICE_UUID
    assert (wire.CONTROL_UUID, wire.DATA_UUID, wire.EVENT_UUID, wire.INFO_UUID) == (
        gatt.CONTROL_CHAR_UUID,
        gatt.DATA_CHAR_UUID,
        gatt.EVENT_CHAR_UUID,
        gatt.INFO_CHAR_UUID,
    )


def test_uuid_in_the_advertisement_name_in_the_scan_response() -> None:
    data = advert.advertisement(gatt.SERVICE_UUID)
    assert len(data) <= advert.LEGACY_MAX
    parsed = AdvertisingData.from_bytes(data)
    uuids = parsed.get(AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS)
    assert uuids == [UUID(gatt.SERVICE_UUID)]
    response = AdvertisingData.from_bytes(advert.scan_response("BackStretch-ESP32"))
    assert response.get(AdvertisingData.COMPLETE_LOCAL_NAME) == "BackStretch-ESP32"


def test_a_long_name_is_shortened_on_a_character_boundary() -> None:
    name = "BackStretch-" + "é" * 20  # 52 bytes of UTF-8
    data = advert.scan_response(name)
    assert len(data) <= advert.LEGACY_MAX
    short = AdvertisingData.from_bytes(data).get(AdvertisingData.SHORTENED_LOCAL_NAME)
    assert isinstance(short, str)
    assert name.startswith(short)
    assert len(short.encode()) in (28, 29)
