"""The simulated wearable's firmware: the reference firmware's core, on simulated hardware.

What the device does with each message is `firmware_protocol.micropython.core`, the same
code that runs in MicroPython on a real board, so every hub test exercises it. This
adapter gives it the simulator's drifting device clock, and plays what it decides on the
virtual motor: the core says which cue is due when (`next_deadline`, `fire`), the motor
times it on the host's event loop (where a board uses its ticks clock). A cue already
loaded keeps playing while the link is down, as on a real device.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from firmware_protocol import codec, framing
from firmware_protocol.cues import LATE_LIMIT_US
from firmware_protocol.errors import ProtocolError
from firmware_protocol.gatt import CONTROL_CHAR_UUID, DATA_CHAR_UUID
from firmware_protocol.messages import (
    ButtonKind,
    CueExecuted,
    DeviceState,
    ErrorReport,
    Message,
)
from firmware_protocol.micropython.core import device as core
from firmware_protocol.micropython.core import patterns as core_patterns
from firmware_protocol.micropython.core import wire
from firmware_protocol.patterns import PATTERNS_BY_ID
from simulator.clock import DeviceClock
from simulator.motor import Pulse, VirtualMotor

__all__ = ["Channel", "Firmware", "FirmwareLimits"]

logger = logging.getLogger(__name__)


class Channel(enum.Enum):
    """The characteristic a frame was written to (its UUID)."""

    CONTROL = CONTROL_CHAR_UUID
    DATA = DATA_CHAR_UUID


_CORE_CHANNEL = {Channel.CONTROL: wire.CONTROL, Channel.DATA: wire.DATA}
# The one motor timer: the device arms it for its earliest pending deadline.
_TIMER_KEY = 0


@dataclass(frozen=True)
class FirmwareLimits:
    """The simulated hardware's capacities, announced in Capabilities."""

    cue_buffer_size: int = 64
    max_patterns: int = 32
    max_message_size: int = framing.DEFAULT_MAX_MESSAGE_SIZE
    late_limit_us: int = LATE_LIMIT_US
    # Battery drained per second of motor on-time, in percent.
    drain_pct_per_on_s: float = 0.1


def _config(limits: FirmwareLimits) -> core.Config:
    # An LRA watch with a display and a button: what the simulator has always announced.
    return core.Config(
        cue_buffer_size=limits.cue_buffer_size,
        max_message_size=limits.max_message_size,
        max_patterns=limits.max_patterns,
        motor=wire.LRA,
        intensity_levels=255,
        has_display=True,
        has_button=True,
        clock_resolution_us=1,
        late_limit_us=limits.late_limit_us,
    )


