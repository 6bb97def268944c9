"""Numbers of the wire contract (firmware_protocol/SPEC.md), as plain integers."""

PROTOCOL_VERSION = 1
HEADER_SIZE = 4
NO_SEQ = 0xFFFF  # "no message" in ack_seq and ref_seq; never a sequence number

# Message types: 0x01-0x0D hub to device, 0x81-0x86 device to hub.
HELLO = 0x01
TIME_SYNC_PING = 0x02
PATTERN_TABLE = 0x03
LOAD_CUES = 0x04
START = 0x05
PAUSE = 0x06
RESUME = 0x07
ABORT = 0x08
CLEAR = 0x09
CUE_NOW = 0x0A
SHOW_TEXT = 0x0B
SET_CONNECTION_PREFERENCE = 0x0C
REQUEST_STATUS = 0x0D
CAPABILITIES = 0x81
TIME_SYNC_PONG = 0x82
CUE_EXECUTED = 0x83
BUTTON_PRESS = 0x84
STATUS = 0x85
ERROR_REPORT = 0x86
DEVICE_TO_HUB = 0x80  # the type bit of every device-to-hub message

# Error codes (SPEC.md section 8).
TRUNCATED = 0x01
UNSUPPORTED_VERSION = 0x02
UNKNOWN_TYPE = 0x03
BAD_LENGTH = 0x04
INVALID_FIELD = 0x05
BAD_TEXT = 0x06
MESSAGE_TOO_LARGE = 0x07
WRONG_CHARACTERISTIC = 0x08
BAD_FRAGMENT = 0x10
FRAGMENT_OUT_OF_ORDER = 0x11
FRAGMENT_DUPLICATE = 0x12
FRAGMENT_TIMEOUT = 0x13
TOO_MANY_FRAGMENTS = 0x14
EMPTY_PATTERN = 0x20
SEGMENT_TOO_LONG = 0x21
UNKNOWN_PATTERN = 0x22
PATTERN_TABLE_FULL = 0x23
DEADLINE_PASSED = 0x30
CUE_ID_REUSED = 0x31
BUFFER_FULL = 0x32
BAD_STATE = 0x33
NOT_SUPPORTED = 0x34
INTERNAL = 0xFF
ERROR_CODES = (
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x10, 0x11, 0x12, 0x13, 0x14,
    0x20, 0x21, 0x22, 0x23,
    0x30, 0x31, 0x32, 0x33, 0x34,
    0xFF,
)  # fmt: skip

# Device states.
IDLE = 0
LOADED = 1
PLAYING = 2
PAUSED = 3

# CueExecuted outcomes.
PLAYED = 0
SKIPPED = 1

# ButtonPress kinds.
SHORT = 1
LONG = 2
DOUBLE = 3

# Motor types in Capabilities.
ERM = 0
LRA = 1

# The characteristics a hub writes to.
CONTROL = 0
DATA = 1

BATTERY_UNKNOWN = 0xFF
MAX_SEGMENTS = 16
MAX_SEGMENT_MS = 5000
SEGMENT_SIZE = 5  # on_ms u16, off_ms u16, intensity u8
CUE_SIZE = 12  # cue_id u16, deadline_us u64, pattern_id u8, intensity u8
MAX_TEXT_BYTES = 200
MIN_MESSAGE_SIZE = 32
# A cue found later than this is skipped, not played: a late breath cue is worse than none.
LATE_LIMIT_US = 100_000
MAX_FRAGMENTS = 64
REASSEMBLY_TIMEOUT_US = 2_000_000
DEFAULT_ATT_PAYLOAD = 20  # MTU 23 minus the ATT header

# GATT (SPEC.md section 3).
SERVICE_UUID = "16fe0001-d9f1-4716-8d9d-6ad8ba88f277"
CONTROL_UUID = "16fe0002-d9f1-4716-8d9d-6ad8ba88f277"
DATA_UUID = "16fe0003-d9f1-4716-8d9d-6ad8ba88f277"
EVENT_UUID = "16fe0004-d9f1-4716-8d9d-6ad8ba88f277"
INFO_UUID = "16fe0005-d9f1-4716-8d9d-6ad8ba88f277"
