"""The core's messages to and from the JSON fields vectors.json records (CPython and MicroPython).

Runs in both, so it sticks to what MicroPython has: no dataclasses, no typing at run time.
"""

from firmware_protocol.micropython.core import codec, wire

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Each type's name in vectors.json, and its fixed-size fields in wire order.
NAMES = {
    wire.HELLO: ("Hello", ()),
    wire.TIME_SYNC_PING: ("TimeSyncPing", ("hub_timestamp_us",)),
    wire.PATTERN_TABLE: ("PatternTable", ()),
    wire.LOAD_CUES: ("LoadCues", ()),
    wire.START: ("Start", ()),
    wire.PAUSE: ("Pause", ()),
    wire.RESUME: ("Resume", ("shift_us",)),
    wire.ABORT: ("Abort", ()),
    wire.CLEAR: ("Clear", ()),
    wire.CUE_NOW: ("CueNow", ("cue_id", "pattern_id", "intensity")),
    wire.SHOW_TEXT: ("ShowText", ()),
    wire.SET_CONNECTION_PREFERENCE: (
        "SetConnectionPreference",
        ("min_interval", "max_interval", "latency", "timeout"),
    ),
    wire.REQUEST_STATUS: ("RequestStatus", ()),
    wire.CAPABILITIES: (
        "Capabilities",
        (
            "protocol_version",
            "cue_buffer_size",
            "max_message_size",
            "motor",
            "intensity_levels",
            "features",
            "clock_resolution_us",
        ),
    ),
    wire.TIME_SYNC_PONG: ("TimeSyncPong", ("hub_timestamp_us", "device_time_us")),
    wire.CUE_EXECUTED: ("CueExecuted", ("cue_id", "device_time_us", "outcome")),
    wire.BUTTON_PRESS: ("ButtonPress", ("kind", "device_time_us")),
    wire.STATUS: ("Status", ("battery_percent", "free_cue_slots", "state", "ack_seq")),
    wire.ERROR_REPORT: ("ErrorReport", ("code", "ref_seq", "detail")),
}
_SEGMENT = ("on_ms", "off_ms", "intensity")
_CUE = ("cue_id", "deadline_us", "pattern_id", "intensity")


def type_name(message: codec.Message) -> str:
    return NAMES[message.kind][0]


def fields(message: codec.Message) -> "dict[str, Any]":
    """The message's fields as vectors.json writes them."""
    kind = message.kind
    out: dict[str, Any] = dict(zip(NAMES[kind][1], message.ints))
    out["seq"] = message.seq
    if kind == wire.CAPABILITIES:
        features = out.pop("features")
        out["has_display"] = bool(features & 1)
        out["has_button"] = bool(features & 2)
    elif kind == wire.PATTERN_TABLE:
        out["replace"] = bool(message.ints[0])
        out["patterns"] = [
            {"pattern_id": pattern_id, "segments": _segments(raw)}
            for pattern_id, raw in message.patterns
        ]
    elif kind == wire.LOAD_CUES:
        out["cues"] = [dict(zip(_CUE, cue)) for cue in message.cues]
    elif kind == wire.SHOW_TEXT:
        out["text"] = message.text
    return out


def _segments(raw: bytes) -> "list[dict[str, int]]":
    found = []
    for pos in range(0, len(raw), wire.SEGMENT_SIZE):
        values = (raw[pos] | raw[pos + 1] << 8, raw[pos + 2] | raw[pos + 3] << 8, raw[pos + 4])
        found.append(dict(zip(_SEGMENT, values)))
    return found


def message(name: str, values: "dict[str, Any]") -> codec.Message:
    """The message a vector's type name and fields describe."""
    kind = 0
    for candidate, (type_name_, _) in NAMES.items():
        if type_name_ == name:
            kind = candidate
    given = dict(values)
    if kind == wire.CAPABILITIES:
        given["features"] = (1 if given["has_display"] else 0) | (2 if given["has_button"] else 0)
    ints = tuple(int(given[field]) for field in NAMES[kind][1])
    seq = int(given["seq"])
    if kind == wire.PATTERN_TABLE:
        patterns = [
            (int(p["pattern_id"]), b"".join(_segment_bytes(s) for s in p["segments"]))
            for p in given["patterns"]
        ]
        return codec.Message(kind, seq, (1 if given["replace"] else 0,), patterns=patterns)
    if kind == wire.LOAD_CUES:
        cues = [
            (int(c["cue_id"]), int(c["deadline_us"]), int(c["pattern_id"]), int(c["intensity"]))
            for c in given["cues"]
        ]
        return codec.Message(kind, seq, cues=cues)
    if kind == wire.SHOW_TEXT:
        return codec.Message(kind, seq, text=str(given["text"]))
    return codec.Message(kind, seq, ints)


def _segment_bytes(segment: "dict[str, int]") -> bytes:
    on_ms, off_ms = segment["on_ms"], segment["off_ms"]
    return bytes((on_ms & 0xFF, on_ms >> 8, off_ms & 0xFF, off_ms >> 8, segment["intensity"]))
