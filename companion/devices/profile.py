"""What a device profile provides: recognise a device from its advertisement, build its link.

Each kind of wearable (our own protocol, a Bangle.js, an Immediate Alert band) is one
profile. Only the registry (`companion.devices.profiles`) knows them all; the rest of the
hub asks it, so adding a profile touches no call site.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from bleak.backends.client import BaseBleakClient

from companion.clocks import Clock
from companion.devices.capabilities import Capabilities
from companion.devices.link import DeviceLink
from companion.devices.link_options import LinkOptions
from companion.devices.sighting import Advert, Sighting
from companion.devices.supervised import SupervisedLink


@dataclass(frozen=True, slots=True)
class LinkContext:
    """What a profile needs to build a link: the radio's client backend, options, the clock."""

    backend: type[BaseBleakClient] | None
    options: LinkOptions
    clock: Clock


class Profile(ABC):
    # The word the hub, MQTT and the UIs use for it.
    name: str
    # One line for a person: what devices this is.
    title: str
    # Said when a device was looked for and not heard, if this profile knows a likely why.
    not_found_hint: str = ""
    # The link a device of this profile gets.
    link: ClassVar[type[SupervisedLink]]

    @abstractmethod
    def recognises(self, advert: Advert) -> bool:
        """Does this advertisement come from a device of this profile?"""

    @abstractmethod
    def capabilities(self, options: LinkOptions) -> Capabilities:
        """What a device of this profile can do, before connecting."""

    def build(self, sighting: Sighting, context: LinkContext) -> DeviceLink:
        """A link to the device seen (not started: the hub runs it)."""
        return self.link(
            sighting.device,
            name=sighting.advert.name,
            backend=context.backend,
            options=context.options,
            clock=context.clock,
            rssi=sighting.rssi,
        )
