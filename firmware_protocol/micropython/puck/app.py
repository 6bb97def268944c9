"""The firmware's main loop: the core's timeline on ticks_us, the radio, button and battery.

Timing: asyncio.sleep_ms has 1 ms granularity and the garbage collector can pause for a few
milliseconds, so the timeline task collects garbage while idle (more than IDLE_GC_US before
the next wake-up), sleeps until the board's `spin_us` before it, then spins on ticks_us and
switches the motor through `runtime.onset`, which allocates nothing: no collection can start
between the deadline and the motor.
"""

import asyncio
import gc
import time

from ..core import battery, button, device, runtime, wire
from . import ble, inputs, motor
from .config import AXP192, DRV2605_LRA, BoardConfig

ticks_us = time.ticks_us  # type: ignore[attr-defined]
ticks_ms = time.ticks_ms  # type: ignore[attr-defined]
ticks_diff = time.ticks_diff  # type: ignore[attr-defined]
ticks_add = time.ticks_add  # type: ignore[attr-defined]

IDLE_GC_US = 30_000  # collect garbage only when the next wake-up is further than this
BUTTON_POLL_MS = 10
BATTERY_EVERY_MS = 30_000


class Puck:
    def __init__(self, board: BoardConfig) -> None:
        self.board = board
        self.motor = motor.build(board)
        self.button = (
            inputs.ButtonPin(board.button_pin, board.button_active_low)
            if (board.button_pin >= 0)
            else None
        )
        self.battery = (
            inputs.BatteryAdc(board.battery_pin, board.battery_divider)
            if board.battery_pin >= 0
            else None
        )
        self.gauge = battery.BatteryGauge()
        level = wire.BATTERY_UNKNOWN
        if self.battery is not None:
            level = self.gauge.add(self.battery.millivolts())
        config = device.Config(
            cue_buffer_size=board.cue_buffer_size,
            max_message_size=board.max_message_size,
            motor=wire.LRA if board.motor == DRV2605_LRA else wire.ERM,
            intensity_levels=self.motor.levels,
            has_button=self.button is not None,
        )
        self.runtime = runtime.Runtime(
            device.Device(config, level), ticks_diff, ticks_add, ticks_us()
        )
        self.changed = asyncio.Event()
        self.radio = ble.Radio(
            board.name, self.runtime.device.capabilities(0), level, self._write, self._link
        )
        self._level = -1
        if board.motor == AXP192:
            self._level = 0

    def _motor(self, level: int) -> None:
        if level != self._level:
            self._level = level
            self.motor.set(level)

    def _flush(self) -> None:
        self.radio.notify(self.runtime.device.take_outbox())

    def _write(self, channel: int, value: bytes, now: int) -> None:
        self.runtime.receive(channel, value, now)
        self._motor(self.runtime.level)
        self._flush()
        self.changed.set()

    def _link(self, att_payload: int) -> None:
        if att_payload:
            self.runtime.device.link_up(att_payload)
        else:
            self.runtime.device.link_down()

    async def timeline(self) -> None:
        rt = self.runtime
        spin_us = self.board.spin_us
        while True:
            rt.arm(ticks_us())
            remaining = ticks_diff(rt.wake_at, ticks_us())
            if rt.wake == runtime.NOTHING or remaining > spin_us:
                if remaining > IDLE_GC_US:
                    gc.collect()
                    remaining = ticks_diff(rt.wake_at, ticks_us())
                self.changed.clear()
                timeout_ms = max(0, remaining - spin_us) // 1000
                # No contextlib on a board, and MicroPython's asyncio has its own TimeoutError.
                try:  # noqa: SIM105
                    await asyncio.wait_for_ms(self.changed.wait(), timeout_ms)  # type: ignore[attr-defined]
                except asyncio.TimeoutError:  # noqa: UP041
                    pass
                if rt.wake == runtime.NOTHING or ticks_diff(rt.wake_at, ticks_us()) > spin_us:
                    continue  # woken by a message, or not there yet: work the plan out again
            # The cue path: small integers only from here to the motor.
            at = rt.wake_at
            while ticks_diff(ticks_us(), at) < 0:
                pass
            now = ticks_us()
            level = rt.onset(now)
            if level >= 0:
                self._motor(level)
            rt.commit(now)
            self._motor(rt.level)
            self._flush()

    async def inputs(self) -> None:
        recogniser = button.Button(ticks_diff, ticks_ms())
        last_battery = ticks_ms()
        while True:
            await asyncio.sleep_ms(BUTTON_POLL_MS)  # type: ignore[attr-defined]
            now = ticks_ms()
            if self.button is not None:
                kind = recogniser.update(self.button.pressed(), now)
                if kind:
                    ago_us = ticks_diff(now, recogniser.gesture_at) * 1000
                    self.runtime.button(kind, ticks_add(ticks_us(), -ago_us))
                    self._flush()
            if self.battery is not None and ticks_diff(now, last_battery) >= BATTERY_EVERY_MS:
                last_battery = now
                percent = self.gauge.add(self.battery.millivolts())
                self.runtime.battery(percent)
                self.radio.battery(percent)
                self._flush()
            # Read the clock often enough that its base never falls half a ticks period behind.
            self.runtime.now_us(ticks_us())

    async def main(self) -> None:
        await asyncio.gather(
            self.radio.serve(),
            self.radio.receive(wire.CONTROL),
            self.radio.receive(wire.DATA),
            self.timeline(),
            self.inputs(),
        )


def run(board: BoardConfig) -> None:
    asyncio.run(Puck(board).main())
