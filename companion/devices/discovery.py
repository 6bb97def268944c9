"""Finding wearables: each one adopted the moment it is seen, by the profile that knows it.

A `Search` is what a person asked for: wearables by name or address (`--device`), or any
`count` devices a profile recognises. `search_wearables` scans and hands over each match
as soon as it is heard, so one wearable that is missing never holds up the others; it
scans until every wanted one was found (or it is cancelled).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from companion.devices.profiles import PROFILES, not_a_wearable, profile_for
from companion.devices.radio import Radio, scanning_errors
from companion.devices.sighting import Advert, Sighting
from companion.errors import DeviceNotFoundError, PermanentLinkError

__all__ = ["Search", "Sighting", "find_wearables", "search_wearables"]

log = logging.getLogger(__name__)

# While some wearable is still missing, say so after this, then at doubling intervals up
# to the cap: soon enough to notice a typo, rarely enough not to flood a long-running log.
STILL_LOOKING_S = 3.0
STILL_LOOKING_CAP_S = 300.0


class Search:
    """Which wearables are wanted, which were found, and what else was heard."""

    def __init__(
        self, targets: Sequence[str] = (), *, count: int = 1, known: Sequence[str] = ()
    ) -> None:
        self.targets = tuple(targets)
        self.count = len(self.targets) if self.targets else max(1, count)
        # Addresses the hub already has a link to: never found twice.
        self.known = {address.casefold() for address in known}
        self.found: dict[str, Sighting] = {}
        # A target that answered but is no wearable we can drive: why.
        self.refused: dict[str, str] = {}
        self.seen: dict[str, str] = {}
        self.complete = asyncio.Event()

    @property
    def missing(self) -> list[str]:
        if self.targets:
            return [t for t in self.targets if t not in self.found and t not in self.refused]
        return [] if len(self.found) >= self.count else [f"{self.count - len(self.found)} more"]

    def offer(self, sighting: Sighting) -> tuple[str, Sighting] | None:
        """Take a sighting: the (target, sighting) it completes, or None."""
        self.seen[sighting.address] = sighting.name
        if sighting.address.casefold() in self.known:
            return None
        if any(s.address == sighting.address for s in self.found.values()):
            return None
        result: tuple[str, Sighting] | None = None
        if self.targets:
            for target in self.missing:
                if sighting.matches(target):
                    if sighting.profile is None:
                        self.refused[target] = not_a_wearable(sighting)
                    else:
                        self.found[target] = sighting
                        result = (target, sighting)
                    break
        elif sighting.profile is not None and self.missing:
            key = sighting.address
            self.found[key] = sighting
            result = (key, sighting)
        if not self.missing or self.refused:
            # A refusal ends the search too: the person named the wrong device.
            self.complete.set()
        return result

    def problem(self, radio: Radio, timeout: float) -> str:
        """Why the search came back empty-handed, in one line."""
        if self.refused:
            return "; ".join(self.refused.values())
        seen = _seen(self.seen)
        if self.targets:
            missing = ", ".join(map(repr, self.missing))
            hints = "".join(f"; {p.not_found_hint}" for p in PROFILES if p.not_found_hint)
            return (
                f"no wearable named or addressed {missing} answered within {timeout:g} s "
                f"on {radio.description}; {seen}{hints}"
            )
        if not self.found:
            return (
                f"no backstretch wearable found within {timeout:g} s on {radio.description}; "
                f"{seen} (is it on and near, or try `backstretch demo` with --sim)"
            )
        return (
            f"found {len(self.found)} of the {self.count} wearables asked for within {timeout:g} s"
        )


def sighting_of(device: BLEDevice, data: AdvertisementData) -> Sighting:
    """A scan result, recognised by the registry."""
    advert = Advert.from_bleak(device, data)
    profile = profile_for(advert)
    return Sighting(device, data.rssi, advert, profile.name if profile else None)


async def search_wearables(
    radio: Radio,
    search: Search,
    on_found: Callable[[str, Sighting], None],
    *,
    still_looking_s: float = STILL_LOOKING_S,
) -> None:
    """Scan until the search is complete, calling `on_found` for each match as it is heard."""

    def on_advertisement(device: BLEDevice, data: AdvertisementData) -> None:
        match = search.offer(sighting_of(device, data))
        if match is not None:
            on_found(*match)

    if search.complete.is_set() or not search.missing:
        return
    wait = still_looking_s
    async with scanning_errors(radio), BleakScanner(on_advertisement, **radio.scanner_args):
        while not search.complete.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(search.complete.wait(), wait)
            wait = min(wait * 2, max(still_looking_s, STILL_LOOKING_CAP_S))
            if not search.complete.is_set():
                missing = ", ".join(map(repr, search.missing))
                log.info(
                    "still looking for %s on %s; %s", missing, radio.description, _seen(search.seen)
                )
    if search.refused:
        raise PermanentLinkError(search.problem(radio, still_looking_s))


async def find_wearables(
    radio: Radio,
    targets: Sequence[str] = (),
    *,
    count: int = 1,
    timeout: float = 10.0,
    known: Sequence[str] = (),
) -> list[Sighting]:
    """Scan until every target (or `count` wearables) is seen, or time out (one-shot)."""
    search = Search(targets, count=count, known=known)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            search_wearables(radio, search, lambda _t, _s: None, still_looking_s=timeout),
            timeout,
        )
    if search.refused or search.missing:
        raise DeviceNotFoundError(search.problem(radio, timeout))
    if search.targets:
        return [search.found[t] for t in search.targets]
    return list(search.found.values())[: search.count]


def _seen(seen: dict[str, str]) -> str:
    if not seen:
        return "nothing was seen advertising"
    shown = ", ".join(f"{name} ({address})" for address, name in list(seen.items())[:5])
    more = f" and {len(seen) - 5} more" if len(seen) > 5 else ""
    return f"seen: {shown}{more}"
