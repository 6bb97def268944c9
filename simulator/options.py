"""What a simulated wearable is configured with: its identity and the faults it injects."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field

from firmware_protocol.gatt import NAME_PREFIX
from simulator.air import AirOptionError, AirOptions

__all__ = ["SimOptionError", "SimOptions", "parse_drop"]


# The kinds of device the simulator can be.
PROFILES = ("native", "banglejs", "ias")
# How the air between hub and device behaves: latency plus jitter on each message, or BLE's
# link layer (connection events, losses, retransmission, supervision).
LINK_MODELS = ("jitter", "ble")


class SimOptionError(ValueError):
    """A simulator option is out of range or malformed; the message says which and why."""


@dataclass(frozen=True)
class SimOptions:
    """One simulated wearable.

    Latency and jitter apply to every write the device receives and every notification it
    sends: each message is delayed by ``latency_ms + uniform(0, jitter_ms)`` drawn from the
    seeded generator, but never delivered before the one sent before it in the same
    direction (a BLE link is ordered), so jitter stretches gaps rather than reordering.

    The device clock is ``(host_monotonic - start) * (1 + clock_ppm / 1e6) + clock_offset_s``.

    With ``link="ble"`` the air is BLE's link layer instead (`simulator.air`): data moves
    only at connection events every ``interval_ms`` on the central's crystal
    (``central_ppm`` off the host clock), the device may skip ``peripheral_latency`` events
    in a row, each packet is lost with ``per_pct`` and sent again at the next event, at most
    ``packets_per_event`` exchanges share an event. Latency and jitter do not apply then.

    Drops are ``(at_s, for_s)`` pairs measured from the simulator's start: at ``at_s`` the
    device becomes unreachable for ``for_s`` seconds while it keeps playing the cues it
    already holds, then it advertises again. With the jitter model the link goes down at
    once (both ends see a supervision timeout); with the BLE model no packet gets through,
    and the link drops when the silence outlasts ``supervision_timeout_ms``.
    """

    name: str = ""
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    clock_ppm: float = 0.0
    clock_offset_s: float = 0.0
    drops: tuple[tuple[float, float], ...] = ()
    battery_pct: int = 100
    max_mtu: int = 247
    seed: int = 0
    # Wake this long before a cue's deadline and finish with a short busy wait, as a
    # hardware timer would be exact; 0 plays on asyncio's timer alone (about 0.8 ms late).
    motor_spin_ms: float = 2.0
    advertising_interval_ms: float = 20.0
    address: str = field(default="")
    # Which kind of device to simulate: "native" (our protocol) or "banglejs".
    profile: str = "native"
    # Held by another central (a phone): a device that then does not advertise.
    held: bool = False
    # A band with its notifications switched off: alerts are shown, never buzzed.
    muted: bool = False
    link: str = "jitter"
    interval_ms: float = 30.0
    peripheral_latency: int = 0
    per_pct: float = 0.0
    packets_per_event: int = 4
    supervision_timeout_ms: float = 2000.0
    central_ppm: float = 20.0

    def __post_init__(self) -> None:
        if self.latency_ms < 0 or self.jitter_ms < 0:
            raise SimOptionError("simulator latency and jitter must be 0 or more milliseconds")
        self._check_link()
        if not 0 <= self.battery_pct <= 100:
            raise SimOptionError(f"battery must be 0-100 %, not {self.battery_pct}")
        if not 23 <= self.max_mtu <= 517:
            raise SimOptionError(f"maximum MTU must be 23-517 bytes, not {self.max_mtu}")
        if abs(self.clock_ppm) > 100_000:
            raise SimOptionError(f"clock drift {self.clock_ppm} ppm is beyond any real crystal")
        if self.clock_offset_s < 0:
            raise SimOptionError("the device clock offset must be 0 or more seconds")
        if self.motor_spin_ms < 0:
            raise SimOptionError("motor spin must be 0 or more milliseconds")
        for at_s, for_s in self.drops:
            if at_s < 0 or for_s <= 0:
                raise SimOptionError(f"link drop {at_s}:{for_s} needs AT_S >= 0 and FOR_S > 0")
        if self.profile not in PROFILES:
            known = ", ".join(PROFILES)
            raise SimOptionError(f"unknown simulated profile {self.profile!r} (known: {known})")
        rng = random.Random(self.seed)
        suffix = rng.getrandbits(16)
        if not self.name:
            # As each kind names itself: a Bangle.js adds four hex digits of its address;
            # InfiniTime is "InfiniTime", and the simulator adds four so bands stay apart.
            names = {"banglejs": f"Bangle.js {suffix:04x}", "ias": f"InfiniTime-{suffix:04X}"}
            name = names.get(self.profile, f"{NAME_PREFIX}-SIM-{suffix:04X}")
            object.__setattr__(self, "name", name)
        if not self.address:
            # A random static address: the two top bits set (Core Vol 6, Part B, 1.3.2.1).
            raw = [rng.getrandbits(8) for _ in range(6)]
            raw[0] |= 0xC0
            object.__setattr__(self, "address", ":".join(f"{b:02X}" for b in raw))

    def _check_link(self) -> None:
        if self.link not in LINK_MODELS:
            known = ", ".join(LINK_MODELS)
            raise SimOptionError(f"unknown link model {self.link!r} (known: {known})")
        if self.link == "ble" and (self.latency_ms or self.jitter_ms):
            raise SimOptionError(
                "latency and jitter belong to the jitter link model; the ble model's delays "
                "come from its connection interval, peripheral latency and losses"
            )
        self._air()  # refuses link-layer parameters BLE does not allow

    def air_options(self) -> AirOptions | None:
        """The link-layer parameters of the ble model; None for the jitter model."""
        return self._air() if self.link == "ble" else None

    def _air(self) -> AirOptions:
        try:
            return AirOptions(
                interval_s=self.interval_ms / 1000,
                peripheral_latency=self.peripheral_latency,
                packet_error_rate=self.per_pct / 100,
                packets_per_event=self.packets_per_event,
                supervision_timeout_s=self.supervision_timeout_ms / 1000,
                central_ppm=self.central_ppm,
            )
        except AirOptionError as exc:
            raise SimOptionError(str(exc)) from None

    def derived(self, index: int) -> SimOptions:
        """The options of the `index`-th device of a group: same faults, own name and seed."""
        if index == 0:
            return self
        seed = self.seed * 1_000_003 + index
        return dataclasses.replace(self, seed=seed, name="", address="")


def parse_drop(text: str) -> tuple[float, float]:
    """``"25:3"`` -> ``(25.0, 3.0)``: drop the link 25 s after start, for 3 s."""
    at_text, _, for_text = text.partition(":")
    try:
        at_s, for_s = float(at_text), float(for_text)
    except ValueError:
        raise SimOptionError(
            f"link drop {text!r} is not AT_S:FOR_S (seconds after start : seconds down), e.g. 25:3"
        ) from None
    if at_s < 0 or for_s <= 0:
        raise SimOptionError(f"link drop {text!r} needs AT_S >= 0 and FOR_S > 0")
    return at_s, for_s
