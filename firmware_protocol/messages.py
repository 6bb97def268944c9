"""The typed messages of the backstretch wire protocol (SPEC.md, "Messages").

Every message is a frozen, slotted dataclass whose constructor checks that each field fits
its fixed-width wire slot and obeys the protocol's rules, so a message that exists can always
be encoded and a decoded message is always valid. Fields are keyword-only; `seq` (the
sender's u16 sequence number) defaults to 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Final

from firmware_protocol.errors import ErrorCode, ProtocolError

PROTOCOL_VERSION: Final = 1
HEADER_SIZE: Final = 4  # version u8, type u8, seq u16
# A sequence number that refers to no message (ErrorReport.ref_seq, Status.ack_seq).
NO_SEQ: Final = 0xFFFF
# Pattern-table limits a device must support.
MAX_SEGMENTS: Final = 16
MAX_SEGMENT_MS: Final = 5000
# Longest ShowText payload in bytes; a device with a smaller max message size cuts further.
MAX_TEXT_BYTES: Final = 200
# Battery level meaning "not known".
BATTERY_UNKNOWN: Final = 0xFF
# Smallest max message size a device may announce: enough for every fixed-size message and
# a one-cue batch, so a hub can always talk to it.
MIN_MESSAGE_SIZE: Final = 32

_U8: Final = 0xFF
_U16: Final = 0xFFFF
_U32: Final = 0xFFFF_FFFF
_U64: Final = 0xFFFF_FFFF_FFFF_FFFF


class MessageType(IntEnum):
    """The type byte of the header: 0x01-0x3F hub to device, 0x81-0xBF device to hub."""

    HELLO = 0x01
    TIME_SYNC_PING = 0x02
    PATTERN_TABLE = 0x03
    LOAD_CUES = 0x04
    START = 0x05
    PAUSE = 0x06
    RESUME = 0x07
    ABORT = 0x08
    CLEAR = 0x09
    CUE_NOW = 0x0A
    SHOW_TEXT = 0x0B
    SET_CONNECTION_PREFERENCE = 0x0C
    REQUEST_STATUS = 0x0D
    CAPABILITIES = 0x81
    TIME_SYNC_PONG = 0x82
    CUE_EXECUTED = 0x83
    BUTTON_PRESS = 0x84
    STATUS = 0x85
    ERROR_REPORT = 0x86


class MotorType(IntEnum):
    ERM = 0  # eccentric rotating mass: 50-100 ms spin-up, weak at low drive
    LRA = 1  # linear resonant actuator: crisp starts and stops


class DeviceState(IntEnum):
    IDLE = 0  # no cues, not playing
    LOADED = 1  # cues buffered, waiting for Start
    PLAYING = 2  # plays each cue at its deadline on the device clock
    PAUSED = 3  # holds its cues, motor off, until Resume


class ButtonKind(IntEnum):
    SHORT = 1
    LONG = 2
    DOUBLE = 3


class CueOutcome(IntEnum):
    PLAYED = 0  # the motor started the pattern at device_time_us
    SKIPPED = 1  # the deadline had passed by more than the late limit; nothing played


def _invalid(message: str, code: ErrorCode = ErrorCode.INVALID_FIELD) -> ProtocolError:
    return ProtocolError(message, code)


def _check_uint(value: int, limit: int, name: str) -> None:
    # bool is an int; refuse it so a flag cannot silently become a count.
    if type(value) is not int or not 0 <= value <= limit:
        raise _invalid(f"{name} must be an integer from 0 to {limit}, got {value!r}")


# ----------------------------------------------------------------------------- building blocks


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """One step of a pattern: motor on for `on_ms` at `intensity` (0-255), then off."""

    on_ms: int
    off_ms: int
    intensity: int = 255

    def __post_init__(self) -> None:
        _check_uint(self.on_ms, _U16, "on_ms")
        _check_uint(self.off_ms, _U16, "off_ms")
        _check_uint(self.intensity, _U8, "intensity")
        total = self.on_ms + self.off_ms
        if total > MAX_SEGMENT_MS:
            raise _invalid(
                f"a segment lasts {total} ms (on {self.on_ms} + off {self.off_ms}); "
                f"the limit is {MAX_SEGMENT_MS} ms",
                ErrorCode.SEGMENT_TOO_LONG,
            )
        if total == 0:
            raise _invalid("a segment must last at least 1 ms")

    @property
    def duration_ms(self) -> int:
        return self.on_ms + self.off_ms


@dataclass(frozen=True, slots=True, kw_only=True)
class PatternEntry:
    """A pattern-table row: pattern id (1-255) and 1-16 segments played in order."""

    pattern_id: int
    segments: tuple[Segment, ...]

    def __post_init__(self) -> None:
        _check_uint(self.pattern_id, _U8, "pattern_id")
        if self.pattern_id == 0:
            raise _invalid("pattern id 0 is reserved")
        if not self.segments:
            raise _invalid(
                f"pattern {self.pattern_id} has no segments; give it at least one",
                ErrorCode.EMPTY_PATTERN,
            )
        if len(self.segments) > MAX_SEGMENTS:
            raise _invalid(
                f"pattern {self.pattern_id} has {len(self.segments)} segments; "
                f"the limit is {MAX_SEGMENTS}"
            )

    @property
    def duration_ms(self) -> int:
        return sum(s.on_ms + s.off_ms for s in self.segments)


@dataclass(frozen=True, slots=True, kw_only=True)
class CueEntry:
    """One scheduled cue: play `pattern_id` at `deadline_us` on the device clock.

    `intensity` scales the pattern's own segment intensities: 255 plays them as designed.
    """

    cue_id: int
    deadline_us: int
    pattern_id: int
    intensity: int = 255

    def __post_init__(self) -> None:
        _check_uint(self.cue_id, _U16, "cue_id")
        _check_uint(self.deadline_us, _U64, "deadline_us")
        _check_uint(self.pattern_id, _U8, "pattern_id")
        _check_uint(self.intensity, _U8, "intensity")


# ----------------------------------------------------------------------------- hub to device


@dataclass(frozen=True, slots=True, kw_only=True)
class Hello:
    """Greets the device (after every connection); answered by Capabilities, state unchanged."""

    TYPE: ClassVar[MessageType] = MessageType.HELLO
    seq: int = 0

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeSyncPing:
    """Asks for the device time; `hub_timestamp_us` is echoed back untouched."""

    TYPE: ClassVar[MessageType] = MessageType.TIME_SYNC_PING
    seq: int = 0
    hub_timestamp_us: int

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")
        _check_uint(self.hub_timestamp_us, _U64, "hub_timestamp_us")

    @classmethod
    def at(cls, hub_time: float, seq: int = 0) -> TimeSyncPing:
        """A ping stamped with a hub `time.monotonic()` value in seconds."""
        return cls(seq=seq, hub_timestamp_us=round(hub_time * 1_000_000))


@dataclass(frozen=True, slots=True, kw_only=True)
class PatternTable:
    """Uploads pattern definitions. `replace` drops every pattern the device held first."""

    TYPE: ClassVar[MessageType] = MessageType.PATTERN_TABLE
    seq: int = 0
    replace: bool = False
    patterns: tuple[PatternEntry, ...]

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")
        if type(self.replace) is not bool:
            raise _invalid(f"replace must be a bool, got {self.replace!r}")
        if len(self.patterns) > _U8:
            raise _invalid("a pattern table message holds at most 255 patterns")
        ids = [p.pattern_id for p in self.patterns]
        if len(set(ids)) != len(ids):
            raise _invalid("a pattern table message defines a pattern id twice")


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadCues:
    """A batch of scheduled cues (data characteristic). Cue ids strictly increase."""

    TYPE: ClassVar[MessageType] = MessageType.LOAD_CUES
    seq: int = 0
    cues: tuple[CueEntry, ...]

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")
        if not self.cues:
            raise _invalid("a cue batch must hold at least one cue")
        if len(self.cues) > _U8:
            raise _invalid("a cue batch holds at most 255 cues")


@dataclass(frozen=True, slots=True, kw_only=True)
class Start:
    """Arms the device: from now on it plays each cue when its deadline arrives."""

    TYPE: ClassVar[MessageType] = MessageType.START
    seq: int = 0

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")


@dataclass(frozen=True, slots=True, kw_only=True)
class Pause:
    """Stops the motor and holds every pending cue until Resume."""

    TYPE: ClassVar[MessageType] = MessageType.PAUSE
    seq: int = 0

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")


@dataclass(frozen=True, slots=True, kw_only=True)
class Resume:
    """Resumes playing after adding `shift_us` to every pending cue's deadline."""

    TYPE: ClassVar[MessageType] = MessageType.RESUME
    seq: int = 0
    shift_us: int = 0

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")
        _check_uint(self.shift_us, _U64, "shift_us")


