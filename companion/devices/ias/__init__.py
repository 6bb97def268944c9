"""The Immediate Alert profile: bands that can only "buzz now" (PineTime with InfiniTime, ...)."""

from __future__ import annotations

from companion.devices.capabilities import Capabilities
from companion.devices.ias.link import (
    IMMEDIATE_ALERT_SERVICE_UUID,
    AlertLink,
    capabilities,
)
from companion.devices.link_options import LinkOptions
from companion.devices.profile import Profile
from companion.devices.sighting import Advert

__all__ = ["IAS"]

# InfiniTime names itself so (older releases: "Pinetime-JF") and advertises only its firmware
# update service; other bands may advertise the Immediate Alert service itself.
NAME_PREFIXES = ("InfiniTime", "Pinetime")


class AlertProfile(Profile):
    name = "ias"
    title = "band with the Immediate Alert service (PineTime/InfiniTime), host-timed"
    link = AlertLink

    def recognises(self, advert: Advert) -> bool:
        if IMMEDIATE_ALERT_SERVICE_UUID in advert.service_uuids:
            return True
        return advert.name.startswith(NAME_PREFIXES)

    def capabilities(self, options: LinkOptions) -> Capabilities:  # noqa: ARG002
        # Host-timed whatever the delivery asked; a battery service is known once connected.
        return capabilities(battery=False)


IAS = AlertProfile()
