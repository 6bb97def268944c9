"""The native profile: wearables running the backstretch protocol (our firmware, the simulator)."""

from __future__ import annotations

from companion.devices.capabilities import Capabilities, Timing
from companion.devices.link import Delivery
from companion.devices.link_options import LinkOptions
from companion.devices.native.link import NativeLink
from companion.devices.profile import Profile
from companion.devices.sighting import Advert
from firmware_protocol.gatt import SERVICE_UUID

__all__ = ["NATIVE"]


class NativeProfile(Profile):
    name = "native"
    title = "backstretch protocol (reference firmware, simulator)"
    link = NativeLink

    def recognises(self, advert: Advert) -> bool:
        # By the service UUID, never by name: real firmware cannot fit both in 31 bytes,
        # and a name is whatever the person set.
        return SERVICE_UUID in advert.service_uuids

    def capabilities(self, options: LinkOptions) -> Capabilities:
        host_timed = options.delivery is Delivery.IMMEDIATE
        return Capabilities(
            timing=Timing.HOST if host_timed else Timing.DEVICE,
            reports_played=True,
            has_button=True,
            reports_battery=True,
            pulse_ms=(10, 2550),
            intensity_levels=255,
        )


NATIVE = NativeProfile()
