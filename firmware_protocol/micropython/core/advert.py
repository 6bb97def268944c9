"""Advertising payloads within a legacy PDU's 31 bytes (SPEC.md section 3).

The 128-bit service UUID goes in the advertisement (a hub recognises a wearable by it);
the name, which cannot fit beside it, goes in the scan response, shortened at a character
boundary when it is longer than the room there.
"""

LEGACY_MAX = 31
_FLAGS = 0x01
_UUID128_COMPLETE = 0x07
_NAME_SHORT = 0x08
_NAME_COMPLETE = 0x09


def uuid128_bytes(uuid: str) -> bytes:
    """A UUID string as the advertisement carries it: 16 bytes, least significant first."""
    raw = bytes.fromhex(uuid.replace("-", ""))
    return bytes(reversed(raw))


def advertisement(service_uuid: str) -> bytes:
    """Flags (LE general discoverable, no BR/EDR) and the complete 128-bit service list."""
    uuid = uuid128_bytes(service_uuid)
    return bytes((2, _FLAGS, 0x06, len(uuid) + 1, _UUID128_COMPLETE)) + uuid


def scan_response(name: str) -> bytes:
    raw = name.encode("utf-8")
    room = LEGACY_MAX - 2
    kind = _NAME_COMPLETE
    if len(raw) > room:
        kind = _NAME_SHORT
        raw = raw[:room]
        while raw and raw[-1] & 0xC0 == 0x80:  # a continuation byte: back to a whole character
            raw = raw[:-1]
        if raw and raw[-1] >= 0xC0:  # a lead byte whose continuation was cut
            raw = raw[:-1]
    return bytes((len(raw) + 1, kind)) + raw
