"""The code agrees with every vector in vectors.json (compared, never regenerated)."""

from __future__ import annotations

from typing import Any

import pytest

from firmware_protocol import (
    PATTERNS,
    Capabilities,
    CueBuffer,
    DeviceState,
    ErrorCode,
    LoadCues,
    ProtocolError,
    Reassembler,
    decode,
    encode,
    fragment,
    pattern_table_messages,
    transition,
)
from firmware_protocol.messages import MESSAGE_CLASSES, HubMessage
from tests.protocol.vector_fields import fields_of, message_from
from tests.protocol.vectors import load_vectors

VECTORS = load_vectors()


def _named(cases: list[dict[str, Any]]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", cases, ids=[c["name"] for c in cases])


def test_every_message_type_has_a_canonical_vector() -> None:
    assert {v["type"] for v in VECTORS["valid"]} == {c.__name__ for c in MESSAGE_CLASSES}


@_named(VECTORS["valid"])
def test_valid_vector_decodes_to_its_fields_and_encodes_back(case: dict[str, Any]) -> None:
    frame = bytes.fromhex(case["hex"])
    decoded = decode(frame)
    assert type(decoded).__name__ == case["type"]
    assert fields_of(decoded) == case["fields"]
    assert encode(message_from(case["type"], case["fields"])) == frame


@_named(VECTORS["invalid"])
def test_invalid_vector_gives_its_error(case: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode(bytes.fromhex(case["hex"]))
    assert caught.value.code is ErrorCode[case["error"]]
    assert int(ErrorCode[case["error"]]) == case["code"]


@_named(VECTORS["device_checks"])
def test_device_check_vector_is_refused_by_the_cue_buffer(case: dict[str, Any]) -> None:
    buffer = CueBuffer(case["capacity"])
    known = set(case["known_patterns"])
    for earlier in case["accepted_frames"]:
        accepted = decode(bytes.fromhex(earlier))
        assert isinstance(accepted, LoadCues)
        buffer.load(accepted.cues, case["now_us"], known)
    before = buffer.pending
    message = decode(bytes.fromhex(case["hex"]))
    assert isinstance(message, LoadCues)
    with pytest.raises(ProtocolError) as caught:
        buffer.load(message.cues, case["now_us"], known)
    assert caught.value.code is ErrorCode[case["error"]]
    assert caught.value.detail == case["detail"]
    assert buffer.pending == before  # a refused batch changes nothing
    report = decode(bytes.fromhex(case["error_report"]))
    assert fields_of(report)["code"] == case["code"]
    assert fields_of(report)["detail"] == case["detail"]


@_named(VECTORS["fragments"])
def test_fragment_vector_splits_and_joins(case: dict[str, Any]) -> None:
    message = bytes.fromhex(case["message"])
    pieces = [bytes.fromhex(f) for f in case["fragments"]]
    assert fragment(message, case["att_payload"], case["transfer_id"]) == pieces
    assert all(len(p) <= case["att_payload"] for p in pieces)
    reassembler = Reassembler()
    results = [reassembler.feed(p, now=0.0) for p in pieces]
    assert results[:-1] == [None] * (len(pieces) - 1)
    assert results[-1] == message
    decode(message)


@_named(VECTORS["reassembly_errors"])
def test_reassembly_error_vector_gives_its_error_on_the_last_fragment(
    case: dict[str, Any],
) -> None:
    reassembler = Reassembler()
    pieces = [bytes.fromhex(f) for f in case["fragments"]]
    for piece, now in zip(pieces[:-1], case["times_s"][:-1], strict=True):
        reassembler.feed(piece, now)  # accepted: no error before the last fragment
    with pytest.raises(ProtocolError) as caught:
        reassembler.feed(pieces[-1], case["times_s"][-1])
    assert caught.value.code is ErrorCode[case["error"]]
    assert not reassembler.in_progress


_SAMPLES = {
    type(m).__name__: m for m in map(decode, (bytes.fromhex(v["hex"]) for v in VECTORS["valid"]))
}


@_named([{**row, "name": f"{row['state']} + {row['message']}"} for row in VECTORS["transitions"]])
def test_transition_vector(case: dict[str, Any]) -> None:
    message = _SAMPLES[case["message"]]
    assert isinstance(message, HubMessage)
    state = DeviceState[case["state"]]
    if case["then"] in DeviceState.__members__:
        assert transition(state, message) is DeviceState[case["then"]]
    else:
        with pytest.raises(ProtocolError) as caught:
            transition(state, message)
        assert caught.value.code is ErrorCode[case["then"]]


def test_vocabulary_vector_matches_the_patterns() -> None:
    assert VECTORS["patterns"] == {
        name: {
            "pattern_id": p.pattern_id,
            "segments": [[s.on_ms, s.off_ms, s.intensity] for s in p.segments],
        }
        for name, p in PATTERNS.items()
    }


@pytest.mark.parametrize("index", range(len(VECTORS["pattern_tables"])))
def test_pattern_table_vector_matches_the_upload_helper(index: int) -> None:
    case = VECTORS["pattern_tables"][index]
    caps = decode(bytes.fromhex(case["capabilities"]))
    assert isinstance(caps, Capabilities)
    messages = pattern_table_messages(caps, first_seq=20)
    assert [encode(m).hex() for m in messages] == case["messages"]
