"""The button pin and the battery's ADC pin."""

from machine import ADC, Pin


class ButtonPin:
    def __init__(self, pin: int, active_low: bool) -> None:
        self._pin = Pin(pin, Pin.IN, Pin.PULL_UP if active_low else Pin.PULL_DOWN)
        self._pressed_value = 0 if active_low else 1

    def pressed(self) -> bool:
        return bool(self._pin.value() == self._pressed_value)


class BatteryAdc:
    """The cell voltage in millivolts, through a divider of `divider` (cell / pin)."""

    def __init__(self, pin: int, divider: float) -> None:
        self._adc = ADC(Pin(pin))
        if hasattr(ADC, "ATTN_11DB"):  # ESP32: the pin's range up to about 3.1 V
            self._adc.atten(ADC.ATTN_11DB)
        self._divider = divider

    def millivolts(self) -> int:
        if hasattr(self._adc, "read_uv"):  # ESP32: calibrated
            return int(self._adc.read_uv() * self._divider / 1000)
        return int(self._adc.read_u16() * 3300 * self._divider / 65535)
