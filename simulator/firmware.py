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
from firmware_protocol.errors import ErrorCode, ProtocolError
from firmware_protocol.messages import (
    BATTERY_UNKNOWN,
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
    DeviceState,
    ErrorReport,
    Hello,
    LoadCues,
    Message,
    MotorType,
    Pause,
    PatternEntry,
    PatternTable,
    RequestStatus,
    Resume,
    SetConnectionPreference,
    ShowText,
    Start,
    Status,
    TimeSyncPing,
    TimeSyncPong,
)
from simulator.clock import DeviceClock
from simulator.motor import Pulse, VirtualMotor

__all__ = ["Channel", "Firmware", "FirmwareLimits"]

logger = logging.getLogger(__name__)


class Channel(enum.Enum):
    """The characteristic a frame was written to."""

    CONTROL = "control"
    DATA = "data"


# Which characteristic each hub message must arrive on (SPEC.md, "GATT layout").
_DATA_MESSAGES = (LoadCues, CueNow)


@dataclass(frozen=True)
class FirmwareLimits:
    """The simulated hardware's capacities, announced in Capabilities."""

    cue_buffer_size: int = 64
    max_patterns: int = 32
    max_message_size: int = framing.DEFAULT_MAX_MESSAGE_SIZE
    # A cue whose deadline passed by more than this when its timer fires is skipped.
    late_limit_s: float = 0.050
    # Battery drained per second of motor on-time, in percent.
    drain_pct_per_on_s: float = 0.1


