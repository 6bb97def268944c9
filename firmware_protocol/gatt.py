"""The GATT layout of the backstretch wearable service (see SPEC.md, "GATT layout").

All four characteristics share the service's 128-bit base and differ in the 16 bits
after the first group, so that a device's UUID table stays short.
"""

from typing import Final

SERVICE_UUID: Final = "16fe0001-d9f1-4716-8d9d-6ad8ba88f277"
# Hub -> device, written with response: hello, time sync, pattern table, transport controls.
CONTROL_CHAR_UUID: Final = "16fe0002-d9f1-4716-8d9d-6ad8ba88f277"
# Hub -> device, written without response: cue batches and "cue now".
DATA_CHAR_UUID: Final = "16fe0003-d9f1-4716-8d9d-6ad8ba88f277"
# Device -> hub, notify: every device-to-hub message.
EVENT_CHAR_UUID: Final = "16fe0004-d9f1-4716-8d9d-6ad8ba88f277"
# Read: the device's capabilities message, so a hub can read them before subscribing.
INFO_CHAR_UUID: Final = "16fe0005-d9f1-4716-8d9d-6ad8ba88f277"

# Standard services a device also exposes.
BATTERY_SERVICE_UUID: Final = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_CHAR_UUID: Final = "00002a19-0000-1000-8000-00805f9b34fb"
DEVICE_INFORMATION_SERVICE_UUID: Final = "0000180a-0000-1000-8000-00805f9b34fb"
MANUFACTURER_NAME_CHAR_UUID: Final = "00002a29-0000-1000-8000-00805f9b34fb"
MODEL_NUMBER_CHAR_UUID: Final = "00002a24-0000-1000-8000-00805f9b34fb"
FIRMWARE_REVISION_CHAR_UUID: Final = "00002a26-0000-1000-8000-00805f9b34fb"

# Advertised names start with this, e.g. "BackStretch-SIM-4F2A".
NAME_PREFIX: Final = "BackStretch"
