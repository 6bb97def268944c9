"""Finding wearables: by our service UUID, or by the names and addresses a person gave."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from companion.devices.radio import Radio, scanning_errors
from companion.errors import DeviceNotFoundError
from firmware_protocol.gatt import SERVICE_UUID


@dataclass(frozen=True, slots=True)
class Sighting:
    """A wearable heard advertising, and how strongly (dBm) when it was."""

    device: BLEDevice
    rssi: int | None

    @property
    def address(self) -> str:
        return self.device.address

    @property
    def name(self) -> str:
        return self.device.name or self.device.address


def _matches(target: str, device: BLEDevice, advertisement: AdvertisementData) -> bool:
    wanted = target.casefold()
    names = {device.name or "", advertisement.local_name or ""}
    return device.address.casefold() == wanted or wanted in {n.casefold() for n in names if n}


async def find_wearables(
    radio: Radio,
    targets: Sequence[str] = (),
    *,
    count: int = 1,
    timeout: float = 10.0,
) -> list[Sighting]:
    """Scan until every target (or `count` backstretch wearables) is seen, or time out.

    Without targets, only devices advertising our service count. With targets, each is a
    name or an address; the order of the result follows the targets.
    """
    found: dict[str, Sighting] = {}
    seen: dict[str, str] = {}
    done = asyncio.Event()

    def on_advertisement(device: BLEDevice, advertisement: AdvertisementData) -> None:
        seen[device.address] = advertisement.local_name or device.name or "?"
        if targets:
            for target in targets:
                if target not in found and _matches(target, device, advertisement):
                    found[target] = Sighting(device, advertisement.rssi)
            if len(found) == len(targets):
                done.set()
        elif SERVICE_UUID in (u.lower() for u in advertisement.service_uuids):
            found.setdefault(device.address, Sighting(device, advertisement.rssi))
            if len(found) >= count:
                done.set()

    async with scanning_errors(radio), BleakScanner(on_advertisement, **radio.scanner_args):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout)
    if targets:
        missing = [t for t in targets if t not in found]
        if missing:
            raise DeviceNotFoundError(
                f"no wearable named or addressed {', '.join(map(repr, missing))} answered "
                f"within {timeout:g} s on {radio.description}; {_seen(seen)}"
            )
        return [found[t] for t in targets]
    if not found:
        raise DeviceNotFoundError(
            f"no backstretch wearable found within {timeout:g} s on {radio.description}; "
            f"{_seen(seen)} (is it on and near, or try `backstretch demo` with --sim)"
        )
    if len(found) < count:
        raise DeviceNotFoundError(
            f"found {len(found)} of the {count} wearables asked for within {timeout:g} s"
        )
    return list(found.values())[:count]


def _seen(seen: dict[str, str]) -> str:
    if not seen:
        return "nothing was seen advertising"
    shown = ", ".join(f"{name} ({address})" for address, name in list(seen.items())[:5])
    more = f" and {len(seen) - 5} more" if len(seen) > 5 else ""
    return f"seen: {shown}{more}"
