"""Fragments over small ATT payloads (SPEC.md section 4): splitting and bounded reassembly.

Each ATT value is a fragment: transfer id (u8), FINAL bit and index (u8), then a chunk of
the message. The reassembler writes into one buffer allocated up front, so a hostile length
never makes it allocate more than the device's max message size.
"""

from . import wire
from .errors import ProtocolError

_FINAL = 0x80
_INDEX = 0x7F


def fragments(message: bytes, att_payload: int, transfer_id: int) -> list[bytes]:
    """`message` cut into values of at most `att_payload` bytes, headers included."""
    chunk = att_payload - 2
    count = (len(message) + chunk - 1) // chunk
    if count > wire.MAX_FRAGMENTS:
        raise ProtocolError("message needs more than 64 fragments", wire.MESSAGE_TOO_LARGE)
    out = []
    for index in range(count):
        flags = index | (_FINAL if index == count - 1 else 0)
        out.append(bytes((transfer_id, flags)) + message[index * chunk : (index + 1) * chunk])
    return out


class Reassembler:
    """Joins the fragments written to one characteristic. Times are device microseconds."""

    def __init__(self, max_message_size: int) -> None:
        self._buffer = bytearray(max_message_size)
        self._size = 0
        self._next = 0  # the index expected next; 0 when nothing is being reassembled
        self._transfer = -1
        self._last_at = 0
        self._last_completed = -1

    def reset(self) -> None:
        """A new connection: the peer's transfer ids start again."""
        self._next = 0
        self._transfer = -1
        self._last_completed = -1

    def _fail(self, message: str, code: int) -> ProtocolError:
        self._next = 0
        self._transfer = -1
        return ProtocolError(message, code)

    def feed(self, value: bytes, now_us: int) -> bytes | None:  # noqa: PLR0912
        """The whole message once its FINAL fragment arrived, None while more are due."""
        if len(value) < 3:
            raise self._fail("fragment shorter than 3 bytes", wire.BAD_FRAGMENT)
        transfer = value[0]
        index = value[1] & _INDEX
        timed_out = False
        if self._next and now_us - self._last_at > wire.REASSEMBLY_TIMEOUT_US:
            self._next = 0
            self._transfer = -1
            timed_out = True
        if index == 0:
            if transfer in (self._transfer, self._last_completed):
                raise self._fail("fragment 0 arrived twice", wire.FRAGMENT_DUPLICATE)
            self._transfer = transfer
            self._size = 0
        elif not self._next:
            if timed_out:
                raise self._fail("more than 2 s between fragments", wire.FRAGMENT_TIMEOUT)
            if transfer == self._last_completed:
                raise self._fail("a completed transfer again", wire.FRAGMENT_DUPLICATE)
            raise self._fail("fragment without its fragment 0", wire.FRAGMENT_OUT_OF_ORDER)
        elif transfer != self._transfer:
            raise self._fail("fragment of another transfer", wire.FRAGMENT_OUT_OF_ORDER)
        elif index < self._next:
            raise self._fail("fragment arrived twice", wire.FRAGMENT_DUPLICATE)
        elif index > self._next:
            raise self._fail("fragment before the one expected", wire.FRAGMENT_OUT_OF_ORDER)
        if index >= wire.MAX_FRAGMENTS:
            raise self._fail("more than 64 fragments", wire.TOO_MANY_FRAGMENTS)
        size = self._size + len(value) - 2
        if size > len(self._buffer):
            raise self._fail("message larger than this device takes", wire.MESSAGE_TOO_LARGE)
        self._buffer[self._size : size] = memoryview(value)[2:]
        self._size = size
        self._last_at = now_us
        self._next = index + 1
        if not value[1] & _FINAL:
            return None
        self._last_completed = transfer
        self._next = 0
        self._transfer = -1
        return bytes(self._buffer[:size])
