"""The bleak scanner backend on a bumble central."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, cast

from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement

from companion.devices.bumble_backend.central import BumbleCentral

__all__ = ["BumbleScanner", "bleak_address", "bleak_uuid"]

_UUID_LISTS = (
    AdvertisingData.Type.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.Type.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.Type.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.Type.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.Type.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.Type.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
)
_SERVICE_DATA = (
    AdvertisingData.Type.SERVICE_DATA_16_BIT_UUID,
    AdvertisingData.Type.SERVICE_DATA_32_BIT_UUID,
    AdvertisingData.Type.SERVICE_DATA_128_BIT_UUID,
)


def bleak_uuid(value: UUID) -> str:
    """bleak's spelling of a UUID: 128-bit, lower case, dashed."""
    return str(uuid.UUID(bytes=bytes(reversed(value.to_bytes(force_128=True)))))


def bleak_address(advertisement: Advertisement) -> str:
    """The address as bumble parses it back: random addresses bare, public ones with "/P"."""
    return advertisement.address.to_string(with_type_qualifier=True)


def advertisement_data(advertisement: Advertisement) -> AdvertisementData:
    """bleak's view of a bumble advertisement (with the scan response merged in)."""
    data = advertisement.data
    uuids: list[str] = []
    for kind in _UUID_LISTS:
        for group in cast("list[list[UUID]]", data.get_all(kind)):
            for item in group:
                text = bleak_uuid(item)
                # bumble merges advertising data and scan response, repeating entries.
                if text not in uuids:
                    uuids.append(text)
    service_data: dict[str, bytes] = {}
    for kind in _SERVICE_DATA:
        for service_uuid, payload in cast("list[tuple[UUID, bytes]]", data.get_all(kind)):
            service_data[bleak_uuid(service_uuid)] = bytes(payload)
    manufacturer: dict[int, bytes] = {}
    for company, payload in data.get_all(AdvertisingData.Type.MANUFACTURER_SPECIFIC_DATA):
        manufacturer[int(company)] = bytes(payload)
    name = data.get(AdvertisingData.Type.COMPLETE_LOCAL_NAME) or data.get(
        AdvertisingData.Type.SHORTENED_LOCAL_NAME
    )
    tx_power = data.get(AdvertisingData.Type.TX_POWER_LEVEL)
    return AdvertisementData(
        local_name=name if isinstance(name, str) else None,
        manufacturer_data=manufacturer,
        service_data=service_data,
        service_uuids=uuids,
        tx_power=tx_power if isinstance(tx_power, int) else None,
        rssi=advertisement.rssi,
        platform_data=(advertisement,),
    )


class BumbleScanner(BaseBleakScanner):
    """Scans through the bound central; use the class from `BumbleCentral.scanner_backend`."""

    _central: ClassVar[BumbleCentral]

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",  # noqa: ARG002 - bleak passes it
        **kwargs: Any,  # noqa: ARG002 - bleak passes it
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._token: object | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        if self._token is None:
            self._token = await self._central.add_advertisement_listener(self._on_advertisement)

    async def stop(self) -> None:
        token, self._token = self._token, None
        if token is not None:
            await self._central.remove_advertisement_listener(token)

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        adv = advertisement_data(advertisement)
        if not self.is_allowed_uuid(adv.service_uuids):
            return
        address = bleak_address(advertisement)
        device = self.create_or_update_device(address, address, adv.local_name, advertisement, adv)
        self.call_detection_callbacks(device, adv)