@dataclass(frozen=True, slots=True, kw_only=True)
class Abort:
    """Stops the motor at once, drops every cue, returns to IDLE, forgets used cue ids."""

    TYPE: ClassVar[MessageType] = MessageType.ABORT
    seq: int = 0

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")


@dataclass(frozen=True, slots=True, kw_only=True)
class Clear:
    """Drops pending cues (a pattern already playing finishes); forgets used cue ids."""

    TYPE: ClassVar[MessageType] = MessageType.CLEAR
    seq: int = 0

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")


@dataclass(frozen=True, slots=True, kw_only=True)
class CueNow:
    """Plays a pattern immediately, in any state (data characteristic)."""

    TYPE: ClassVar[MessageType] = MessageType.CUE_NOW
    seq: int = 0
    cue_id: int
    pattern_id: int
    intensity: int = 255

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")
        _check_uint(self.cue_id, _U16, "cue_id")
        _check_uint(self.pattern_id, _U8, "pattern_id")
        _check_uint(self.intensity, _U8, "intensity")


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowText:
    """Shows UTF-8 text on the display (empty text clears it). Build with `fit_text`."""

    TYPE: ClassVar[MessageType] = MessageType.SHOW_TEXT
    seq: int = 0
    text: str

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")
        if type(self.text) is not str:
            raise _invalid(f"text must be a str, got {self.text!r}")
        try:
            size = len(self.text.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise _invalid(f"text cannot be encoded as UTF-8: {exc}", ErrorCode.BAD_TEXT) from None
        if size > MAX_TEXT_BYTES:
            raise _invalid(
                f"text is {size} bytes of UTF-8; the limit is {MAX_TEXT_BYTES} "
                "(cut it with firmware_protocol.fit_text)",
                ErrorCode.BAD_TEXT,
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class SetConnectionPreference:
    """Asks the device to request these BLE connection parameters from the central.

    Units are the Bluetooth Core ones: intervals in 1.25 ms, timeout in 10 ms.
    """

    TYPE: ClassVar[MessageType] = MessageType.SET_CONNECTION_PREFERENCE
    seq: int = 0
    min_interval: int
    max_interval: int
    latency: int
    timeout: int

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")
        for name in ("min_interval", "max_interval", "latency", "timeout"):
            _check_uint(getattr(self, name), _U16, name)
        if not 6 <= self.min_interval <= self.max_interval <= 3200:
            raise _invalid(
                "connection intervals must satisfy 6 <= min_interval <= max_interval <= 3200 "
                f"(units of 1.25 ms), got {self.min_interval}..{self.max_interval}"
            )
        if self.latency > 499:
            raise _invalid(f"latency must be 0..499 connection events, got {self.latency}")
        if not 10 <= self.timeout <= 3200:
            raise _invalid(f"timeout must be 10..3200 (units of 10 ms), got {self.timeout}")
        # Core spec: the supervision timeout must outlast (1 + latency) intervals, twice.
        if self.timeout * 4 <= (1 + self.latency) * self.max_interval:
            raise _invalid("timeout is too short for this max_interval and latency")

    @classmethod
    def session(cls, seq: int = 0) -> SetConnectionPreference:
        """15-30 ms intervals and no skipped events: for a running session."""
        return cls(seq=seq, min_interval=12, max_interval=24, latency=0, timeout=400)

    @classmethod
    def idle(cls, seq: int = 0) -> SetConnectionPreference:
        """100-200 ms intervals and some slave latency: saves the battery between sessions."""
        return cls(seq=seq, min_interval=80, max_interval=160, latency=4, timeout=600)


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestStatus:
    """Asks for a Status message."""

    TYPE: ClassVar[MessageType] = MessageType.REQUEST_STATUS
    seq: int = 0

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")


# ----------------------------------------------------------------------------- device to hub


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    """What the device can do; the answer to Hello and the value of the info characteristic."""

    TYPE: ClassVar[MessageType] = MessageType.CAPABILITIES
    seq: int = 0
    protocol_version: int = PROTOCOL_VERSION
    cue_buffer_size: int
    max_message_size: int
    motor: MotorType
    intensity_levels: int
    has_display: bool
    has_button: bool
    clock_resolution_us: int

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")
        _check_uint(self.protocol_version, _U8, "protocol_version")
        _check_uint(self.cue_buffer_size, _U16, "cue_buffer_size")
        _check_uint(self.max_message_size, _U16, "max_message_size")
        _check_uint(self.intensity_levels, _U8, "intensity_levels")
        _check_uint(self.clock_resolution_us, _U32, "clock_resolution_us")
        if not isinstance(self.motor, MotorType):
            raise _invalid(f"motor must be a MotorType, got {self.motor!r}")
        if type(self.has_display) is not bool or type(self.has_button) is not bool:
            raise _invalid("has_display and has_button must be bools")
        if self.cue_buffer_size == 0:
            raise _invalid("a device must buffer at least one cue")
        if self.max_message_size < MIN_MESSAGE_SIZE:
            raise _invalid(
                f"max_message_size {self.max_message_size} is below the minimum {MIN_MESSAGE_SIZE}"
            )
        if self.intensity_levels == 0:
            raise _invalid("intensity_levels must be at least 1 (on/off)")
        if self.clock_resolution_us == 0:
            raise _invalid("clock_resolution_us must be at least 1")


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeSyncPong:
    """Answers a ping: the hub timestamp echoed and the device clock when the ping arrived."""

    TYPE: ClassVar[MessageType] = MessageType.TIME_SYNC_PONG
    seq: int = 0
    hub_timestamp_us: int
    device_time_us: int

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")
        _check_uint(self.hub_timestamp_us, _U64, "hub_timestamp_us")
        _check_uint(self.device_time_us, _U64, "device_time_us")


@dataclass(frozen=True, slots=True, kw_only=True)
class CueExecuted:
    """A cue was played (or skipped as too late) at `device_time_us`."""

    TYPE: ClassVar[MessageType] = MessageType.CUE_EXECUTED
    seq: int = 0
    cue_id: int
    device_time_us: int
    outcome: CueOutcome = CueOutcome.PLAYED

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")
        _check_uint(self.cue_id, _U16, "cue_id")
        _check_uint(self.device_time_us, _U64, "device_time_us")
        if not isinstance(self.outcome, CueOutcome):
            raise _invalid(f"outcome must be a CueOutcome, got {self.outcome!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPress:
    """The person pressed the button."""

    TYPE: ClassVar[MessageType] = MessageType.BUTTON_PRESS
    seq: int = 0
    kind: ButtonKind
    device_time_us: int

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")
        _check_uint(self.device_time_us, _U64, "device_time_us")
        if not isinstance(self.kind, ButtonKind):
            raise _invalid(f"kind must be a ButtonKind, got {self.kind!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Status:
    """Battery, free cue slots and state. `ack_seq` is the hub message it answers, or NO_SEQ."""

    TYPE: ClassVar[MessageType] = MessageType.STATUS
    seq: int = 0
    battery_percent: int
    free_cue_slots: int
    state: DeviceState
    ack_seq: int = NO_SEQ

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")
        _check_uint(self.battery_percent, _U8, "battery_percent")
        _check_uint(self.free_cue_slots, _U16, "free_cue_slots")
        _check_uint(self.ack_seq, _U16, "ack_seq")
        if self.battery_percent > 100 and self.battery_percent != BATTERY_UNKNOWN:
            raise _invalid(
                f"battery_percent must be 0..100 or {BATTERY_UNKNOWN} (unknown), "
                f"got {self.battery_percent}"
            )
        if not isinstance(self.state, DeviceState):
            raise _invalid(f"state must be a DeviceState, got {self.state!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorReport:
    """The device refused a message: `ref_seq` is its seq (NO_SEQ if unknown).

    `detail` narrows it down where SPEC.md says so (e.g. the offending cue id), else 0.
    """

    TYPE: ClassVar[MessageType] = MessageType.ERROR_REPORT
    seq: int = 0
    code: ErrorCode
    ref_seq: int = NO_SEQ
    detail: int = 0

    def __post_init__(self) -> None:
        _check_uint(self.seq, _U16, "seq")
        _check_uint(self.ref_seq, _U16, "ref_seq")
        _check_uint(self.detail, _U16, "detail")
        if not isinstance(self.code, ErrorCode):
            raise _invalid(f"code must be an ErrorCode, got {self.code!r}")

    @classmethod
    def of(cls, error: ProtocolError, ref_seq: int = NO_SEQ, seq: int = 0) -> ErrorReport:
        """The report a device sends for `error` (INTERNAL when it carries no code)."""
        code = error.code if error.code is not None else ErrorCode.INTERNAL
        return cls(seq=seq, code=code, ref_seq=ref_seq, detail=error.detail & _U16)


HubMessage = (
    Hello
    | TimeSyncPing
    | PatternTable
    | LoadCues
    | Start
    | Pause
    | Resume
    | Abort
    | Clear
    | CueNow
    | ShowText
    | SetConnectionPreference
    | RequestStatus
)
DeviceMessage = Capabilities | TimeSyncPong | CueExecuted | ButtonPress | Status | ErrorReport
Message = HubMessage | DeviceMessage

MESSAGE_CLASSES: Final[tuple[type[Message], ...]] = (
    Hello,
    TimeSyncPing,
    PatternTable,
    LoadCues,
    Start,
    Pause,
    Resume,
    Abort,
    Clear,
    CueNow,
    ShowText,
    SetConnectionPreference,
    RequestStatus,
    Capabilities,
    TimeSyncPong,
    CueExecuted,
    ButtonPress,
    Status,
    ErrorReport,
)


def fit_text(text: str, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """`text` cut to at most `max_bytes` of UTF-8, never inside a character.

    For a device with a small max message size pass `caps.max_message_size - 5`.
    """
    if max_bytes < 0:
        raise ValueError("max_bytes must be >= 0")
    raw = text.encode("utf-8", errors="replace")[: min(max_bytes, MAX_TEXT_BYTES)]
    # Dropping an incomplete trailing sequence leaves whole characters only.
    return raw.decode("utf-8", errors="ignore")
