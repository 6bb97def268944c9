"""The profile registry: the one place that knows every kind of wearable.

Discovery asks it which profile an advertisement belongs to; the hub asks it to build the
link. No other module names a concrete link class (a test keeps that true).
"""

from __future__ import annotations

from collections.abc import Sequence

from companion.devices.link import DeviceLink
from companion.devices.profile import LinkContext, Profile
from companion.devices.sighting import Advert, Sighting
from companion.errors import PermanentLinkError

__all__ = ["PROFILES", "build_link", "not_a_wearable", "profile_for", "profile_named"]


def _profiles() -> tuple[Profile, ...]:
    from companion.devices.banglejs import BANGLEJS
    from companion.devices.ias import IAS
    from companion.devices.native import NATIVE

    # In order of precedence: a device our protocol's UUID names is native, whatever else;
    # a watch that also has the Immediate Alert service is better driven as itself.
    return (NATIVE, BANGLEJS, IAS)


PROFILES: tuple[Profile, ...] = _profiles()


def profile_for(advert: Advert, profiles: Sequence[Profile] = PROFILES) -> Profile | None:
    """The first profile that recognises this advertisement, if any."""
    return next((p for p in profiles if p.recognises(advert)), None)


def profile_named(name: str) -> Profile:
    for profile in PROFILES:
        if profile.name == name:
            return profile
    known = ", ".join(p.name for p in PROFILES)
    raise PermanentLinkError(f"unsupported profile {name!r} (known: {known})")


def build_link(sighting: Sighting, context: LinkContext) -> DeviceLink:
    """A link for a device discovery recognised; refuses one no profile knows."""
    if sighting.profile is None:
        raise PermanentLinkError(not_a_wearable(sighting))
    return profile_named(sighting.profile).build(sighting, context)


def not_a_wearable(sighting: Sighting) -> str:
    """Why a device that answered cannot be driven, in one line."""
    known = ", ".join(p.name for p in PROFILES)
    return (
        f"{sighting.name} ({sighting.address}) is not a backstretch wearable: it advertises "
        f"the services of no supported profile ({known})"
    )
