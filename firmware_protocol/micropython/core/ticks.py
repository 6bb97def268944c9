"""The device clock: a u64 count of microseconds made from the port's wrapping ticks_us.

`time.ticks_us()` wraps (every 2**30 us, about 18 minutes, on 32-bit ports) and can only be
compared with `ticks_diff` within half a period. The clock keeps a base (ticks, device us)
and moves it forward on every reading, so it never wraps as long as it is read at least
once every few minutes (the firmware's idle loop reads it every second).
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

# Move the base forward once a reading is this far past it: far inside half a period.
_REBASE_US = 1 << 26
# The furthest ahead `ticks_at` converts: ticks_add refuses half a period or more.
MAX_AHEAD_US = 1 << 28


class TicksClock:
    def __init__(
        self,
        ticks_diff: "Callable[[int, int], int]",
        ticks_add: "Callable[[int, int], int]",
        ticks: int,
        start_us: int = 0,
    ) -> None:
        self.diff = ticks_diff
        self.add = ticks_add
        self._base_ticks = ticks
        self._base_us = start_us

    def device_us(self, ticks: int) -> int:
        """The device time at `ticks`, a reading within half a ticks period of the last."""
        delta = self.diff(ticks, self._base_ticks)
        if delta > _REBASE_US:
            self._base_ticks = ticks
            self._base_us += delta
            return self._base_us
        return self._base_us + delta

    def ticks_at(self, device_us: int, now_ticks: int) -> int:
        """The ticks reading at `device_us`, at most MAX_AHEAD_US after `now_ticks`."""
        now_us = self.device_us(now_ticks)
        ahead = device_us - now_us
        if ahead > MAX_AHEAD_US:
            ahead = MAX_AHEAD_US
        elif ahead < -MAX_AHEAD_US:
            ahead = -MAX_AHEAD_US
        return self.add(now_ticks, ahead)
