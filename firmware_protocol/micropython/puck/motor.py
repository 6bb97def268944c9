"""Motor outputs. `set(level)` is on the cue path: it allocates nothing.

Level 0 is off; 1..`levels` are the strengths the core maps intensities to.
"""

from machine import I2C, PWM, Pin

from .config import AXP192, DRV2605_LRA, PWM_ERM, BoardConfig


class PwmMotor:
    """A coin ERM on a transistor: PWM duty, level 1 at the duty where it starts turning."""

    def __init__(self, pin: int, hz: int, min_duty: int) -> None:
        self.levels = 255
        self._pwm = PWM(Pin(pin), freq=hz, duty_u16=0)
        span = 65535 - min_duty
        self._duty = [0] + [min_duty + span * level // 255 for level in range(1, 256)]

    def set(self, level: int) -> None:
        self._pwm.duty_u16(self._duty[level])


class Drv2605Motor:
    """An ERM or LRA on a TI DRV2605L in real-time playback: the level is the drive."""

    _ADDRESS = 0x5A
    _MODE, _RTP, _LIBRARY, _GO, _FEEDBACK, _CONTROL3 = 0x01, 0x02, 0x03, 0x0C, 0x1A, 0x1D

    def __init__(self, i2c: I2C, lra: bool) -> None:
        self.levels = 255
        self._i2c = i2c
        self._byte = bytearray(1)
        self._write(self._MODE, 0x00)  # out of standby
        self._write(self._LIBRARY, 6 if lra else 1)  # LRA library, or ERM library A
        feedback = i2c.readfrom_mem(self._ADDRESS, self._FEEDBACK, 1)[0]
        self._write(self._FEEDBACK, (feedback | 0x80) if lra else (feedback & 0x7F))
        control3 = i2c.readfrom_mem(self._ADDRESS, self._CONTROL3, 1)[0]
        self._write(self._CONTROL3, control3 | 0x08)  # RTP data unsigned: 0-255
        self._write(self._RTP, 0)
        self._write(self._MODE, 0x05)  # real-time playback

    def _write(self, register: int, value: int) -> None:
        self._byte[0] = value
        self._i2c.writeto_mem(self._ADDRESS, register, self._byte)

    def set(self, level: int) -> None:
        self._byte[0] = level
        self._i2c.writeto_mem(self._ADDRESS, self._RTP, self._byte)


class Axp192Motor:
    """M5Stack Core2's motor, on the AXP192's LDO3: on or off (one level) at 3.0 V."""

    _ADDRESS = 0x34
    _OUTPUTS, _LDO23_VOLTAGE = 0x12, 0x28
    _LDO3_ENABLE = 0x08

    def __init__(self, i2c: I2C) -> None:
        self.levels = 1
        self._i2c = i2c
        voltages = i2c.readfrom_mem(self._ADDRESS, self._LDO23_VOLTAGE, 1)[0]
        # LDO3 is the low nibble, 1.8 V + 0.1 V a step: 12 steps for 3.0 V.
        i2c.writeto_mem(self._ADDRESS, self._LDO23_VOLTAGE, bytes(((voltages & 0xF0) | 12,)))
        outputs = i2c.readfrom_mem(self._ADDRESS, self._OUTPUTS, 1)[0]
        self._off = bytes((outputs & ~self._LDO3_ENABLE & 0xFF,))
        self._on = bytes((outputs | self._LDO3_ENABLE,))
        self.set(0)

    def set(self, level: int) -> None:
        self._i2c.writeto_mem(self._ADDRESS, self._OUTPUTS, self._on if level else self._off)


def build(board: BoardConfig) -> PwmMotor | Drv2605Motor | Axp192Motor:
    if board.motor == PWM_ERM:
        return PwmMotor(board.motor_pin, board.pwm_hz, board.min_duty)
    i2c = I2C(board.i2c_bus, sda=Pin(board.sda_pin), scl=Pin(board.scl_pin), freq=400_000)
    if board.motor == AXP192:
        return Axp192Motor(i2c)
    return Drv2605Motor(i2c, lra=board.motor == DRV2605_LRA)
