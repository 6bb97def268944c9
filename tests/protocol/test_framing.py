"""Fragmentation and bounded reassembly."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_protocol import (
    ErrorCode,
    Fragmenter,
    Message,
    ProtocolError,
    Reassembler,
    att_payload_size,
    decode,
    encode,
    fragment,
)
from tests.protocol.strategies import any_message


@settings(max_examples=200, deadline=None)
@given(any_message, st.integers(20, 244))
def test_any_message_survives_fragmentation_at_any_mtu(message: Message, att_payload: int) -> None:
    frame = encode(message)
    pieces = fragment(frame, att_payload, transfer_id=3)
    assert all(3 <= len(p) <= att_payload for p in pieces)
    assert [p[1] & 0x7F for p in pieces] == list(range(len(pieces)))
    assert [bool(p[1] & 0x80) for p in pieces] == [False] * (len(pieces) - 1) + [True]
    reassembler = Reassembler(max_message_size=4096)
    out = [reassembler.feed(p, now=1.0) for p in pieces]
    assert out[-1] is not None
    assert decode(out[-1]) == message


def test_fragmenter_numbers_transfers_so_consecutive_messages_differ() -> None:
    fragmenter = Fragmenter(att_payload=20)
    ids = [fragmenter.split(b"\x01\x01\x00\x00")[0][0] for _ in range(300)]
    assert ids[:3] == [0, 1, 2]
    assert ids[256] == 0
    assert all(a != b for a, b in pairwise(ids))


def test_a_new_transfer_replaces_an_unfinished_one() -> None:
    reassembler = Reassembler()
    assert reassembler.feed(b"\x01\x00abc", 0.0) is None
    assert reassembler.feed(b"\x02\x80xyz", 0.1) == b"xyz"
    assert reassembler.abandoned == 1


def test_expire_drops_a_stale_partial_message_only_after_the_timeout() -> None:
    reassembler = Reassembler(timeout_s=2.0)
    reassembler.feed(b"\x01\x00abc", 10.0)
    assert not reassembler.expire(11.9)
    assert reassembler.in_progress
    assert reassembler.expire(12.1)
    assert not reassembler.in_progress


def test_slow_but_steady_fragments_are_not_timed_out() -> None:
    # The timeout runs from the previous fragment: 30 fragments 1.5 s apart still arrive.
    reassembler = Reassembler(max_message_size=4096)
    pieces = fragment(bytes(range(200)) * 3, 22, 9)
    results = [reassembler.feed(p, 1.5 * i) for i, p in enumerate(pieces)]
    assert results[-1] == bytes(range(200)) * 3


def test_the_sender_may_resend_after_an_error() -> None:
    reassembler = Reassembler()
    fragmenter = Fragmenter(att_payload=6)
    first = fragmenter.split(b"abcdefghij")
    reassembler.feed(first[0], 0.0)
    with pytest.raises(ProtocolError) as caught:
        reassembler.feed(first[2], 0.0)
    assert caught.value.code is ErrorCode.FRAGMENT_OUT_OF_ORDER
    out = [reassembler.feed(p, 0.1) for p in fragmenter.split(b"abcdefghij")]
    assert out[-1] == b"abcdefghij"


def test_reset_forgets_the_last_transfer_for_a_new_connection() -> None:
    reassembler = Reassembler()
    assert reassembler.feed(b"\x00\x80abc", 0.0) == b"abc"
    with pytest.raises(ProtocolError):
        reassembler.feed(b"\x00\x80abc", 0.1)
    reassembler.reset()
    assert reassembler.feed(b"\x00\x80abc", 0.2) == b"abc"


def test_the_fragmenter_refuses_a_message_needing_more_than_64_fragments() -> None:
    with pytest.raises(ProtocolError) as caught:
        fragment(bytes(18 * 64 + 1), 20, 0)
    assert caught.value.code is ErrorCode.MESSAGE_TOO_LARGE
    assert len(fragment(bytes(18 * 64), 20, 0)) == 64


@pytest.mark.parametrize(("mtu", "payload"), [(23, 20), (247, 244), (517, 514)])
def test_att_payload_is_mtu_minus_3(mtu: int, payload: int) -> None:
    assert att_payload_size(mtu) == payload


def test_an_mtu_below_the_minimum_is_refused() -> None:
    with pytest.raises(ProtocolError, match="at least 23"):
        att_payload_size(22)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=24), st.floats(0, 0.8, allow_nan=False)), max_size=40))
def test_reassembler_is_total_and_bounded_on_random_fragments(
    stream: list[tuple[bytes, float]],
) -> None:
    reassembler = Reassembler(max_message_size=64, max_fragments=8)
    now = 0.0
    for piece, step in stream:
        now += step
        error: ProtocolError | None = None
        out = None
        try:
            out = reassembler.feed(piece, now)
        except ProtocolError as exc:
            error = exc
        if error is not None:
            assert isinstance(error.code, ErrorCode)
            assert not reassembler.in_progress
        elif out is not None:
            assert 1 <= len(out) <= 64
