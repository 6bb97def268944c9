"""Binary codecs: `encode(message) -> bytes` and `decode(data) -> Message` (SPEC.md, "Messages").

`decode` is total: for any bytes it returns a valid message or raises ProtocolError with the
SPEC.md error code; nothing else escapes. Every count is checked against the bytes present
before anything is read.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Final, TypeVar

from firmware_protocol.errors import ErrorCode, ProtocolError
from firmware_protocol.messages import (
    HEADER_SIZE,
    PROTOCOL_VERSION,
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
    MessageType,
    MotorType,
    PatternEntry,
    PatternTable,
    Pause,
    RequestStatus,
    Resume,
    Segment,
    SetConnectionPreference,
    ShowText,
    Start,
    Status,
    TimeSyncPing,
    TimeSyncPong,
)

_E = TypeVar("_E")

_HEADER: Final = struct.Struct("<BBH")
_U64: Final = struct.Struct("<Q")
_SEGMENT: Final = struct.Struct("<HHB")
_CUE: Final = struct.Struct("<HQBB")
_CUE_NOW: Final = struct.Struct("<HBB")
_CONN_PREF: Final = struct.Struct("<HHHH")
_CAPS: Final = struct.Struct("<BHHBBBI")
_PONG: Final = struct.Struct("<QQ")
_EXECUTED: Final = struct.Struct("<HQB")
_BUTTON: Final = struct.Struct("<BQ")
_STATUS: Final = struct.Struct("<BHBH")
_ERROR: Final = struct.Struct("<BHH")

SEGMENT_SIZE: Final = _SEGMENT.size  # 5
CUE_ENTRY_SIZE: Final = _CUE.size  # 12
PATTERN_ENTRY_HEADER_SIZE: Final = 2  # pattern id u8, segment count u8
LOAD_CUES_OVERHEAD: Final = HEADER_SIZE + 1  # header and cue count
PATTERN_TABLE_OVERHEAD: Final = HEADER_SIZE + 2  # header, flags and pattern count

_REPLACE_FLAG: Final = 0x01
_DISPLAY_FLAG: Final = 0x01
_BUTTON_FLAG: Final = 0x02

_TYPES: Final = {t.value: t for t in MessageType}
_MOTORS: Final = {m.value: m for m in MotorType}
_STATES: Final = {s.value: s for s in DeviceState}
_BUTTONS: Final = {b.value: b for b in ButtonKind}
_OUTCOMES: Final = {o.value: o for o in CueOutcome}
_CODES: Final = {c.value: c for c in ErrorCode}


# ----------------------------------------------------------------------------- encoding


def _header(message: Message) -> bytes:
    return _HEADER.pack(PROTOCOL_VERSION, message.TYPE, message.seq)


def encode(message: Message) -> bytes:
    """The wire bytes of one message (before fragmentation)."""
    encoder = _ENCODERS.get(type(message))
    if encoder is None:
        raise ProtocolError(f"cannot encode {type(message).__name__}: not a protocol message")
    return _header(message) + encoder(message)


def _encode_empty(_message: Message) -> bytes:
    return b""


def _encode_ping(message: Message) -> bytes:
    assert isinstance(message, TimeSyncPing)
    return _U64.pack(message.hub_timestamp_us)


def _encode_pattern_table(message: Message) -> bytes:
    assert isinstance(message, PatternTable)
    parts = [bytes((_REPLACE_FLAG if message.replace else 0, len(message.patterns)))]
    for pattern in message.patterns:
        parts.append(bytes((pattern.pattern_id, len(pattern.segments))))
        parts.extend(_SEGMENT.pack(s.on_ms, s.off_ms, s.intensity) for s in pattern.segments)
    return b"".join(parts)


def _encode_load_cues(message: Message) -> bytes:
    assert isinstance(message, LoadCues)
    return bytes((len(message.cues),)) + b"".join(
        _CUE.pack(c.cue_id, c.deadline_us, c.pattern_id, c.intensity) for c in message.cues
    )


def _encode_resume(message: Message) -> bytes:
    assert isinstance(message, Resume)
    return _U64.pack(message.shift_us)


def _encode_cue_now(message: Message) -> bytes:
    assert isinstance(message, CueNow)
    return _CUE_NOW.pack(message.cue_id, message.pattern_id, message.intensity)


def _encode_show_text(message: Message) -> bytes:
    assert isinstance(message, ShowText)
    raw = message.text.encode("utf-8")
    return bytes((len(raw),)) + raw


def _encode_conn_pref(message: Message) -> bytes:
    assert isinstance(message, SetConnectionPreference)
    return _CONN_PREF.pack(
        message.min_interval, message.max_interval, message.latency, message.timeout
    )


def _encode_caps(message: Message) -> bytes:
    assert isinstance(message, Capabilities)
    features = (_DISPLAY_FLAG if message.has_display else 0) | (
        _BUTTON_FLAG if message.has_button else 0
    )
    return _CAPS.pack(
        message.protocol_version,
        message.cue_buffer_size,
        message.max_message_size,
        message.motor,
        message.intensity_levels,
        features,
        message.clock_resolution_us,
    )


def _encode_pong(message: Message) -> bytes:
    assert isinstance(message, TimeSyncPong)
    return _PONG.pack(message.hub_timestamp_us, message.device_time_us)


def _encode_executed(message: Message) -> bytes:
    assert isinstance(message, CueExecuted)
    return _EXECUTED.pack(message.cue_id, message.device_time_us, message.outcome)


def _encode_button(message: Message) -> bytes:
    assert isinstance(message, ButtonPress)
    return _BUTTON.pack(message.kind, message.device_time_us)


def _encode_status(message: Message) -> bytes:
    assert isinstance(message, Status)
    return _STATUS.pack(
        message.battery_percent, message.free_cue_slots, message.state, message.ack_seq
    )


def _encode_error(message: Message) -> bytes:
    assert isinstance(message, ErrorReport)
    return _ERROR.pack(message.code, message.ref_seq, message.detail)


_ENCODERS: Final[dict[type[Message], Callable[[Message], bytes]]] = {
    Hello: _encode_empty,
    TimeSyncPing: _encode_ping,
    PatternTable: _encode_pattern_table,
    LoadCues: _encode_load_cues,
    Start: _encode_empty,
    Pause: _encode_empty,
    Resume: _encode_resume,
    Abort: _encode_empty,
    Clear: _encode_empty,
    CueNow: _encode_cue_now,
    ShowText: _encode_show_text,
    SetConnectionPreference: _encode_conn_pref,
    RequestStatus: _encode_empty,
    Capabilities: _encode_caps,
    TimeSyncPong: _encode_pong,
    CueExecuted: _encode_executed,
    ButtonPress: _encode_button,
    Status: _encode_status,
    ErrorReport: _encode_error,
}


# ----------------------------------------------------------------------------- decoding


def _fixed(body: bytes, size: int, name: str) -> None:
    if len(body) < size:
        raise ProtocolError(
            f"{name} body is {len(body)} bytes; it needs {size}", ErrorCode.TRUNCATED
        )
    if len(body) > size:
        raise ProtocolError(
            f"{name} body is {len(body)} bytes; it must be exactly {size}", ErrorCode.BAD_LENGTH
        )


def _enum(table: dict[int, _E], value: int, name: str) -> _E:
    found = table.get(value)
    if found is None:
        raise ProtocolError(f"unknown {name} {value}", ErrorCode.INVALID_FIELD)
    return found


def _decode_pattern_table(seq: int, body: bytes) -> PatternTable:
    if len(body) < 2:
        raise ProtocolError(
            "PatternTable body is shorter than its 2-byte head", ErrorCode.TRUNCATED
        )
    flags, count = body[0], body[1]
    if flags & ~_REPLACE_FLAG:
        raise ProtocolError(
            f"PatternTable flags 0x{flags:02x} use reserved bits", ErrorCode.INVALID_FIELD
        )
    patterns: list[PatternEntry] = []
    pos = 2
    end = len(body)
    for index in range(count):
        if end - pos < PATTERN_ENTRY_HEADER_SIZE:
            raise ProtocolError(
                f"PatternTable announces {count} patterns but the frame ends in pattern {index}",
                ErrorCode.BAD_LENGTH,
            )
        pattern_id, n_segments = body[pos], body[pos + 1]
        pos += PATTERN_ENTRY_HEADER_SIZE
        needed = n_segments * SEGMENT_SIZE
        if end - pos < needed:
            raise ProtocolError(
                f"pattern {pattern_id} announces {n_segments} segments ({needed} bytes) "
                f"but only {end - pos} bytes remain",
                ErrorCode.BAD_LENGTH,
            )
        segments = tuple(
            Segment(on_ms=on, off_ms=off, intensity=level)
            for on, off, level in _SEGMENT.iter_unpack(body[pos : pos + needed])
        )
        pos += needed
        patterns.append(PatternEntry(pattern_id=pattern_id, segments=segments))
    if pos != end:
        raise ProtocolError(
            f"PatternTable has {end - pos} bytes after its last pattern", ErrorCode.BAD_LENGTH
        )
    return PatternTable(seq=seq, replace=bool(flags & _REPLACE_FLAG), patterns=tuple(patterns))


def _decode_load_cues(seq: int, body: bytes) -> LoadCues:
    if not body:
        raise ProtocolError("LoadCues body has no cue count", ErrorCode.TRUNCATED)
    count = body[0]
    if len(body) - 1 != count * CUE_ENTRY_SIZE:
        raise ProtocolError(
            f"LoadCues announces {count} cues ({count * CUE_ENTRY_SIZE} bytes) "
            f"but carries {len(body) - 1} bytes",
            ErrorCode.BAD_LENGTH,
        )
    cues = tuple(
        CueEntry(cue_id=cid, deadline_us=deadline, pattern_id=pid, intensity=level)
        for cid, deadline, pid, level in _CUE.iter_unpack(body[1:])
    )
    return LoadCues(seq=seq, cues=cues)


def _decode_show_text(seq: int, body: bytes) -> ShowText:
    if not body:
        raise ProtocolError("ShowText body has no length byte", ErrorCode.TRUNCATED)
    size = body[0]
    if len(body) - 1 != size:
        raise ProtocolError(
            f"ShowText announces {size} bytes of text but carries {len(body) - 1}",
            ErrorCode.BAD_LENGTH,
        )
    try:
        text = body[1:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(
            f"ShowText text is not UTF-8: {exc.reason}", ErrorCode.BAD_TEXT
        ) from None
    return ShowText(seq=seq, text=text)


def _decode_caps(seq: int, body: bytes) -> Capabilities:
    _fixed(body, _CAPS.size, "Capabilities")
    version, buffer_size, max_size, motor, levels, features, resolution = _CAPS.unpack(body)
    if features & ~(_DISPLAY_FLAG | _BUTTON_FLAG):
        raise ProtocolError(
            f"Capabilities features 0x{features:02x} use reserved bits", ErrorCode.INVALID_FIELD
        )
    return Capabilities(
        seq=seq,
        protocol_version=version,
        cue_buffer_size=buffer_size,
        max_message_size=max_size,
        motor=_enum(_MOTORS, motor, "motor type"),
        intensity_levels=levels,
        has_display=bool(features & _DISPLAY_FLAG),
        has_button=bool(features & _BUTTON_FLAG),
        clock_resolution_us=resolution,
    )


def _decode_body(kind: MessageType, seq: int, body: bytes) -> Message:  # noqa: PLR0911, PLR0912
    # A chain of comparisons on an IntEnum is faster here than a dict of lambdas.
    if kind is MessageType.LOAD_CUES:
        return _decode_load_cues(seq, body)
    if kind is MessageType.TIME_SYNC_PING:
        _fixed(body, 8, "TimeSyncPing")
        return TimeSyncPing(seq=seq, hub_timestamp_us=_U64.unpack(body)[0])
    if kind is MessageType.TIME_SYNC_PONG:
        _fixed(body, _PONG.size, "TimeSyncPong")
        hub_ts, device_ts = _PONG.unpack(body)
        return TimeSyncPong(seq=seq, hub_timestamp_us=hub_ts, device_time_us=device_ts)
    if kind is MessageType.CUE_EXECUTED:
        _fixed(body, _EXECUTED.size, "CueExecuted")
        cue_id, device_ts, outcome = _EXECUTED.unpack(body)
        return CueExecuted(
            seq=seq,
            cue_id=cue_id,
            device_time_us=device_ts,
            outcome=_enum(_OUTCOMES, outcome, "cue outcome"),
        )
    if kind is MessageType.STATUS:
        _fixed(body, _STATUS.size, "Status")
        battery, free, state, ack = _STATUS.unpack(body)
        return Status(
            seq=seq,
            battery_percent=battery,
            free_cue_slots=free,
            state=_enum(_STATES, state, "device state"),
            ack_seq=ack,
        )
    if kind is MessageType.PATTERN_TABLE:
        return _decode_pattern_table(seq, body)
    if kind is MessageType.CUE_NOW:
        _fixed(body, _CUE_NOW.size, "CueNow")
        cue_id, pattern_id, intensity = _CUE_NOW.unpack(body)
        return CueNow(seq=seq, cue_id=cue_id, pattern_id=pattern_id, intensity=intensity)
    if kind is MessageType.RESUME:
        _fixed(body, 8, "Resume")
        return Resume(seq=seq, shift_us=_U64.unpack(body)[0])
    if kind is MessageType.SHOW_TEXT:
        return _decode_show_text(seq, body)
    if kind is MessageType.SET_CONNECTION_PREFERENCE:
        _fixed(body, _CONN_PREF.size, "SetConnectionPreference")
        lo, hi, latency, timeout = _CONN_PREF.unpack(body)
        return SetConnectionPreference(
            seq=seq, min_interval=lo, max_interval=hi, latency=latency, timeout=timeout
        )
    if kind is MessageType.CAPABILITIES:
        return _decode_caps(seq, body)
    if kind is MessageType.BUTTON_PRESS:
        _fixed(body, _BUTTON.size, "ButtonPress")
        button, device_ts = _BUTTON.unpack(body)
        return ButtonPress(
            seq=seq, kind=_enum(_BUTTONS, button, "button kind"), device_time_us=device_ts
        )
    if kind is MessageType.ERROR_REPORT:
        _fixed(body, _ERROR.size, "ErrorReport")
        code, ref_seq, detail = _ERROR.unpack(body)
        return ErrorReport(
            seq=seq, code=_enum(_CODES, code, "error code"), ref_seq=ref_seq, detail=detail
        )
    empty = _EMPTY.get(kind)
    assert empty is not None, kind  # every MessageType is handled above or here
    _fixed(body, 0, empty.__name__)
    return empty(seq=seq)


_EMPTY: Final[dict[MessageType, type[Hello | Start | Pause | Abort | Clear | RequestStatus]]] = {
    MessageType.HELLO: Hello,
    MessageType.START: Start,
    MessageType.PAUSE: Pause,
    MessageType.ABORT: Abort,
    MessageType.CLEAR: Clear,
    MessageType.REQUEST_STATUS: RequestStatus,
}


def decode(data: bytes) -> Message:
    """The message in `data` (one whole, reassembled frame), or ProtocolError saying why not."""
    if len(data) < HEADER_SIZE:
        raise ProtocolError(
            f"a frame needs at least {HEADER_SIZE} header bytes, got {len(data)}",
            ErrorCode.TRUNCATED,
        )
    version, type_byte, seq = _HEADER.unpack_from(data)
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            f"protocol version {version} is not supported (this side speaks {PROTOCOL_VERSION})",
            ErrorCode.UNSUPPORTED_VERSION,
        )
    kind = _TYPES.get(type_byte)
    if kind is None:
        raise ProtocolError(f"unknown message type 0x{type_byte:02x}", ErrorCode.UNKNOWN_TYPE)
    return _decode_body(kind, seq, bytes(data[HEADER_SIZE:]))