class Firmware:
    """The core's device on the simulator's clock and virtual motor."""

    def __init__(
        self,
        clock: DeviceClock,
        motor: VirtualMotor,
        send: Callable[[bytes], None],
        *,
        battery_pct: float = 100.0,
        limits: FirmwareLimits | None = None,
        on_message: Callable[[str, object], None] | None = None,
    ) -> None:
        self.clock = clock
        self.motor = motor
        self._send_frame = send
        self.battery_pct = battery_pct
        self.on_message = on_message
        self._limits = limits or FirmwareLimits()
        self.device = core.Device(_config(self._limits), battery_percent=round(battery_pct))
        self.executed: list[CueExecuted] = []
        self.errors_sent: list[ErrorReport] = []
        # The hub's reassembler, over what the core notifies: for the lists above and logs.
        self._sent = framing.Reassembler()
        self._received = {channel: framing.Reassembler() for channel in Channel}

    @property
    def limits(self) -> FirmwareLimits:
        return self._limits

    @limits.setter
    def limits(self, limits: FirmwareLimits) -> None:
        """New hardware limits (a test's smaller device); pending cues stay."""
        self._limits = limits
        config = _config(limits)
        self.device.config = config
        self.device.cues.capacity = config.cue_buffer_size
        self.device.cues.late_limit_us = config.late_limit_us

    @property
    def state(self) -> DeviceState:
        return DeviceState(self.device.state)

    @property
    def display_text(self) -> str:
        return self.device.display_text

    # ----------------------------------------------------------------- lifecycle

    def stop(self) -> None:
        """Power off: nothing more plays."""
        self.motor.cancel_all()

    def link_up(self, mtu: int) -> None:
        """A hub connected (or the MTU changed): frames now fit `mtu`."""
        self.device.link_up(framing.att_payload_size(mtu))

    def link_down(self) -> None:
        """The hub is gone: partial messages are dropped, the cue timeline keeps running."""
        self.device.link_down()
        self._sent.reset()
        for reassembler in self._received.values():
            reassembler.reset()

    def info_value(self) -> bytes:
        """The value of the info characteristic: the Capabilities message."""
        return self.device.capabilities(0)

    # ----------------------------------------------------------------- input

    def receive(self, channel: Channel, frame: bytes) -> None:
        """One ATT value written by the hub on `channel`."""
        # The clock is read as the write arrives, before anything else (SPEC.md), logging too.
        now_us = self._now_us()
        if self.on_message is not None:
            self._log("received", self._received[channel], frame)
        self.device.receive(_CORE_CHANNEL[channel], frame, now_us)
        if self.device.silence:  # Pause or Abort
            self.device.silence = False
            self.motor.cancel(_TIMER_KEY)
        cue = self.device.take_cue_now()
        if cue is not None:
            cue_id, pattern_id, segments, _intensity = cue
            now = self.clock.host_clock()
            self.motor.record(self._pulse(cue_id, pattern_id, segments, now, now))
            self.device.cue_now_started(cue_id, self._now_us(now))
        self._arm()
        self._flush()

    def press_button(self, kind: ButtonKind | str) -> None:
        """The person pressed the button (the hub hears of it only while connected)."""
        if isinstance(kind, str):
            try:
                kind = ButtonKind[kind.upper()]
            except KeyError:
                choices = ", ".join(k.name.lower() for k in ButtonKind)
                raise ValueError(f"unknown button press {kind!r}; use one of {choices}") from None
        self.device.press(int(kind), self._now_us())
        self._flush()

    # ----------------------------------------------------------------- timeline

    def _arm(self) -> None:
        """Set the motor timer for the earliest pending cue, if the device is playing."""
        next_us = self.device.next_deadline()
        if next_us is None:
            self.motor.cancel(_TIMER_KEY)
            return
        deadline = self.clock.to_host(next_us / 1_000_000)
        self.motor.schedule(_TIMER_KEY, deadline, self._fire)

    def _fire(self, started_at: float) -> Pulse | None:
        # +1 us: the host/device round trip of a deadline may lose a float ulp.
        played = self.device.fire(self._now_us(started_at) + 1)
        first: Pulse | None = None
        for cue_id, deadline_us, pattern_id, segments, _intensity in played:
            deadline = self.clock.to_host(deadline_us / 1_000_000)
            pulse = self._pulse(cue_id, pattern_id, segments, deadline, started_at)
            if first is None:
                first = pulse  # the motor records it
            else:
                self.motor.record(pulse)
        self._arm()
        self._flush()
        return first

    def _pulse(
        self, cue_id: int, pattern_id: int, segments: bytes, deadline: float, started_at: float
    ) -> Pulse:
        on_ms = core_patterns.on_ms(segments)
        known = PATTERNS_BY_ID.get(pattern_id)
        self.battery_pct = max(
            0.0, self.battery_pct - on_ms / 1000 * self._limits.drain_pct_per_on_s
        )
        self.device.set_battery(round(self.battery_pct))
        return Pulse(
            cue_id=cue_id,
            pattern=known.name if known is not None else f"pattern-{pattern_id}",
            t=started_at,
            device_t=self.clock.to_device(started_at),
            deadline=deadline,
            on_ms=float(on_ms),
        )

    # ----------------------------------------------------------------- output

    def _flush(self) -> None:
        for frame in self.device.take_outbox():
            message = self._log("sent", self._sent, frame)
            if isinstance(message, CueExecuted):
                self.executed.append(message)
            elif isinstance(message, ErrorReport):
                logger.info("refusing a message: %s", message.code.name)
                self.errors_sent.append(message)
            self._send_frame(frame)

    def _log(
        self, direction: str, reassembler: framing.Reassembler, frame: bytes
    ) -> Message | None:
        """The message `frame` completes, as the hub reads it (None while incomplete)."""
        try:
            data = reassembler.feed(frame, self.clock.host_clock())
            message = codec.decode(data) if data is not None else None
        except ProtocolError:
            return None  # the core reports it; this view is only for logs and lists
        if message is not None and self.on_message is not None:
            self.on_message(direction, message)
        return message

    def _now_us(self, host_t: float | None = None) -> int:
        device_t = self.clock.now() if host_t is None else self.clock.to_device(host_t)
        return max(0, round(device_t * 1_000_000))
