"""Message decoding and encoding (SPEC.md sections 5 and 6), checked in the SPEC's order.

A decoded message is a `Message`: its type, its seq and its fields. Fixed-size fields are
the integers of `ints`, in wire order (the Capabilities features byte stays one integer);
PatternTable carries `patterns` (pattern id, raw segment bytes), LoadCues `cues` (cue id,
deadline, pattern id, intensity), ShowText `text`. `decode` refuses what the hub's codec
refuses, with the same error code.
"""

import struct

from . import wire
from .errors import ProtocolError

# The body layout of every fixed-size message; the empty string for a bare header.
_FIXED = {
    wire.HELLO: "",
    wire.TIME_SYNC_PING: "<Q",
    wire.START: "",
    wire.PAUSE: "",
    wire.RESUME: "<Q",
    wire.ABORT: "",
    wire.CLEAR: "",
    wire.CUE_NOW: "<HBB",
    wire.SET_CONNECTION_PREFERENCE: "<HHHH",
    wire.REQUEST_STATUS: "",
    wire.CAPABILITIES: "<BHHBBBI",
    wire.TIME_SYNC_PONG: "<QQ",
    wire.CUE_EXECUTED: "<HQB",
    wire.BUTTON_PRESS: "<BQ",
    wire.STATUS: "<BHBH",
    wire.ERROR_REPORT: "<BHH",
}
_HEADER = "<BBH"
_CUE = "<HQBB"
_SEGMENT = "<HHB"
_REPLACE = 0x01
_FEATURES = 0x03  # bit 0 display, bit 1 button


class Message:
    """One message, as decoded or to encode."""

    def __init__(
        self,
        kind: int,
        seq: int,
        ints: tuple[int, ...] = (),
        *,
        text: str = "",
        patterns: list[tuple[int, bytes]] | None = None,
        cues: list[tuple[int, int, int, int]] | None = None,
    ) -> None:
        self.kind = kind
        self.seq = seq
        self.ints = ints
        self.text = text
        self.patterns = patterns if patterns is not None else []
        self.cues = cues if cues is not None else []


def seq_of(data: bytes) -> int:
    """The header's seq, when the header could be read, so an ErrorReport can name it."""
    return data[2] | data[3] << 8 if len(data) >= wire.HEADER_SIZE else wire.NO_SEQ


# ----------------------------------------------------------------------------- decoding


def decode(data: bytes) -> Message:
    """The message in one reassembled frame, or ProtocolError with the SPEC.md code."""
    if len(data) < wire.HEADER_SIZE:
        raise ProtocolError("frame shorter than the header", wire.TRUNCATED)
    version, kind, seq = struct.unpack_from(_HEADER, data, 0)
    if version != wire.PROTOCOL_VERSION:
        raise ProtocolError("unsupported protocol version", wire.UNSUPPORTED_VERSION)
    body = memoryview(data)[wire.HEADER_SIZE :]
    if kind == wire.LOAD_CUES:
        return Message(kind, seq, cues=_decode_cues(body))
    if kind == wire.PATTERN_TABLE:
        replace, patterns = _decode_patterns(body)
        return Message(kind, seq, (replace,), patterns=patterns)
    if kind == wire.SHOW_TEXT:
        return Message(kind, seq, text=_decode_text(body))
    layout = _FIXED.get(kind)
    if layout is None:
        raise ProtocolError("unknown message type", wire.UNKNOWN_TYPE)
    size = struct.calcsize(layout) if layout else 0
    if len(body) < size:
        raise ProtocolError("body shorter than its type's layout", wire.TRUNCATED)
    if len(body) > size:
        raise ProtocolError("bytes after the body", wire.BAD_LENGTH)
    ints = struct.unpack_from(layout, body, 0) if layout else ()
    _check_fields(kind, ints)
    return Message(kind, seq, ints)


def _invalid(message: str) -> ProtocolError:
    return ProtocolError(message, wire.INVALID_FIELD)


