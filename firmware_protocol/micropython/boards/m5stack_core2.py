"""M5Stack Core2 (AXP192 models; the 2023 v1.1 has an AXP2101 and is not supported):
the built-in vibration motor on the AXP192's LDO3 (internal I2C: SDA 21, SCL 22). The
Core2's buttons are touch areas, which this firmware does not read: no button."""

from ..puck.config import AXP192, BoardConfig

BOARD = BoardConfig(
    name="BackStretch-Core2",
    motor=AXP192,
    i2c_bus=1,
    sda_pin=21,
    scl_pin=22,
)
