"""An ESP32 DevKitC (ESP32-WROOM-32): coin ERM on GPIO 25 through an NPN transistor,
button on GPIO 27 to ground, LiPo through a 100k/100k divider on GPIO 34 (ADC1)."""

from ..puck.config import PWM_ERM, BoardConfig

BOARD = BoardConfig(
    name="BackStretch-ESP32",
    motor=PWM_ERM,
    motor_pin=25,
    min_duty=20_000,
    button_pin=27,
    battery_pin=34,
    battery_divider=2.0,
)