def _check_fields(kind: int, ints: tuple[int, ...]) -> None:  # noqa: PLR0912
    if kind == wire.SET_CONNECTION_PREFERENCE:
        low, high, latency, timeout = ints
        if not 6 <= low <= high <= 3200:
            raise _invalid("connection intervals out of range")
        if latency > 499:
            raise _invalid("latency out of range")
        if not 10 <= timeout <= 3200:
            raise _invalid("supervision timeout out of range")
        if timeout * 4 <= (1 + latency) * high:
            raise _invalid("supervision timeout too short for the interval and latency")
    elif kind == wire.CAPABILITIES:
        _version, buffer_size, max_size, motor, levels, features, resolution = ints
        if features & ~_FEATURES:
            raise _invalid("reserved feature bits set")
        if motor not in (wire.ERM, wire.LRA):
            raise _invalid("unknown motor type")
        if not buffer_size or max_size < wire.MIN_MESSAGE_SIZE or not levels or not resolution:
            raise _invalid("capability out of range")
    elif kind == wire.CUE_EXECUTED and ints[2] not in (wire.PLAYED, wire.SKIPPED):
        raise _invalid("unknown cue outcome")
    elif kind == wire.BUTTON_PRESS and ints[0] not in (wire.SHORT, wire.LONG, wire.DOUBLE):
        raise _invalid("unknown button kind")
    elif kind == wire.STATUS:
        if ints[0] > 100 and ints[0] != wire.BATTERY_UNKNOWN:
            raise _invalid("battery percent out of range")
        if ints[2] > wire.PAUSED:
            raise _invalid("unknown device state")
    elif kind == wire.ERROR_REPORT and ints[0] not in wire.ERROR_CODES:
        raise _invalid("unknown error code")


def _decode_cues(body: memoryview) -> list[tuple[int, int, int, int]]:
    if not len(body):
        raise ProtocolError("LoadCues without its cue count", wire.TRUNCATED)
    count = body[0]
    if len(body) - 1 != count * wire.CUE_SIZE:
        raise ProtocolError("cue count disagrees with the bytes present", wire.BAD_LENGTH)
    if not count:
        raise _invalid("a cue batch holds at least one cue")
    return [struct.unpack_from(_CUE, body, 1 + i * wire.CUE_SIZE) for i in range(count)]


def _decode_patterns(body: memoryview) -> tuple[int, list[tuple[int, bytes]]]:
    if len(body) < 2:
        raise ProtocolError("PatternTable without its head", wire.TRUNCATED)
    flags, count = body[0], body[1]
    if flags & ~_REPLACE:
        raise _invalid("reserved PatternTable flags set")
    patterns: list[tuple[int, bytes]] = []
    pos = 2
    end = len(body)
    for _ in range(count):
        if end - pos < 2:
            raise ProtocolError("fewer patterns than announced", wire.BAD_LENGTH)
        pattern_id, n_segments = body[pos], body[pos + 1]
        pos += 2
        size = n_segments * wire.SEGMENT_SIZE
        if end - pos < size:
            raise ProtocolError("fewer segments than announced", wire.BAD_LENGTH)
        segments = bytes(body[pos : pos + size])
        pos += size
        _check_pattern(pattern_id, segments)
        patterns.append((pattern_id, segments))
    if pos != end:
        raise ProtocolError("bytes after the last pattern", wire.BAD_LENGTH)
    ids = [p[0] for p in patterns]
    for i, pattern_id in enumerate(ids):
        if pattern_id in ids[i + 1 :]:
            raise _invalid("a pattern id defined twice")
    return flags & _REPLACE, patterns


