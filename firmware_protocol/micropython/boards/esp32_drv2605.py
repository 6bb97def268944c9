"""An ESP32 DevKitC with an LRA on a DRV2605L breakout: SDA GPIO 21, SCL GPIO 22,
button on GPIO 27 to ground, no battery sensing."""

from ..puck.config import DRV2605_LRA, BoardConfig

BOARD = BoardConfig(
    name="BackStretch-ESP32-LRA",
    motor=DRV2605_LRA,
    sda_pin=21,
    scl_pin=22,
    button_pin=27,
)
