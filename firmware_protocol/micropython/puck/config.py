"""A board's wiring and hardware, as `boards/*.py` describe it."""

# Motor kinds.
PWM_ERM = "pwm"  # a coin ERM on a transistor, driven by PWM
DRV2605_ERM = "drv2605-erm"  # an ERM on a DRV2605L haptic driver (I2C, real-time playback)
DRV2605_LRA = "drv2605-lra"  # an LRA on a DRV2605L
AXP192 = "axp192"  # M5Stack Core2 (AXP192 models): the built-in motor on the PMIC's LDO3


class BoardConfig:
    def __init__(
        self,
        *,
        name: str,
        motor: str,
        motor_pin: int = -1,
        pwm_hz: int = 200,
        min_duty: int = 0,
        i2c_bus: int = 0,
        sda_pin: int = -1,
        scl_pin: int = -1,
        button_pin: int = -1,
        button_active_low: bool = True,
        battery_pin: int = -1,
        battery_divider: float = 2.0,
        cue_buffer_size: int = 32,
        max_message_size: int = 256,
        spin_us: int = 2_000,
    ) -> None:
        self.name = name  # advertised; starts with "BackStretch"
        self.motor = motor
        self.motor_pin = motor_pin
        self.pwm_hz = pwm_hz
        # The PWM duty (0-65535) below which the ERM does not turn: level 1 maps here.
        self.min_duty = min_duty
        self.i2c_bus = i2c_bus
        self.sda_pin = sda_pin
        self.scl_pin = scl_pin
        self.button_pin = button_pin  # -1: no button
        self.button_active_low = button_active_low
        self.battery_pin = battery_pin  # -1: no battery sensing (reported as unknown)
        self.battery_divider = battery_divider  # cell voltage / ADC pin voltage
        self.cue_buffer_size = cue_buffer_size
        self.max_message_size = max_message_size
        # Wake this long before a pulse, then spin on ticks_us to it: it must cover how late
        # the port's scheduler wakes (about 1 ms on a board; up to 4 ms on the unix port).
        self.spin_us = spin_us
