"""Errors raised by the codecs, the reassembler and the device-side validation helpers.

`ErrorCode` values travel on the wire in the `ErrorReport` message (SPEC.md, "Error codes"),
so a number once given must never change meaning.
"""

from __future__ import annotations

from enum import IntEnum


class ErrorCode(IntEnum):
    """Why a frame or a message was refused; the numbers are part of the wire contract."""

    # Decoding one message.
    TRUNCATED = 0x01
    UNSUPPORTED_VERSION = 0x02
    UNKNOWN_TYPE = 0x03
    BAD_LENGTH = 0x04
    INVALID_FIELD = 0x05
    BAD_TEXT = 0x06
    MESSAGE_TOO_LARGE = 0x07
    WRONG_CHARACTERISTIC = 0x08
    # Fragmentation and reassembly.
    BAD_FRAGMENT = 0x10
    FRAGMENT_OUT_OF_ORDER = 0x11
    FRAGMENT_DUPLICATE = 0x12
    FRAGMENT_TIMEOUT = 0x13
    TOO_MANY_FRAGMENTS = 0x14
    # Pattern table.
    EMPTY_PATTERN = 0x20
    SEGMENT_TOO_LONG = 0x21
    UNKNOWN_PATTERN = 0x22
    PATTERN_TABLE_FULL = 0x23
    # Cues and device state.
    DEADLINE_PASSED = 0x30
    CUE_ID_REUSED = 0x31
    BUFFER_FULL = 0x32
    BAD_STATE = 0x33
    NOT_SUPPORTED = 0x34
    # Anything else the device could not do.
    INTERNAL = 0xFF


class ProtocolError(Exception):
    """A frame or message breaks the protocol; the message says how.

    `code` is the SPEC.md error code a device reports for this failure, or None when the
    failure has no wire code (a hub-side misuse such as an unencodable value). `detail` is
    the ErrorReport detail field (e.g. the offending cue id), 0 when none applies.
    """

    def __init__(self, message: str, code: ErrorCode | None = None, *, detail: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.detail = detail
