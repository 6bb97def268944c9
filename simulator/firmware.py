"""What the wearable's firmware does with each protocol message (firmware_protocol/SPEC.md).

Radio-agnostic: frames come in through `receive`, frames go out through the `send` callback,
and cues are played through the virtual motor at their device-clock deadlines converted to
host time. A cue already loaded keeps playing while the link is down, as on a real device.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from firmware_protocol import codec, framing
from firmware_protocol.cues import LATE_LIMIT_US, CueBuffer
from firmware_protocol.device import Reply, check_characteristic, reply_for, transition
from firmware_protocol.errors import ErrorCode, ProtocolError
from firmware_protocol.gatt import CONTROL_CHAR_UUID, DATA_CHAR_UUID
from firmware_protocol.messages import (
    NO_SEQ,
    Abort,
    ButtonKind,
    ButtonPress,
    Capabilities,
    Clear,
    CueEntry,
    CueExecuted,
    CueNow,
    CueOutcome,
    DeviceMessage,
    DeviceState,
    ErrorReport,
    HubMessage,
    LoadCues,
    Message,
    MotorType,
    PatternEntry,
    PatternTable,
    Pause,
    Resume,
    SetConnectionPreference,
    ShowText,
    Status,
    TimeSyncPing,
    TimeSyncPong,
)
from firmware_protocol.patterns import PATTERNS_BY_ID
from simulator.clock import DeviceClock
from simulator.motor import Pulse, VirtualMotor

__all__ = ["Channel", "Firmware", "FirmwareLimits"]

logger = logging.getLogger(__name__)


class Channel(enum.Enum):
    """The characteristic a frame was written to (its UUID)."""

    CONTROL = CONTROL_CHAR_UUID
    DATA = DATA_CHAR_UUID


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


class Firmware:
    """The device's protocol state machine and cue timeline."""

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
        self.limits = limits or FirmwareLimits()
        self.battery_pct = battery_pct
        self.on_message = on_message
        self.state = DeviceState.IDLE
        self.display_text = ""
        self.patterns: dict[int, PatternEntry] = {}
        self.cues = CueBuffer(self.limits.cue_buffer_size, late_limit_us=self.limits.late_limit_us)
        self.connection_preference: SetConnectionPreference | None = None
        self.executed: list[CueExecuted] = []
        self.errors_sent: list[ErrorReport] = []
        self._seq = 0
        self._linked = False
        self._fragmenter = framing.Fragmenter()
        self._reassemblers = {
            channel: framing.Reassembler(max_message_size=self.limits.max_message_size)
            for channel in Channel
        }

    # ----------------------------------------------------------------- lifecycle

    def stop(self) -> None:
        """Power off: nothing more plays."""
        self.motor.cancel_all()

    def link_up(self, mtu: int) -> None:
        """A hub connected (or the MTU changed): frames now fit `mtu`."""
        self._linked = True
        self._fragmenter.att_payload = framing.att_payload_size(mtu)

    def link_down(self) -> None:
        """The hub is gone: partial messages are dropped, the cue timeline keeps running."""
        self._linked = False
        self._fragmenter.att_payload = framing.DEFAULT_ATT_PAYLOAD
        for reassembler in self._reassemblers.values():
            reassembler.reset()

    def info_value(self) -> bytes:
        """The value of the info characteristic: the Capabilities message."""
        return codec.encode(self.capabilities(seq=0))

    def capabilities(self, seq: int) -> Capabilities:
        return Capabilities(
            seq=seq,
            cue_buffer_size=self.limits.cue_buffer_size,
            max_message_size=self.limits.max_message_size,
            motor=MotorType.LRA,
            intensity_levels=255,
            has_display=True,
            has_button=True,
            clock_resolution_us=1,
        )

    # ----------------------------------------------------------------- input

    def receive(self, channel: Channel, frame: bytes) -> None:
        """One ATT value written by the hub on `channel`."""
        try:
            data = self._reassemblers[channel].feed(frame, self.clock.host_clock())
        except ProtocolError as error:
            self._report(error, NO_SEQ)
            return
        if data is None:
            return
        try:
            message = codec.decode(data)
        except ProtocolError as error:
            self._report(error, _seq_of(data))
            return
        if self.on_message is not None:
            self.on_message("received", message)
        try:
            self._handle(_hub_message(message, channel))
        except ProtocolError as error:
            self._report(error, message.seq)

    def press_button(self, kind: ButtonKind | str) -> None:
        """The person pressed the button (the hub hears of it only while connected)."""
        if isinstance(kind, str):
            try:
                kind = ButtonKind[kind.upper()]
            except KeyError:
                choices = ", ".join(k.name.lower() for k in ButtonKind)
                raise ValueError(f"unknown button press {kind!r}; use one of {choices}") from None
        self._send(ButtonPress(seq=self._next_seq(), kind=kind, device_time_us=self._now_us()))

    # ----------------------------------------------------------------- messages

    def _handle(self, message: HubMessage) -> None:
        """Apply an accepted message, then send the reply SPEC.md gives it."""
        arrived_us = self._now_us()
        new_state = transition(self.state, message)
        self._apply(message, arrived_us)
        self.state = new_state
        if isinstance(message, Pause | Abort):
            self.motor.cancel(_TIMER_KEY)
        self._arm()
        self._reply(message, arrived_us)

    def _apply(self, message: HubMessage, arrived_us: int) -> None:
        """The effect of an accepted message on patterns, cues and display."""
        match message:
            case PatternTable():
                self._load_patterns(message)
            case LoadCues():
                known = self.patterns.keys()
                self.cues.load(message.cues, arrived_us, known)
            case CueNow():
                if message.pattern_id not in self.patterns:
                    raise ProtocolError(
                        f"pattern {message.pattern_id} is not in the device's pattern table",
                        ErrorCode.UNKNOWN_PATTERN,
                        detail=message.cue_id,
                    )
            case Resume():
                self.cues.shift(message.shift_us)
            case Abort() | Clear():
                self.cues.clear()
            case ShowText():
                self.display_text = message.text
            case SetConnectionPreference():
                self.connection_preference = message
            case _:
                pass

    def _reply(self, message: HubMessage, arrived_us: int) -> None:
        reply = reply_for(message)
        if reply is Reply.CAPABILITIES:
            self._send(self.capabilities(self._next_seq()))
        elif reply is Reply.PONG:
            assert isinstance(message, TimeSyncPing)
            self._send(
                TimeSyncPong(
                    seq=self._next_seq(),
                    hub_timestamp_us=message.hub_timestamp_us,
                    device_time_us=arrived_us,
                )
            )
        elif reply is Reply.CUE_EXECUTED:
            assert isinstance(message, CueNow)
            now = self.clock.host_clock()
            self._play(message.cue_id, self.patterns[message.pattern_id], now, now, record=True)
        else:
            self._status(message.seq)

    def _load_patterns(self, message: PatternTable) -> None:
        table = {} if message.replace else dict(self.patterns)
        for pattern in message.patterns:
            table[pattern.pattern_id] = pattern
        if len(table) > self.limits.max_patterns:
            raise ProtocolError(
                f"the pattern table would hold {len(table)} patterns; "
                f"this device holds {self.limits.max_patterns}",
                ErrorCode.PATTERN_TABLE_FULL,
            )
        self.patterns = table

    # ----------------------------------------------------------------- timeline

    def _arm(self) -> None:
        """Set the motor timer for the earliest pending cue, if the device is playing."""
        next_us = self.cues.next_deadline_us()
        if self.state is not DeviceState.PLAYING or next_us is None:
            self.motor.cancel(_TIMER_KEY)
            return
        deadline = self.clock.to_host(next_us / 1_000_000)
        self.motor.schedule(_TIMER_KEY, deadline, self._fire)

    def _fire(self, started_at: float) -> Pulse | None:
        # +1 us: the host/device round trip of a deadline may lose a float ulp.
        due = self.cues.pop_due(self._now_us(started_at) + 1)
        first: Pulse | None = None
        for cue, outcome in due:
            pattern = self.patterns.get(cue.pattern_id)
            if outcome is CueOutcome.PLAYED and pattern is not None:
                deadline = self.clock.to_host(cue.deadline_us / 1_000_000)
                pulse = self._play(
                    cue.cue_id, pattern, deadline, started_at, record=first is not None
                )
                first = first or pulse
            else:
                self._skip(cue, started_at)
        if self.cues.next_deadline_us() is None and self.state is DeviceState.PLAYING:
            logger.debug("cue timeline played out")
        self._arm()
        return first

    def _skip(self, cue: CueEntry, at: float) -> None:
        self._send(
            CueExecuted(
                seq=self._next_seq(),
                cue_id=cue.cue_id,
                device_time_us=self._now_us(at),
                outcome=CueOutcome.SKIPPED,
            )
        )

    def _play(
        self,
        cue_id: int,
        pattern: PatternEntry,
        deadline: float,
        started_at: float,
        *,
        record: bool,
    ) -> Pulse:
        on_ms = sum(segment.on_ms for segment in pattern.segments)
        known = PATTERNS_BY_ID.get(pattern.pattern_id)
        pulse = Pulse(
            cue_id=cue_id,
            pattern=known.name if known is not None else f"pattern-{pattern.pattern_id}",
            t=started_at,
            device_t=self.clock.to_device(started_at),
            deadline=deadline,
            on_ms=float(on_ms),
        )
        if record:
            self.motor.record(pulse)
        drained = on_ms / 1000 * self.limits.drain_pct_per_on_s
        self.battery_pct = max(0.0, self.battery_pct - drained)
        self._send(
            CueExecuted(
                seq=self._next_seq(),
                cue_id=cue_id,
                device_time_us=self._now_us(started_at),
                outcome=CueOutcome.PLAYED,
            )
        )
        return pulse

    # ----------------------------------------------------------------- output

    def _status(self, ack_seq: int) -> None:
        self._send(
            Status(
                seq=self._next_seq(),
                battery_percent=round(self.battery_pct),
                free_cue_slots=self.cues.free_slots,
                state=self.state,
                ack_seq=ack_seq,
            )
        )

    def _report(self, error: ProtocolError, ref_seq: int) -> None:
        logger.info("refusing a message: %s", error)
        report = ErrorReport.of(error, ref_seq=ref_seq, seq=self._next_seq())
        self.errors_sent.append(report)
        self._send(report)

    def _send(self, message: DeviceMessage) -> None:
        if isinstance(message, CueExecuted):
            self.executed.append(message)
        if not self._linked:
            return  # nobody to tell; the motor trace still has it
        if self.on_message is not None:
            self.on_message("sent", message)
        for frame in self._fragmenter.split(codec.encode(message)):
            self._send_frame(frame)

    def _next_seq(self) -> int:
        seq = self._seq
        self._seq = (self._seq + 1) & 0xFFFF
        return seq

    def _now_us(self, host_t: float | None = None) -> int:
        device_t = self.clock.now() if host_t is None else self.clock.to_device(host_t)
        return max(0, round(device_t * 1_000_000))


def _hub_message(message: Message, channel: Channel) -> HubMessage:
    """`message`, if a hub may send it on `channel`; ProtocolError with the code if not."""
    if not isinstance(message, HubMessage):
        raise ProtocolError(
            f"{type(message).__name__} is sent by devices, not to them", ErrorCode.UNKNOWN_TYPE
        )
    check_characteristic(message, channel.value)
    return message


def _seq_of(data: bytes) -> int:
    # The header's seq, when the header itself could be read, so the hub can match the error.
    return int.from_bytes(data[2:4], "little") if len(data) >= 4 else NO_SEQ
