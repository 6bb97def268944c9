"""What the firmware's core makes of every case of vectors.json (CPython and MicroPython).

`outcomes(vectors)` returns plain JSON: per case, what the core decoded, encoded, refused
or reassembled. The tests compare it with the vectors (and the hub's codec) in CPython.
"""

from firmware_protocol.micropython.core import codec, cues, device, framing, wire
from firmware_protocol.micropython.core.errors import ProtocolError
from tests.firmware import fields

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_STATES = ("IDLE", "LOADED", "PLAYING", "PAUSED")


def _hex(data: bytes) -> str:
    return "".join(f"{b:02x}" for b in data)


def _decode(hex_frame: str) -> "Any":
    """The decoded fields and the re-encoded frame, or the error code."""
    try:
        message = codec.decode(bytes.fromhex(hex_frame))
    except ProtocolError as error:
        return {"error": error.code}
    return {
        "type": fields.type_name(message),
        "fields": fields.fields(message),
        "hex": _hex(codec.encode(message)),
    }


def _device_check(case: "dict[str, Any]") -> "dict[str, Any]":
    """The device's answers to the accepted batches, then its ErrorReport for the refused one."""
    config = device.Config(cue_buffer_size=case["capacity"])
    unit = device.Device(config)
    unit.patterns = dict.fromkeys(case["known_patterns"], b"\x37\x00\x64\x00\xff")
    unit.link_up(244)
    frames = list(case["accepted_frames"]) + [case["hex"]]
    before: list[tuple[int, int, int, int]] = []
    replies: list[codec.Message] = []
    for transfer, frame in enumerate(frames):
        before = list(unit.cues.pending)
        # One fragment each, under its own transfer id, as a hub writes a short message.
        unit.receive(wire.DATA, bytes((transfer, 0x80)) + bytes.fromhex(frame), case["now_us"])
        replies.extend(codec.decode(f[2:]) for f in unit.take_outbox())
    report = replies.pop()
    return {
        "accepted_replies": [fields.type_name(r) for r in replies],
        "report": fields.fields(report),
        "report_type": fields.type_name(report),
        "unchanged": unit.cues.pending == before,
    }


def _reassembly(case: "dict[str, Any]") -> "Any":
    joiner = framing.Reassembler(512)
    pieces = [bytes.fromhex(f) for f in case["fragments"]]
    times = [round(t * 1_000_000) for t in case["times_s"]]
    for piece, now in zip(pieces[:-1], times[:-1]):
        joiner.feed(piece, now)
    try:
        joiner.feed(pieces[-1], times[-1])
    except ProtocolError as error:
        return error.code
    return None


def _transition(row: "dict[str, Any]", kinds: "dict[str, int]") -> str:
    try:
        after = device.transition(_STATES.index(row["state"]), kinds[row["message"]])
    except ProtocolError as error:
        return "BAD_STATE" if error.code == wire.BAD_STATE else str(error.code)
    return _STATES[after]


def outcomes(vectors: "dict[str, Any]") -> "dict[str, Any]":
    kinds = {name: kind for kind, (name, _) in fields.NAMES.items()}
    valid = {}
    for case in vectors["valid"]:
        outcome = _decode(case["hex"])
        if "error" not in outcome:
            outcome["encoded_from_fields"] = _hex(
                codec.encode(fields.message(case["type"], case["fields"]))
            )
        valid[case["name"]] = outcome
    joined = {}
    for case in vectors["fragments"]:
        pieces = framing.fragments(
            bytes.fromhex(case["message"]), case["att_payload"], case["transfer_id"]
        )
        joiner = framing.Reassembler(512)
        results = [joiner.feed(piece, 0) for piece in pieces]
        joined[case["name"]] = {
            "fragments": [_hex(p) for p in pieces],
            "joined": _hex(results[-1]) if results[-1] is not None else None,
            "partial": [r is not None for r in results[:-1]],
        }
    buffer_checks = {}
    for case in vectors["device_checks"]:
        buffer_checks[case["name"]] = _device_check(case)
    return {
        "valid": valid,
        "invalid": {c["name"]: _decode(c["hex"]).get("error") for c in vectors["invalid"]},
        "device_checks": buffer_checks,
        "fragments": joined,
        "reassembly_errors": {c["name"]: _reassembly(c) for c in vectors["reassembly_errors"]},
        "transitions": {
            f"{r['state']} + {r['message']}": _transition(r, kinds) for r in vectors["transitions"]
        },
        "pattern_tables": [
            [_decode(m).get("hex") for m in case["messages"]] for case in vectors["pattern_tables"]
        ],
        "late_limit_us": cues.CueBuffer(1).late_limit_us,
    }
