"""Battery level from a cell voltage (a LiPo on an ADC pin through a divider).

A LiPo's voltage is not linear in its charge: it sits near 3.7-3.8 V for most of it and
falls fast below 3.5 V. The curve below (millivolts at rest, percent) is interpolated, and
readings are averaged, so that the motor's current draw does not make the level jump.
"""

# (millivolts, percent), highest first: a typical single-cell LiPo at light load.
CURVE = (
    (4200, 100),
    (4100, 90),
    (4000, 80),
    (3900, 65),
    (3800, 50),
    (3750, 40),
    (3700, 30),
    (3650, 20),
    (3600, 12),
    (3500, 5),
    (3300, 0),
)


def percent_from_mv(millivolts: int) -> int:
    if millivolts >= CURVE[0][0]:
        return 100
    for (high_mv, high_pct), (low_mv, low_pct) in zip(CURVE, CURVE[1:]):
        if millivolts >= low_mv:
            span = high_mv - low_mv
            return low_pct + ((millivolts - low_mv) * (high_pct - low_pct) + span // 2) // span
    return 0


class BatteryGauge:
    """An average over the last `window` readings, in percent."""

    def __init__(self, window: int = 8) -> None:
        self._readings: list[int] = []
        self._window = window

    def add(self, millivolts: int) -> int:
        self._readings.append(millivolts)
        if len(self._readings) > self._window:
            self._readings.pop(0)
        return percent_from_mv(sum(self._readings) // len(self._readings))
