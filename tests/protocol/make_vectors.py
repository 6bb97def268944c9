"""Writes firmware_protocol/vectors.json: `python -m tests.protocol.make_vectors`.

Run it only when the protocol changes on purpose. The tests never regenerate the file: they
check that the code still agrees with every vector in it, so the file firmware is written
against cannot drift from the hub. Expected errors are stated here by hand, not taken from
the decoder.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any

from firmware_protocol import (
    PATTERNS,
    Abort,
    ButtonKind,
    ButtonPress,
    Capabilities,
    Clear,
    CueBuffer,
    CueEntry,
    CueExecuted,
    CueNow,
    CueOutcome,
    DeviceState,
    ErrorCode,
    ErrorReport,
    Hello,
    LoadCues,
    Message,
    MotorType,
    PatternEntry,
    PatternTable,
    Pause,
    ProtocolError,
    Reassembler,
    RequestStatus,
    Resume,
    Segment,
    SetConnectionPreference,
    ShowText,
    Start,
    Status,
    TimeSyncPing,
    TimeSyncPong,
    decode,
    encode,
    fragment,
    pattern_table_messages,
    transition,
)
from firmware_protocol.messages import HubMessage
from tests.protocol.vector_fields import fields_of
from tests.protocol.vectors import VECTORS_PATH

ERM_CAPS = Capabilities(
    seq=1,
    cue_buffer_size=16,
    max_message_size=64,
    motor=MotorType.ERM,
    intensity_levels=2,
    has_display=False,
    has_button=True,
    clock_resolution_us=31,
)
LRA_CAPS = Capabilities(
    seq=1,
    cue_buffer_size=64,
    max_message_size=512,
    motor=MotorType.LRA,
    intensity_levels=255,
    has_display=True,
    has_button=True,
    clock_resolution_us=1,
)


def raised(action: Callable[[], object]) -> ProtocolError | None:
    """The ProtocolError `action` raises, None if it returns."""
    try:
        action()
    except ProtocolError as exc:
        return exc
    return None


def valid_messages() -> list[tuple[str, Message]]:
    inhale = PATTERNS["inhale"]
    return [
        ("hello", Hello(seq=1)),
        ("time sync ping", TimeSyncPing(seq=2, hub_timestamp_us=123_456_789_012)),
        (
            "pattern table: inhale and hold, replacing",
            PatternTable(
                seq=3,
                replace=True,
                patterns=(inhale.entry(), PATTERNS["hold"].entry()),
            ),
        ),
        (
            "pattern table: one added pattern",
            PatternTable(
                seq=4,
                replace=False,
                patterns=(
                    PatternEntry(
                        pattern_id=200, segments=(Segment(on_ms=5000, off_ms=0, intensity=1),)
                    ),
                ),
            ),
        ),
        (
            "load cues: two",
            LoadCues(
                seq=0x1234,
                cues=(
                    CueEntry(cue_id=1, deadline_us=5_000_000, pattern_id=3, intensity=255),
                    CueEntry(cue_id=2, deadline_us=9_000_000_000, pattern_id=4, intensity=128),
                ),
            ),
        ),
        ("start", Start(seq=6)),
        ("pause", Pause(seq=7)),
        ("resume after 4.5 s", Resume(seq=8, shift_us=4_500_000)),
        ("abort", Abort(seq=9)),
        ("clear", Clear(seq=10)),
        ("cue now", CueNow(seq=11, cue_id=65535, pattern_id=9, intensity=200)),
        ("show text, two-byte characters", ShowText(seq=12, text="Sphinx · 10 s")),
        ("show text, empty clears the display", ShowText(seq=13, text="")),
        ("connection preference for a session", SetConnectionPreference.session(seq=14)),
        ("request status", RequestStatus(seq=15)),
        ("capabilities of a small ERM device", ERM_CAPS),
        ("capabilities of an LRA watch", LRA_CAPS),
        (
            "time sync pong",
            TimeSyncPong(seq=2, hub_timestamp_us=123_456_789_012, device_time_us=42_000_123),
        ),
        ("cue executed", CueExecuted(seq=3, cue_id=1, device_time_us=5_000_310)),
        (
            "cue skipped as too late",
            CueExecuted(seq=4, cue_id=2, device_time_us=9_000_250_000, outcome=CueOutcome.SKIPPED),
        ),
        ("button, double press", ButtonPress(seq=5, kind=ButtonKind.DOUBLE, device_time_us=77)),
        (
            "status answering seq 0x1234",
            Status(
                seq=6,
                battery_percent=87,
                free_cue_slots=14,
                state=DeviceState.LOADED,
                ack_seq=0x1234,
            ),
        ),
        (
            "status, unsolicited, battery unknown",
            Status(seq=7, battery_percent=255, free_cue_slots=0, state=DeviceState.IDLE),
        ),
        (
            "error: cue id reused",
            ErrorReport(seq=8, code=ErrorCode.CUE_ID_REUSED, ref_seq=0x1234, detail=2),
        ),
    ]


def _frame(version: int, type_byte: int, seq: int, body: bytes = b"") -> str:
    return (struct.pack("<BBH", version, type_byte, seq) + body).hex()


def invalid_frames() -> list[dict[str, Any]]:
    cue = struct.pack("<HQBB", 1, 5_000_000, 3, 255)
    seg = struct.pack("<HHB", 55, 250, 150)
    cases: list[tuple[str, str, ErrorCode]] = [
        ("empty frame", "", ErrorCode.TRUNCATED),
        ("three bytes, shorter than the header", "010100", ErrorCode.TRUNCATED),
        ("version 2", _frame(2, 0x01, 1), ErrorCode.UNSUPPORTED_VERSION),
        ("version 0", _frame(0, 0x01, 1), ErrorCode.UNSUPPORTED_VERSION),
        ("unknown type 0x7f", _frame(1, 0x7F, 1), ErrorCode.UNKNOWN_TYPE),
        ("unknown type 0x00", _frame(1, 0x00, 1), ErrorCode.UNKNOWN_TYPE),
        ("ping cut short", _frame(1, 0x02, 1, bytes(7)), ErrorCode.TRUNCATED),
        ("hello with a trailing byte", _frame(1, 0x01, 1, b"\x00"), ErrorCode.BAD_LENGTH),
        ("pong with a trailing byte", _frame(1, 0x82, 1, bytes(17)), ErrorCode.BAD_LENGTH),
        ("load cues without a count", _frame(1, 0x04, 1), ErrorCode.TRUNCATED),
        (
            "load cues announcing 2 cues, carrying 1",
            _frame(1, 0x04, 1, b"\x02" + cue),
            ErrorCode.BAD_LENGTH,
        ),
        (
            "load cues announcing 1 cue, carrying 1 and a half",
            _frame(1, 0x04, 1, b"\x01" + cue + cue[:6]),
            ErrorCode.BAD_LENGTH,
        ),
        ("load cues with zero cues", _frame(1, 0x04, 1, b"\x00"), ErrorCode.INVALID_FIELD),
        (
            "show text announcing 10 bytes, carrying 3",
            _frame(1, 0x0B, 1, b"\x0aabc"),
            ErrorCode.BAD_LENGTH,
        ),
        ("show text that is not UTF-8", _frame(1, 0x0B, 1, b"\x02\xc3\x28"), ErrorCode.BAD_TEXT),
        (
            "show text with an encoded surrogate",
            _frame(1, 0x0B, 1, b"\x03\xed\xa0\x80"),
            ErrorCode.BAD_TEXT,
        ),
        (
            "show text of 201 bytes",
            _frame(1, 0x0B, 1, b"\xc9" + b"a" * 201),
            ErrorCode.BAD_TEXT,
        ),
        ("pattern table without its head", _frame(1, 0x03, 1, b"\x01"), ErrorCode.TRUNCATED),
        (
            "pattern with zero segments",
            _frame(1, 0x03, 1, b"\x01\x01\x03\x00"),
            ErrorCode.EMPTY_PATTERN,
        ),
        (
            "segment of 4000 + 1001 ms",
            _frame(1, 0x03, 1, b"\x01\x01\x03\x01" + struct.pack("<HHB", 4000, 1001, 255)),
            ErrorCode.SEGMENT_TOO_LONG,
        ),
        (
            "pattern announcing 3 segments, carrying 1",
            _frame(1, 0x03, 1, b"\x01\x01\x03\x03" + seg),
            ErrorCode.BAD_LENGTH,
        ),
        (
            "pattern table announcing 2 patterns, carrying 1",
            _frame(1, 0x03, 1, b"\x01\x02\x03\x01" + seg),
            ErrorCode.BAD_LENGTH,
        ),
        (
            "pattern table with bytes after its last pattern",
            _frame(1, 0x03, 1, b"\x01\x01\x03\x01" + seg + b"\x00"),
            ErrorCode.BAD_LENGTH,
        ),
        (
            "pattern table with a reserved flag",
            _frame(1, 0x03, 1, b"\x02\x01\x03\x01" + seg),
            ErrorCode.INVALID_FIELD,
        ),
        (
            "pattern id 0",
            _frame(1, 0x03, 1, b"\x01\x01\x00\x01" + seg),
            ErrorCode.INVALID_FIELD,
        ),
        (
            "pattern table defining pattern 3 twice",
            _frame(1, 0x03, 1, b"\x01\x02\x03\x01" + seg + b"\x03\x01" + seg),
            ErrorCode.INVALID_FIELD,
        ),
        (
            "segment of 0 ms",
            _frame(1, 0x03, 1, b"\x01\x01\x03\x01" + struct.pack("<HHB", 0, 0, 255)),
            ErrorCode.INVALID_FIELD,
        ),
        (
            "capabilities with motor type 7",
            _frame(1, 0x81, 1, struct.pack("<BHHBBBI", 1, 16, 64, 7, 2, 0, 31)),
            ErrorCode.INVALID_FIELD,
        ),
        (
            "capabilities with a 16-byte max message size",
            _frame(1, 0x81, 1, struct.pack("<BHHBBBI", 1, 16, 16, 0, 2, 0, 31)),
            ErrorCode.INVALID_FIELD,
        ),
        (
            "capabilities with reserved feature bits",
            _frame(1, 0x81, 1, struct.pack("<BHHBBBI", 1, 16, 64, 0, 2, 0x80, 31)),
            ErrorCode.INVALID_FIELD,
        ),
        (
            "status with battery 150 %",
            _frame(1, 0x85, 1, struct.pack("<BHBH", 150, 4, 0, 0xFFFF)),
            ErrorCode.INVALID_FIELD,
        ),
        (
            "status with state 9",
            _frame(1, 0x85, 1, struct.pack("<BHBH", 50, 4, 9, 0xFFFF)),
            ErrorCode.INVALID_FIELD,
        ),
        (
            "error report with unknown code 0x99",
            _frame(1, 0x86, 1, struct.pack("<BHH", 0x99, 1, 0)),
            ErrorCode.INVALID_FIELD,
        ),
        (
            "cue executed with outcome 5",
            _frame(1, 0x83, 1, struct.pack("<HQB", 1, 5, 5)),
            ErrorCode.INVALID_FIELD,
        ),
        (
            "button press kind 0",
            _frame(1, 0x84, 1, struct.pack("<BQ", 0, 5)),
            ErrorCode.INVALID_FIELD,
        ),
        (
            "connection preference with min interval above max",
            _frame(1, 0x0C, 1, struct.pack("<HHHH", 40, 24, 0, 400)),
            ErrorCode.INVALID_FIELD,
        ),
    ]
    result = []
    for name, hex_frame, code in cases:
        error = raised(lambda: decode(bytes.fromhex(hex_frame)))  # noqa: B023
        assert error is not None, f"{name}: decoded"
        assert error.code is code, (name, error.code, code)
        result.append({"name": name, "hex": hex_frame, "error": code.name, "code": int(code)})
    return result


def device_checks() -> list[dict[str, Any]]:
    """Batches a device must refuse although they decode: its cue-buffer rules."""
    now = 10_000_000
    known = [p.pattern_id for p in PATTERNS.values()]

    def batch(seq: int, *cues: tuple[int, int, int]) -> str:
        entries = tuple(CueEntry(cue_id=c, deadline_us=d, pattern_id=p) for c, d, p in cues)
        return encode(LoadCues(seq=seq, cues=entries)).hex()

    cases = [
        (
            "deadline in the past",
            4,
            [],
            batch(2, (1, now + 500_000, 3), (2, now - 1, 4)),
            ErrorCode.DEADLINE_PASSED,
            2,
        ),
        (
            "cue id reused from an earlier batch",
            4,
            [batch(1, (1, now + 500_000, 3), (2, now + 900_000, 4))],
            batch(2, (2, now + 1_500_000, 3)),
            ErrorCode.CUE_ID_REUSED,
            2,
        ),
        (
            "cue ids not increasing within a batch",
            4,
            [],
            batch(2, (5, now + 500_000, 3), (4, now + 900_000, 4)),
            ErrorCode.CUE_ID_REUSED,
            4,
        ),
        (
            "batch over the free slots",
            2,
            [batch(1, (1, now + 500_000, 3))],
            batch(2, (2, now + 600_000, 3), (3, now + 700_000, 4)),
            ErrorCode.BUFFER_FULL,
            2,
        ),
        (
            "pattern not in the table",
            4,
            [],
            batch(2, (1, now + 500_000, 42)),
            ErrorCode.UNKNOWN_PATTERN,
            1,
        ),
    ]
    result = []
    for name, capacity, accepted, frame, code, detail in cases:
        buffer = CueBuffer(capacity)
        for earlier in accepted:
            message = decode(bytes.fromhex(earlier))
            assert isinstance(message, LoadCues)
            buffer.load(message.cues, now, known)
        message = decode(bytes.fromhex(frame))
        assert isinstance(message, LoadCues)
        cues = message.cues
        error = raised(lambda: buffer.load(cues, now, known))  # noqa: B023
        assert error is not None, f"{name}: accepted"
        assert (error.code, error.detail) == (code, detail), (name, error.code, error.detail)
        result.append(
            {
                "name": name,
                "capacity": capacity,
                "now_us": now,
                "known_patterns": known,
                "accepted_frames": accepted,
                "hex": frame,
                "error": code.name,
                "code": int(code),
                "detail": detail,
                "error_report": encode(
                    ErrorReport(seq=0, code=code, ref_seq=2, detail=detail)
                ).hex(),
            }
        )
    return result


def fragment_vectors() -> list[dict[str, Any]]:
    cases: list[tuple[str, Message, int, int]] = [
        ("hello in one fragment", Hello(seq=1), 20, 0),
        ("pattern table at the default MTU", valid_messages()[2][1], 20, 7),
        ("show text at the default MTU", ShowText(seq=5, text="Cat-cow, 4 rounds"), 20, 255),
        (
            "16 cues in one 244-byte payload",
            LoadCues(
                seq=9,
                cues=tuple(
                    CueEntry(cue_id=i, deadline_us=1_000_000 * i, pattern_id=3 + i % 2)
                    for i in range(1, 17)
                ),
            ),
            244,
            42,
        ),
    ]
    result = []
    for name, message, att_payload, transfer_id in cases:
        raw = encode(message)
        result.append(
            {
                "name": name,
                "att_payload": att_payload,
                "transfer_id": transfer_id,
                "message": raw.hex(),
                "fragments": [f.hex() for f in fragment(raw, att_payload, transfer_id)],
            }
        )
    return result


def reassembly_errors() -> list[dict[str, Any]]:
    """Fragment sequences a receiver must refuse; the error comes on the last fragment."""
    cases: list[tuple[str, list[str], list[float], ErrorCode]] = [
        ("fragment shorter than 3 bytes", ["0080"], [0.0], ErrorCode.BAD_FRAGMENT),
        ("fragment 1 without fragment 0", ["0101aa"], [0.0], ErrorCode.FRAGMENT_OUT_OF_ORDER),
        (
            "fragment 2 after fragment 0",
            ["0100aa", "0102bb"],
            [0.0, 0.01],
            ErrorCode.FRAGMENT_OUT_OF_ORDER,
        ),
        (
            "fragment 1 twice",
            ["0100aa", "0101bb", "0101bb"],
            [0.0, 0.01, 0.02],
            ErrorCode.FRAGMENT_DUPLICATE,
        ),
        ("fragment 0 twice", ["0100aa", "0100aa"], [0.0, 0.01], ErrorCode.FRAGMENT_DUPLICATE),
        (
            "a whole one-fragment message twice",
            ["0380aa", "0380aa"],
            [0.0, 0.01],
            ErrorCode.FRAGMENT_DUPLICATE,
        ),
        (
            "fragment of another transfer in the middle",
            ["0100aa", "0201bb"],
            [0.0, 0.01],
            ErrorCode.FRAGMENT_OUT_OF_ORDER,
        ),
        (
            "fragment 1 after 2.5 s",
            ["0100aa", "0181bb"],
            [0.0, 2.5],
            ErrorCode.FRAGMENT_TIMEOUT,
        ),
        (
            "65th fragment",
            [f"01{i:02x}aa" for i in range(64)] + ["01c0aa"],
            [0.0] * 65,
            ErrorCode.TOO_MANY_FRAGMENTS,
        ),
        (
            "message growing past 512 bytes",
            ["0100" + "aa" * 300, "0181" + "bb" * 213],
            [0.0, 0.01],
            ErrorCode.MESSAGE_TOO_LARGE,
        ),
    ]
    result = []
    for name, fragments, times, code in cases:
        reassembler = Reassembler()
        for index, (piece, now) in enumerate(zip(fragments, times, strict=True)):
            last = index == len(fragments) - 1
            error = raised(lambda: reassembler.feed(bytes.fromhex(piece), now))  # noqa: B023
            assert (error is not None) == last, (name, index, error)
            assert error is None or error.code is code, (name, error.code)
        result.append(
            {
                "name": name,
                "fragments": fragments,
                "times_s": times,
                "error": code.name,
                "code": int(code),
            }
        )
    return result


def transitions() -> list[dict[str, str]]:
    samples: list[HubMessage] = [
        Hello(),
        LoadCues(cues=(CueEntry(cue_id=1, deadline_us=1, pattern_id=3),)),
        Start(),
        Pause(),
        Resume(),
        Abort(),
        Clear(),
        CueNow(cue_id=1, pattern_id=3),
    ]
    rows = []
    for state in DeviceState:
        for message in samples:
            error = raised(lambda: transition(state, message))  # noqa: B023
            if error is None:
                outcome = transition(state, message).name
            else:
                assert error.code is not None
                outcome = error.code.name
            rows.append({"state": state.name, "message": type(message).__name__, "then": outcome})
    return rows


def build() -> dict[str, Any]:
    return {
        "about": (
            "Test vectors for the backstretch wearable protocol; see SPEC.md. Frames are hex. "
            "Generated by tests/protocol/make_vectors.py; tests check the code against them."
        ),
        "protocol_version": 1,
        "valid": [
            {
                "name": name,
                "type": type(message).__name__,
                "hex": encode(message).hex(),
                "fields": fields_of(message),
            }
            for name, message in valid_messages()
        ],
        "invalid": invalid_frames(),
        "device_checks": device_checks(),
        "fragments": fragment_vectors(),
        "reassembly_errors": reassembly_errors(),
        "transitions": transitions(),
        "patterns": {
            name: {
                "pattern_id": p.pattern_id,
                "segments": [[s.on_ms, s.off_ms, s.intensity] for s in p.segments],
            }
            for name, p in PATTERNS.items()
        },
        "pattern_tables": [
            {
                "capabilities": encode(caps).hex(),
                "messages": [encode(m).hex() for m in pattern_table_messages(caps, first_seq=20)],
            }
            for caps in (ERM_CAPS, LRA_CAPS)
        ],
    }


def main() -> None:
    text = json.dumps(build(), indent=1, ensure_ascii=False) + "\n"
    VECTORS_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {VECTORS_PATH}")


if __name__ == "__main__":
    main()
