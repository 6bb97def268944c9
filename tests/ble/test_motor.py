"""The virtual motors of one process share a wake-up: each device's onset is read at its own
deadline, before any device's after-work runs (on an injected clock)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from simulator.motor import Pulse, VirtualMotor


class BusyClock:
    """A host clock that moves only when work is done (each device's reporting)."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


async def test_simultaneous_cues_on_eight_devices_all_start_at_their_deadline() -> None:
    clock = BusyClock(1000.0)
    done = asyncio.Event()
    pulses: list[Pulse] = []

    def on_pulse(pulse: Pulse) -> None:
        pulses.append(pulse)
        if len(pulses) == 8:
            done.set()

    motors = [VirtualMotor(clock, spin_s=0.002, on_pulse=on_pulse) for _ in range(8)]
    deadline = clock.now

    def play(index: int) -> Callable[[float], Pulse]:
        def fire(started: float) -> Pulse:
            # What the device does after its motor started (reports, bookkeeping) takes
            # a millisecond of the one thread all the devices share.
            clock.now += 0.001
            return Pulse(index, "inhale", started, started, deadline, 665.0)

        return fire

    for index, motor in enumerate(motors):
        motor.schedule(0, deadline, play(index))
    await asyncio.wait_for(done.wait(), 5)
    starts = [motor.trace[0].t for motor in motors]
    assert starts == [deadline] * 8
    assert clock.now == pytest.approx(deadline + 0.008)  # every device's work still ran


async def test_a_cancelled_cue_does_not_start() -> None:
    clock = BusyClock(50.0)
    played: list[float] = []
    fired = asyncio.Event()
    motor = VirtualMotor(clock, spin_s=0.0)

    def fire(started: float) -> None:
        played.append(started)
        fired.set()

    motor.schedule(1, clock.now + 0.01, fire)
    motor.schedule(2, clock.now + 0.01, fire)
    motor.cancel(1)
    clock.now += 0.02
    await asyncio.wait_for(fired.wait(), 5)
    await asyncio.sleep(0.05)  # the cancelled one would have fired with it
    assert played == [clock.now]
    assert motor.pending == 0
