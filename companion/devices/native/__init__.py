"""The native profile: wearables running the backstretch protocol (our firmware, the simulator)."""

from __future__ import annotations

from companion.devices.capabilities import Capabilities, Timing
from companion.devices.link import Delivery, DeviceLink
from companion.devices.link_options import LinkOptions
from companion.devices.native.link import NativeLink
from companion.devices.profile import LinkContext, Profile
from companion.devices.sighting import Advert, Sighting
from firmware_protocol.gatt import SERVICE_UUID

__all__ = ["NATIVE"]


class NativeProfile(Profile):
    name = "native"
    title = "backstretch protocol (reference firmware, simulator)"

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

    def build(self, sighting: Sighting, context: LinkContext) -> DeviceLink:
        return NativeLink(
            sighting.device,
            name=sighting.advert.name,
            backend=context.backend,
            options=context.options,
            clock=context.clock,
            rssi=sighting.rssi,
        )


NATIVE = NativeProfile()
