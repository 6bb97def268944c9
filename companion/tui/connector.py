"""How the TUI finds and connects wearables: a seam, so the app runs with or without a radio."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from companion.devices.discovery import find_wearables
from companion.devices.link_options import LinkOptions
from companion.devices.radio import Radio
from companion.hub import Hub


class Connector(Protocol):
    """Connects wearables to the hub; each method returns a line for the person."""

    async def connect(self) -> str:
        """The wearables asked for on the command line (or the first one found)."""
        ...

    async def scan_and_connect(self) -> str:
        """Look for one more wearable and connect it."""
        ...


class RadioConnector:
    """Connects through a radio (the OS's Bluetooth, a bumble adapter or `--sim`).

    Links retry for ever: in an interactive session a wearable that walks out of range
    should come back by itself, and the devices screen shows it reconnecting meanwhile.
    """

    def __init__(
        self,
        hub: Hub,
        radio: Radio,
        targets: Sequence[str] = (),
        *,
        count: int = 1,
        timeout: float = 15.0,
        options: LinkOptions | None = None,
    ) -> None:
        self.hub = hub
        self.radio = radio
        self.targets = tuple(targets)
        self.count = count
        self.timeout = timeout
        self.options = options or LinkOptions(max_attempts=None)

    async def connect(self) -> str:
        links = await self.hub.connect(
            self.radio,
            self.targets,
            count=self.count,
            options=self.options,
            timeout=self.timeout,
        )
        names = ", ".join(link.status.name or link.id for link in links)
        return f"connected to {names}"

    async def scan_and_connect(self) -> str:
        known = [link.id for link in self.hub.links]
        found = await find_wearables(self.radio, count=1, timeout=self.timeout, known=known)
        new = self.hub.adopt(self.radio, found, self.options)
        if not new:
            names = ", ".join(sighting.name for sighting in found)
            return f"found only {names}, which is already known"
        device = new[0].status
        return f"connecting to {device.name or device.id}"