class Firmware:
    """The device's protocol state machine and cue timeline."""

    def __init__(
        self,
        clock: DeviceClock,
        motor: VirtualMotor,
        send: Callable[[bytes], None],
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
        self.pattern_names: dict[int, str] = {}
        self.cues: dict[int, CueEntry] = {}
        self.used_cue_ids: set[int] = set()
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

    def start(self) -> None:
        """Power on: an empty device, idle."""

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
        return codec.encode(self.capabilities())

    def capabilities(self, seq: int | None = None) -> Capabilities:
        return Capabilities(
            seq=self._next_seq() if seq is None else seq,
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
        now = self.clock.host_clock()
        try:
            data = self._reassemblers[channel].feed(frame, now)
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
            self._check_channel(message, channel)
            self._handle(message)
        except ProtocolError as error:
            self._report(error, message.seq)

    def press_button(self, kind: ButtonKind | str) -> None:
        """The person pressed the button."""
        if isinstance(kind, str):
            try:
                kind = ButtonKind[kind.upper()]
            except KeyError:
                choices = ", ".join(k.name.lower() for k in ButtonKind)
                raise ValueError(f"unknown button press {kind!r}; use one of {choices}") from None
        self._send(ButtonPress(seq=self._next_seq(), kind=kind, device_time_us=self._now_us()))

    # ----------------------------------------------------------------- messages

    @staticmethod
    def _check_channel(message: Message, channel: Channel) -> None:
        expected = Channel.DATA if isinstance(message, _DATA_MESSAGES) else Channel.CONTROL
        if channel is not expected:
            raise ProtocolError(
                f"{type(message).__name__} belongs on the {expected.value} characteristic",
                ErrorCode.WRONG_CHARACTERISTIC,
            )

    def _handle(self, message: Message) -> None:  # noqa: PLR0912 - one branch per message
        match message:
            case Hello():
                self.used_cue_ids.clear()
                self._send(self.capabilities())
            case TimeSyncPing():
                self._send(
                    TimeSyncPong(
                        seq=self._next_seq(),
                        hub_timestamp_us=message.hub_timestamp_us,
                        device_time_us=self._now_us(),
                    )
                )
            case PatternTable():
                self._load_patterns(message)
            case LoadCues():
                self._load_cues(message)
            case Start():
                if self.state not in (DeviceState.IDLE, DeviceState.LOADED, DeviceState.PLAYING):
                    raise ProtocolError(
                        f"cannot start while {self.state.name}", ErrorCode.BAD_STATE
                    )
                self.state = DeviceState.PLAYING
                for cue in self.cues.values():
                    self._schedule(cue)
                self._ack(message.seq)
            case Pause():
                if self.state is not DeviceState.PLAYING:
                    raise ProtocolError(
                        f"cannot pause while {self.state.name}", ErrorCode.BAD_STATE
                    )
                self.motor.cancel_all()
                self.state = DeviceState.PAUSED
                self._ack(message.seq)
            case Resume():
                if self.state is not DeviceState.PAUSED:
                    raise ProtocolError(
                        f"cannot resume while {self.state.name}", ErrorCode.BAD_STATE
                    )
                self.cues = {
                    cue_id: _shifted(cue, message.shift_us) for cue_id, cue in self.cues.items()
                }
                self.state = DeviceState.PLAYING
                for cue in self.cues.values():
                    self._schedule(cue)
                self._ack(message.seq)
            case Abort():
                self.motor.cancel_all()
                self.cues.clear()
                self.used_cue_ids.clear()
                self.state = DeviceState.IDLE
                self._ack(message.seq)
            case Clear():
                self.motor.cancel_all()
                self.cues.clear()
                self.used_cue_ids.clear()
                if self.state is DeviceState.LOADED:
                    self.state = DeviceState.IDLE
                self._ack(message.seq)
            case CueNow():
                pattern = self._pattern(message.pattern_id, message.cue_id)
                self._play(
                    message.cue_id, pattern, self.clock.host_clock(), self.clock.host_clock()
                )
            case ShowText():
                self.display_text = message.text
            case SetConnectionPreference():
                self.connection_preference = message
            case RequestStatus():
                self._ack(message.seq)
            case _:
                raise ProtocolError(
                    f"{type(message).__name__} is a device-to-hub message", ErrorCode.UNKNOWN_TYPE
                )

    def _pattern(self, pattern_id: int, cue_id: int) -> PatternEntry:
        pattern = self.patterns.get(pattern_id)
        if pattern is None:
            raise ProtocolError(
                f"pattern {pattern_id} is not in the pattern table",
                ErrorCode.UNKNOWN_PATTERN,
                detail=cue_id,
            )
        return pattern

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
        self._ack(message.seq)

    def _load_cues(self, message: LoadCues) -> None:
        # The batch is all or nothing: a refused cue refuses the batch.
        if self.state is DeviceState.PAUSED:
            pass  # cues may be added while paused; they wait for Resume
        free = self.limits.cue_buffer_size - len(self.cues)
        if len(message.cues) > free:
            raise ProtocolError(
                f"{len(message.cues)} cues do not fit the {free} free slots",
                ErrorCode.BUFFER_FULL,
                detail=message.cues[0].cue_id,
            )
        now_us = self._now_us()
        seen: set[int] = set()
        for cue in message.cues:
            if cue.cue_id in self.used_cue_ids or cue.cue_id in seen:
                raise ProtocolError(
                    f"cue id {cue.cue_id} was already used",
                    ErrorCode.CUE_ID_REUSED,
                    detail=cue.cue_id,
                )
            seen.add(cue.cue_id)
            self._pattern(cue.pattern_id, cue.cue_id)
            if cue.deadline_us < now_us:
                raise ProtocolError(
                    f"cue {cue.cue_id}'s deadline passed {(now_us - cue.deadline_us) / 1000:.1f} ms ago",
                    ErrorCode.DEADLINE_PASSED,
                    detail=cue.cue_id,
                )
        for cue in message.cues:
            self.cues[cue.cue_id] = cue
            self.used_cue_ids.add(cue.cue_id)
            if self.state is DeviceState.PLAYING:
                self._schedule(cue)
        if self.state is DeviceState.IDLE:
            self.state = DeviceState.LOADED
        self._ack(message.seq)

    # ----------------------------------------------------------------- timeline

    def _schedule(self, cue: CueEntry) -> None:
        deadline = self.clock.to_host(cue.deadline_us / 1_000_000)
        self.motor.schedule(cue.cue_id, deadline, lambda t: self._fire(cue, deadline, t))

    def _fire(self, cue: CueEntry, deadline: float, started_at: float) -> Pulse | None:
        self.cues.pop(cue.cue_id, None)
        pattern = self.patterns.get(cue.pattern_id)
        if pattern is None or started_at - deadline > self.limits.late_limit_s:
            self._send(
                CueExecuted(
                    seq=self._next_seq(),
                    cue_id=cue.cue_id,
                    device_time_us=self._now_us(started_at),
                    outcome=CueOutcome.SKIPPED,
                )
            )
            return None
        return self._play(cue.cue_id, pattern, deadline, started_at, record=False)

    def _play(
        self,
        cue_id: int,
        pattern: PatternEntry,
        deadline: float,
        started_at: float,
        *,
        record: bool = True,
    ) -> Pulse:
        on_ms = sum(segment.on_ms for segment in pattern.segments)
        pulse = Pulse(
            cue_id=cue_id,
            pattern=self.pattern_names.get(pattern.pattern_id, f"pattern-{pattern.pattern_id}"),
            t=started_at,
            device_t=self.clock.to_device(started_at),
            deadline=deadline,
            on_ms=float(on_ms),
        )
        if record:
            self.motor.record(pulse)
        self.battery_pct = max(
            0.0, self.battery_pct - on_ms / 1000 * self.limits.drain_pct_per_on_s
        )
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

    def _ack(self, ref_seq: int) -> None:
        battery = round(self.battery_pct) if self.battery_pct >= 0 else BATTERY_UNKNOWN
        self._send(
            Status(
                seq=self._next_seq(),
                battery_percent=battery,
                free_cue_slots=self.limits.cue_buffer_size - len(self.cues),
                state=self.state,
                ack_seq=ref_seq,
            )
        )

    def _report(self, error: ProtocolError, ref_seq: int) -> None:
        logger.info("refusing a message: %s", error)
        report = ErrorReport.of(error, ref_seq=ref_seq, seq=self._next_seq())
        self.errors_sent.append(report)
        self._send(report)

    def _send(self, message: Message) -> None:
        if isinstance(message, CueExecuted):
            self.executed.append(message)
        if not self._linked:
            return
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


def _shifted(cue: CueEntry, shift_us: int) -> CueEntry:
    return CueEntry(
        cue_id=cue.cue_id,
        deadline_us=cue.deadline_us + shift_us,
        pattern_id=cue.pattern_id,
        intensity=cue.intensity,
    )


def _seq_of(data: bytes) -> int:
    # The header's seq, when the header itself could be read, so the hub can match the error.
    return int.from_bytes(data[2:4], "little") if len(data) >= 4 else NO_SEQ