def _check_pattern(pattern_id: int, segments: bytes) -> None:
    """The hub's order: every segment first, then the pattern's id and segment count."""
    for pos in range(0, len(segments), wire.SEGMENT_SIZE):
        on_ms, off_ms, _level = struct.unpack_from(_SEGMENT, segments, pos)
        if on_ms + off_ms > wire.MAX_SEGMENT_MS:
            raise ProtocolError("a segment longer than 5000 ms", wire.SEGMENT_TOO_LONG)
        if not on_ms + off_ms:
            raise _invalid("a segment of 0 ms")
    if not pattern_id:
        raise _invalid("pattern id 0 is reserved")
    if not segments:
        raise ProtocolError("a pattern without segments", wire.EMPTY_PATTERN)
    if len(segments) > wire.MAX_SEGMENTS * wire.SEGMENT_SIZE:
        raise _invalid("a pattern of more than 16 segments")


def _decode_text(body: memoryview) -> str:
    if not len(body):
        raise ProtocolError("ShowText without its length", wire.TRUNCATED)
    size = body[0]
    if len(body) - 1 != size:
        raise ProtocolError("text length disagrees with the bytes present", wire.BAD_LENGTH)
    raw = bytes(body[1:])
    if not utf8_valid(raw):
        raise ProtocolError("text is not UTF-8", wire.BAD_TEXT)
    if size > wire.MAX_TEXT_BYTES:
        raise ProtocolError("text longer than 200 bytes", wire.BAD_TEXT)
    return raw.decode("utf-8")


def utf8_valid(raw: bytes) -> bool:  # noqa: PLR0912
    """Strict UTF-8 (RFC 3629): no overlong forms, no encoded surrogates, nothing past
    U+10FFFF. MicroPython's own decoder accepts some of these, so the core checks itself."""
    i = 0
    end = len(raw)
    while i < end:
        lead = raw[i]
        if lead < 0x80:
            i += 1
            continue
        if 0xC2 <= lead <= 0xDF:
            more, low, high = 1, 0x80, 0xBF
        elif lead == 0xE0:
            more, low, high = 2, 0xA0, 0xBF
        elif lead == 0xED:
            more, low, high = 2, 0x80, 0x9F
        elif 0xE1 <= lead <= 0xEF:
            more, low, high = 2, 0x80, 0xBF
        elif lead == 0xF0:
            more, low, high = 3, 0x90, 0xBF
        elif lead == 0xF4:
            more, low, high = 3, 0x80, 0x8F
        elif 0xF1 <= lead <= 0xF3:
            more, low, high = 3, 0x80, 0xBF
        else:
            return False
        if i + more >= end:
            return False  # the sequence is cut short
        if not low <= raw[i + 1] <= high:
            return False
        for k in range(2, more + 1):
            if not 0x80 <= raw[i + k] <= 0xBF:
                return False
        i += more + 1
    return True


# ----------------------------------------------------------------------------- encoding


def encode_fixed(kind: int, seq: int, ints: tuple[int, ...]) -> bytes:
    """A fixed-size message: what the device sends (its replies and reports)."""
    layout = _FIXED[kind]
    head = struct.pack(_HEADER, wire.PROTOCOL_VERSION, kind, seq)
    return head + struct.pack(layout, *ints) if layout else head


def encode(message: Message) -> bytes:
    """The wire bytes of `message` (before fragmentation)."""
    kind = message.kind
    if kind == wire.LOAD_CUES:
        parts = [bytes((len(message.cues),))]
        parts.extend(struct.pack(_CUE, *cue) for cue in message.cues)
        body = b"".join(parts)
    elif kind == wire.PATTERN_TABLE:
        parts = [bytes((message.ints[0] & _REPLACE, len(message.patterns)))]
        for pattern_id, segments in message.patterns:
            parts.append(bytes((pattern_id, len(segments) // wire.SEGMENT_SIZE)))
            parts.append(segments)
        body = b"".join(parts)
    elif kind == wire.SHOW_TEXT:
        raw = message.text.encode("utf-8")
        body = bytes((len(raw),)) + raw
    else:
        return encode_fixed(kind, message.seq, message.ints)
    return struct.pack(_HEADER, wire.PROTOCOL_VERSION, kind, message.seq) + body
