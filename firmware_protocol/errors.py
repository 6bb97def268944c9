"""Errors raised by the codecs and the reassembler."""


class ProtocolError(Exception):
    """A frame or message breaks the protocol; the message says how."""
