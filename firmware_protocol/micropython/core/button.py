"""Button gestures from a polled pin (SPEC.md 0x84): short, long (held 800 ms), double.

Sans-IO: `update(pressed, now_ms)` is called every few milliseconds with the raw pin level
and a `ticks_ms` reading. A level counts once it held for the debounce time. A long press
is reported as soon as it reaches 800 ms; a short one once no second press followed within
400 ms of its release; a second press that starts within those 400 ms makes a double.
"""

from . import wire

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

DEBOUNCE_MS = 20
LONG_MS = 800
DOUBLE_MS = 400


class Button:
    def __init__(self, ticks_diff: "Callable[[int, int], int]", now_ms: int) -> None:
        self._diff = ticks_diff
        self._raw = False
        self._raw_since = now_ms
        self._down = False  # the debounced level
        self._down_at = now_ms
        self._presses = 0  # presses in the gesture being recognised
        self._released_at = now_ms
        self._long_sent = False
        self.gesture_at = now_ms  # when the gesture reported last began (ticks_ms)

    def update(self, pressed: bool, now_ms: int) -> int:
        """A gesture (SHORT, LONG, DOUBLE) completed by this reading, else 0."""
        if pressed != self._raw:
            self._raw = pressed
            self._raw_since = now_ms
        if self._raw != self._down and self._diff(now_ms, self._raw_since) >= DEBOUNCE_MS:
            self._down = self._raw
            return self._edge(self._raw_since)
        if self._down:
            held = self._diff(now_ms, self._down_at)
            if not self._long_sent and self._presses == 1 and held >= LONG_MS:
                self._long_sent = True
                self._presses = 0
                self.gesture_at = self._down_at
                return wire.LONG
        elif self._presses == 1 and self._diff(now_ms, self._released_at) > DOUBLE_MS:
            self._presses = 0
            self.gesture_at = self._down_at
            return wire.SHORT
        return 0

    def _edge(self, at_ms: int) -> int:
        if self._down:
            if self._presses == 1 and self._diff(at_ms, self._released_at) <= DOUBLE_MS:
                self._presses = 0
                self._long_sent = True  # this press is spent; its release starts nothing
                self.gesture_at = self._down_at
                return wire.DOUBLE
            self._presses = 1
            self._down_at = at_ms
            self._long_sent = False
            return 0
        self._released_at = at_ms
        if self._long_sent:
            self._long_sent = False
            self._presses = 0
        return 0
