"""Fragmentation of messages into ATT payloads and their bounded reassembly (SPEC.md, "Framing").

Every value written to the control or data characteristic, and every notification on the
event characteristic, is one fragment: a 2-byte fragment header and a chunk of the message.

    byte 0: transfer id (u8, the sender counts messages modulo 256)
    byte 1: bit 7 FINAL (this is the message's last fragment), bits 0-6 fragment index

Sans-IO: the reassembler is handed the current time; it has no clock and no timers.
"""

from __future__ import annotations

from typing import Final

from firmware_protocol.errors import ErrorCode, ProtocolError

FRAGMENT_HEADER_SIZE: Final = 2
FINAL_FLAG: Final = 0x80
INDEX_MASK: Final = 0x7F
ATT_HEADER_SIZE: Final = 3  # ATT opcode and handle: the payload is MTU - 3
DEFAULT_MTU: Final = 23
DEFAULT_ATT_PAYLOAD: Final = DEFAULT_MTU - ATT_HEADER_SIZE  # 20
MAX_FRAGMENTS: Final = 64
DEFAULT_MAX_MESSAGE_SIZE: Final = 512
DEFAULT_REASSEMBLY_TIMEOUT_S: Final = 2.0


def att_payload_size(mtu: int) -> int:
    """The largest value one ATT write or notification carries at this MTU."""
    if mtu < DEFAULT_MTU:
        raise ProtocolError(f"an ATT MTU is at least {DEFAULT_MTU}, got {mtu}")
    return mtu - ATT_HEADER_SIZE


