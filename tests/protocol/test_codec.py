"""Round trips for every message type, and the decoder's totality on any input."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware_protocol import (
    MAX_TEXT_BYTES,
    CueEntry,
    ErrorCode,
    LoadCues,
    Message,
    ProtocolError,
    Segment,
    ShowText,
    decode,
    encode,
    fit_text,
)
from firmware_protocol.codec import CUE_ENTRY_SIZE, LOAD_CUES_OVERHEAD
from firmware_protocol.messages import MESSAGE_CLASSES
from tests.protocol.strategies import STRATEGIES
from tests.protocol.vectors import load_vectors


@pytest.mark.parametrize("cls", MESSAGE_CLASSES, ids=lambda c: c.__name__)
def test_every_message_type_round_trips(cls: type[Message]) -> None:
    @settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
    @given(STRATEGIES[cls])
    def check(message: Message) -> None:
        frame = encode(message)
        assert frame[0] == 1
        assert frame[1] == message.TYPE
        assert struct.unpack_from("<H", frame, 2)[0] == message.seq
        assert decode(frame) == message
        assert encode(decode(frame)) == frame

    check()


def _decode_outcome(data: bytes) -> ProtocolError | None:
    """Decodes; returns the ProtocolError, lets any other exception fail the test."""
    try:
        decode(data)
    except ProtocolError as exc:
        return exc
    return None


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=300))
def test_decode_is_total_on_random_bytes(data: bytes) -> None:
    error = _decode_outcome(data)
    if error is not None:
        # Every decoding failure maps to a SPEC error code a device can report.
        assert isinstance(error.code, ErrorCode)
        assert str(error)


@settings(max_examples=1000, deadline=None)
@given(
    st.sampled_from([bytes.fromhex(v["hex"]) for v in load_vectors()["valid"]]),
    st.lists(st.tuples(st.integers(0, 299), st.integers(0, 255)), max_size=4),
    st.integers(-8, 8),
)
def test_decode_is_total_on_mutated_vectors(
    frame: bytes, flips: list[tuple[int, int]], resize: int
) -> None:
    data = bytearray(frame)
    for position, value in flips:
        if data:
            data[position % len(data)] = value
    data = data[: len(data) + resize] if resize < 0 else data + bytes(resize)
    error = _decode_outcome(bytes(data))
    assert error is None or isinstance(error.code, ErrorCode)


def test_a_full_batch_of_16_cues_fits_a_244_byte_payload_with_its_fragment_header() -> None:
    cues = tuple(CueEntry(cue_id=i, deadline_us=10**12 + i, pattern_id=3) for i in range(16))
    frame = encode(LoadCues(cues=cues))
    assert len(frame) == LOAD_CUES_OVERHEAD + 16 * CUE_ENTRY_SIZE
    assert len(frame) + 2 <= 244


@given(st.text(max_size=300), st.integers(0, 250))
def test_fit_text_cuts_on_a_character_boundary(text: str, limit: int) -> None:
    fitted = fit_text(text, limit)
    raw = fitted.encode("utf-8")
    assert len(raw) <= min(limit, MAX_TEXT_BYTES)
    clean = text.encode("utf-8", errors="replace").decode("utf-8")
    assert clean.startswith(fitted)
    # Nothing was cut that would have fitted: the next character would overflow.
    if fitted != clean:
        following = clean[len(fitted)]
        assert len(raw) + len(following.encode("utf-8")) > min(limit, MAX_TEXT_BYTES)


def test_show_text_refuses_text_over_the_limit_and_says_how_to_fit_it() -> None:
    with pytest.raises(ProtocolError, match="fit_text") as caught:
        ShowText(text="é" * 101)
    assert caught.value.code is ErrorCode.BAD_TEXT
    assert ShowText(text=fit_text("é" * 101)).text == "é" * 100


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"on_ms": 4000, "off_ms": 1001}, ErrorCode.SEGMENT_TOO_LONG),
        ({"on_ms": 0, "off_ms": 0}, ErrorCode.INVALID_FIELD),
        ({"on_ms": -1, "off_ms": 100}, ErrorCode.INVALID_FIELD),
        ({"on_ms": 100, "off_ms": 100, "intensity": 256}, ErrorCode.INVALID_FIELD),
        ({"on_ms": True, "off_ms": 100}, ErrorCode.INVALID_FIELD),
    ],
)
def test_models_refuse_values_that_do_not_fit_the_wire(
    kwargs: dict[str, int], code: ErrorCode
) -> None:
    with pytest.raises(ProtocolError) as caught:
        Segment(**kwargs)
    assert caught.value.code is code


def test_encode_refuses_what_is_not_a_message() -> None:
    with pytest.raises(ProtocolError, match="not a protocol message"):
        encode(object())  # type: ignore[arg-type]
