"""The wire contract between the hub and a backstretch wearable. Sans-IO."""

from firmware_protocol.errors import ProtocolError

__all__ = ["ProtocolError"]
