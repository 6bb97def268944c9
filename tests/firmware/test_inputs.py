"""Button gestures and the battery curve of the firmware's core (run here in CPython)."""

from __future__ import annotations

from firmware_protocol.micropython.core import battery, button, wire


def diff(a: int, b: int) -> int:
    return a - b


def press(levels: list[tuple[int, bool]], until_ms: int) -> list[tuple[int, int]]:
    """Polls every 5 ms through `levels` (time, pressed from then on): (gesture, began)."""
    b = button.Button(diff, 0)
    found = []
    level = False
    changes = dict(levels)
    for now in range(0, until_ms, 5):
        level = changes.get(now, level)
        kind = b.update(level, now)
        if kind:
            found.append((kind, b.gesture_at))
    return found


def test_short_press_is_reported_once_no_second_press_came() -> None:
    assert press([(100, True), (250, False)], 1200) == [(wire.SHORT, 100)]


def test_long_press_is_reported_at_800_ms_held() -> None:
    assert press([(100, True), (1500, False)], 2000) == [(wire.LONG, 100)]


def test_two_presses_within_400_ms_make_a_double() -> None:
    found = press([(100, True), (200, False), (450, True), (550, False)], 1500)
    assert found == [(wire.DOUBLE, 100)]  # the gesture began with the first press


def test_bounces_shorter_than_the_debounce_are_ignored() -> None:
    assert press([(100, True), (110, False), (300, True), (310, False)], 1500) == []


def test_battery_curve_and_average() -> None:
    assert battery.percent_from_mv(4250) == 100
    assert battery.percent_from_mv(3800) == 50
    assert battery.percent_from_mv(3750) == 40
    assert battery.percent_from_mv(3200) == 0
    gauge = battery.BatteryGauge(window=4)
    assert gauge.add(3800) == 50
    # A dip under the motor's load moves the average, not the level, by the whole dip.
    assert gauge.add(3600) == 30
