"""A device link that records what the engine asks of it, for engine logic tests.

The engine's contract with links is synchronous calls; this link keeps them in order so a
test can check what every device was told. (Radio behaviour is tested over the simulator.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from companion.devices.capabilities import Capabilities, Timing
from companion.devices.link import DeviceLink, LinkState, LinkStatus, TimedCue
from companion.events import EventSink


@dataclass
class RecordingLink(DeviceLink):
    name: str = "recorder"
    held_until: float = 0.0
    state: LinkState = LinkState.READY
    calls: list[tuple[str, tuple[TimedCue, ...]]] = field(default_factory=list)
    caps: Capabilities = field(
        default_factory=lambda: Capabilities(Timing.DEVICE, True, True, True, (10, 2550), 255)
    )

    @property
    def capabilities(self) -> Capabilities:
        return self.caps

    @property
    def id(self) -> str:
        return self.name

    @property
    def status(self) -> LinkStatus:
        return LinkStatus(self.name, self.name, "recording", self.state, 80, None, None, None)

    def play(self, cues: Sequence[TimedCue]) -> None:
        self.calls.append(("play", tuple(cues)))

    def pause(self) -> None:
        self.calls.append(("pause", ()))

    def stop(self) -> None:
        self.calls.append(("stop", ()))

    def alert(self, pattern: str) -> None:
        self.calls.append(("alert:" + pattern, ()))

    def holds_until(self) -> float:
        return self.held_until

    async def run(self, publish: EventSink) -> None:
        await asyncio.Event().wait()

    async def close(self) -> None:
        self.state = LinkState.CLOSED

    def last_schedule(self) -> tuple[TimedCue, ...]:
        return next(cues for kind, cues in reversed(self.calls) if kind == "play")


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