def fragment(
    message: bytes, att_payload: int, transfer_id: int, max_fragments: int = MAX_FRAGMENTS
) -> list[bytes]:
    """`message` cut into fragments of at most `att_payload` bytes each, headers included."""
    if att_payload <= FRAGMENT_HEADER_SIZE:
        raise ProtocolError(f"an ATT payload of {att_payload} bytes cannot carry a fragment")
    if not 0 <= transfer_id <= 0xFF:
        raise ProtocolError(f"transfer id must be 0..255, got {transfer_id}")
    if not message:
        raise ProtocolError("cannot fragment an empty message")
    chunk = att_payload - FRAGMENT_HEADER_SIZE
    count = -(-len(message) // chunk)
    limit = min(max_fragments, INDEX_MASK + 1)
    if count > limit:
        raise ProtocolError(
            f"a {len(message)}-byte message needs {count} fragments at an ATT payload of "
            f"{att_payload}; the limit is {limit}",
            ErrorCode.MESSAGE_TOO_LARGE,
        )
    return [
        bytes((transfer_id, index | (FINAL_FLAG if index == count - 1 else 0)))
        + message[index * chunk : (index + 1) * chunk]
        for index in range(count)
    ]


class Fragmenter:
    """Splits outgoing messages, numbering the transfers. One per characteristic and direction."""

    def __init__(self, att_payload: int = DEFAULT_ATT_PAYLOAD, max_fragments: int = MAX_FRAGMENTS):
        self.att_payload = att_payload
        self.max_fragments = max_fragments
        self._next_transfer = 0

    def split(self, message: bytes) -> list[bytes]:
        """The fragments of `message`, under the next transfer id."""
        fragments = fragment(message, self.att_payload, self._next_transfer, self.max_fragments)
        self._next_transfer = (self._next_transfer + 1) & 0xFF
        return fragments


class Reassembler:
    """Joins fragments back into messages, bounded in size, count and time.

    `feed` returns the whole message when its FINAL fragment arrives, None while more are
    expected, and raises ProtocolError (with a SPEC.md code) for a fragment that breaks the
    rules. After any error the partial message is dropped: the sender must send it again.
    A first fragment (index 0) of a new transfer silently replaces a partial message.
    """

    def __init__(
        self,
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_fragments: int = MAX_FRAGMENTS,
        timeout_s: float = DEFAULT_REASSEMBLY_TIMEOUT_S,
    ) -> None:
        self.max_message_size = max_message_size
        self.max_fragments = min(max_fragments, INDEX_MASK + 1)
        self.timeout_s = timeout_s
        self.abandoned = 0  # partial messages replaced by a new transfer or timed out
        self._parts: list[bytes] = []
        self._size = 0
        self._transfer = -1
        self._last_at = 0.0
        self._last_completed = -1

    @property
    def in_progress(self) -> bool:
        return bool(self._parts)

    def reset(self) -> None:
        """Forgets everything, as on a new connection (the peer restarts its transfer ids)."""
        self._drop()
        self._last_completed = -1

    def _drop(self) -> None:
        self._parts = []
        self._size = 0
        self._transfer = -1

    def expire(self, now: float) -> bool:
        """Drops a partial message older than the timeout; True if one was dropped."""
        if self._parts and now - self._last_at > self.timeout_s:
            self._drop()
            self.abandoned += 1
            return True
        return False

    def _fail(self, message: str, code: ErrorCode) -> ProtocolError:
        self._drop()
        return ProtocolError(message, code)

    def _check_order(self, transfer: int, index: int, *, timed_out: bool) -> None:
        """Raises for a fragment that is not the next one; starts a message on fragment 0."""
        if index == 0:
            # Transfer ids advance with every message, so a repeat of the current or the
            # previous id is the same message again, not a new one.
            if transfer in (self._transfer, self._last_completed):
                raise self._fail(
                    f"fragment 0 of transfer {transfer} arrived twice", ErrorCode.FRAGMENT_DUPLICATE
                )
            if self._parts:
                self.abandoned += 1
            self._drop()
            self._transfer = transfer
        elif not self._parts:
            if timed_out:
                raise self._fail(
                    f"fragment {index} of transfer {transfer} came more than "
                    f"{self.timeout_s} s after the previous one; the message was dropped",
                    ErrorCode.FRAGMENT_TIMEOUT,
                )
            if transfer == self._last_completed:
                raise self._fail(
                    f"fragment {index} of the completed transfer {transfer} arrived again",
                    ErrorCode.FRAGMENT_DUPLICATE,
                )
            raise self._fail(
                f"fragment {index} of transfer {transfer} arrived without its fragment 0",
                ErrorCode.FRAGMENT_OUT_OF_ORDER,
            )
        elif transfer != self._transfer:
            raise self._fail(
                f"fragment {index} of transfer {transfer} arrived inside transfer {self._transfer}",
                ErrorCode.FRAGMENT_OUT_OF_ORDER,
            )
        elif index < len(self._parts):
            raise self._fail(
                f"fragment {index} of transfer {transfer} arrived twice",
                ErrorCode.FRAGMENT_DUPLICATE,
            )
        elif index > len(self._parts):
            raise self._fail(
                f"fragment {index} of transfer {transfer} arrived before fragment "
                f"{len(self._parts)}",
                ErrorCode.FRAGMENT_OUT_OF_ORDER,
            )

    def feed(self, fragment: bytes, now: float) -> bytes | None:
        """Adds one received fragment; the whole message once its last fragment arrived."""
        if len(fragment) <= FRAGMENT_HEADER_SIZE:
            raise self._fail(
                f"a fragment needs a {FRAGMENT_HEADER_SIZE}-byte header and at least one "
                f"byte of message, got {len(fragment)} bytes",
                ErrorCode.BAD_FRAGMENT,
            )
        transfer, flags = fragment[0], fragment[1]
        index = flags & INDEX_MASK
        final = bool(flags & FINAL_FLAG)
        self._check_order(transfer, index, timed_out=self.expire(now))
        if index + 1 > self.max_fragments:
            raise self._fail(
                f"transfer {transfer} goes past {self.max_fragments} fragments",
                ErrorCode.TOO_MANY_FRAGMENTS,
            )
        size = self._size + len(fragment) - FRAGMENT_HEADER_SIZE
        if size > self.max_message_size:
            raise self._fail(
                f"transfer {transfer} grows past {self.max_message_size} bytes",
                ErrorCode.MESSAGE_TOO_LARGE,
            )
        self._parts.append(fragment[FRAGMENT_HEADER_SIZE:])
        self._size = size
        self._last_at = now
        if not final:
            return None
        message = b"".join(self._parts)
        self._last_completed = transfer
        self._drop()
        return message
