"""The Bangle.js profile: Espruino watches, driven by a player the hub uploads to them."""

from __future__ import annotations

from companion.devices.banglejs.console import NUS_SERVICE_UUID
from companion.devices.banglejs.link import CAPABILITIES, BangleLink
from companion.devices.capabilities import Capabilities, Timing
from companion.devices.link import Delivery
from companion.devices.link_options import LinkOptions
from companion.devices.profile import Profile
from companion.devices.sighting import Advert

__all__ = ["BANGLEJS"]

# What a Bangle.js advertises as its name: "Bangle.js" and the last four hex digits of its
# address (the Nordic UART service, often in the scan response, is on many other devices).
NAME_PREFIX = "Bangle.js"


class BangleProfile(Profile):
    name = "banglejs"
    title = "Bangle.js (Espruino) watch, with an uploaded player"
    link = BangleLink
    # Said once for every profile: a band held by a phone hides the same way.
    not_found_hint = (
        "a watch or band that a phone holds (Gadgetbridge, the Espruino Web IDE) does not "
        "advertise: disconnect it there first"
    )

    def recognises(self, advert: Advert) -> bool:
        if advert.name.startswith(NAME_PREFIX):
            return True
        return NUS_SERVICE_UUID in advert.service_uuids and "bangle" in advert.name.casefold()

    def capabilities(self, options: LinkOptions) -> Capabilities:
        if options.delivery is Delivery.IMMEDIATE:
            return Capabilities(
                Timing.HOST,
                CAPABILITIES.reports_played,
                CAPABILITIES.has_button,
                CAPABILITIES.reports_battery,
                CAPABILITIES.pulse_ms,
                CAPABILITIES.intensity_levels,
            )
        return CAPABILITIES


BANGLEJS = BangleProfile()
