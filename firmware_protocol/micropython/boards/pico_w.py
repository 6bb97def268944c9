"""A Raspberry Pi Pico W: coin ERM on GP15 through an NPN transistor, button on GP14 to
ground, LiPo through a 100k/100k divider on GP26 (ADC0). (GP29, the board's own VSYS
sense, shares a pin with the radio on the W, so the firmware does not use it.)"""

from ..puck.config import PWM_ERM, BoardConfig

BOARD = BoardConfig(
    name="BackStretch-PicoW",
    motor=PWM_ERM,
    motor_pin=15,
    min_duty=20_000,
    button_pin=14,
    battery_pin=26,
    battery_divider=2.0,
)
