"""How the hub wants its links to behave, whatever the profile."""

from __future__ import annotations

from dataclasses import dataclass

from companion.devices.link import Delivery

# Keep at least this much of the plan on a device that holds cues: a shorter drop loses nothing.
DEFAULT_HORIZON_S = 8.0
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class LinkOptions:
    # Scheduled (device-timed) where the profile can; immediate forces host timing.
    delivery: Delivery = Delivery.SCHEDULED
    horizon_s: float = DEFAULT_HORIZON_S
    connect_timeout_s: float = CONNECT_TIMEOUT_S
    # Give up after this many failed first connects in a row; None retries forever (the
    # daemon). Once a link has been up, it retries until closed: the session decides.
    max_attempts: int | None = None
    # When to ping for clock sync (`companion.devices.clock_sync.POLICIES`).
    ping_policy: str = "adaptive"

    def __post_init__(self) -> None:
        from companion.devices.clock_sync import POLICIES

        if self.ping_policy not in POLICIES:
            known = ", ".join(sorted(POLICIES))
            raise ValueError(f"unknown ping policy {self.ping_policy!r} (known: {known})")
