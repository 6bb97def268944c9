"""A device heard advertising: what it said, and how strongly it was heard."""

from __future__ import annotations

from dataclasses import dataclass, field

from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData


@dataclass(frozen=True, slots=True)
class Advert:
    """What a device advertised (advertising data and scan response together)."""

    name: str = ""
    service_uuids: tuple[str, ...] = ()
    manufacturer_data: dict[int, bytes] = field(default_factory=dict)

    @classmethod
    def from_bleak(cls, device: BLEDevice, data: AdvertisementData) -> Advert:
        return cls(
            name=data.local_name or device.name or "",
            service_uuids=tuple(u.lower() for u in data.service_uuids),
            manufacturer_data=dict(data.manufacturer_data),
        )


@dataclass(frozen=True, slots=True)
class Sighting:
    """A device heard advertising, the profile that recognised it (if any), and its RSSI."""

    device: BLEDevice
    rssi: int | None
    advert: Advert = field(default_factory=Advert)
    profile: str | None = None

    @property
    def address(self) -> str:
        return self.device.address

    @property
    def name(self) -> str:
        return self.advert.name or self.device.name or self.device.address

    def matches(self, target: str) -> bool:
        """Is this the device a person named (by address or advertised name)?"""
        wanted = target.casefold()
        names = {self.advert.name, self.device.name or ""}
        return self.address.casefold() == wanted or wanted in {n.casefold() for n in names if n}
