"""The firmware's timeline on the port's ticks: the device, its clock and the motor player.

Everything takes a `ticks` reading (`time.ticks_us()` on a board, any injected value in a
test), so the whole firmware runs on a virtual clock. The board loop is:

    runtime.arm(now)                 # after any change; allocates, runs while idle
    ... sleep until just before runtime.wake_at, then spin on ticks_us ...
    level = runtime.onset(t)         # the cue path: small integers only, no allocation
    if level >= 0: motor.set(level)
    runtime.commit(t)                # reports, next segment, next cue; allocates again

and after `receive`, `commit` or `stop_motor`, the motor follows `runtime.level`.
"""

from . import player, ticks
from .device import Device

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

# What the armed wake-up is for.
NOTHING = 0  # no cue pending: wake only for a message (or the clock's idle re-read)
CUE = 1  # a cue's onset; the late limit applies
SWITCH = 2  # the next segment of the pattern playing


class Runtime:
    def __init__(
        self,
        device: Device,
        ticks_diff: "Callable[[int, int], int]",
        ticks_add: "Callable[[int, int], int]",
        now_ticks: int,
        start_us: int = 0,
    ) -> None:
        self.device = device
        self.clock = ticks.TicksClock(ticks_diff, ticks_add, now_ticks, start_us)
        self.player = player.Player(ticks_add, device.config.intensity_levels)
        self._diff = ticks_diff
        self._late_limit = device.config.late_limit_us
        # The armed wake-up, read on the cue path: plain small integers.
        self.wake = NOTHING
        self.wake_at = now_ticks
        self.wake_level = 0

    @property
    def level(self) -> int:
        """The motor level now: 0 off, 1..intensity_levels on."""
        return self.player.level

    def now_us(self, now_ticks: int) -> int:
        return self.clock.device_us(now_ticks)

    # ----------------------------------------------------------------- events

    def receive(self, channel: int, value: bytes, now_ticks: int) -> None:
        """A value the hub wrote; read `now_ticks` as soon as the write arrived."""
        device = self.device
        device.receive(channel, value, self.clock.device_us(now_ticks))
        if device.silence:
            device.silence = False
            self.player.stop()
        cue = device.take_cue_now()
        if cue is not None:
            cue_id, _pattern_id, segments, intensity = cue
            self.player.start(segments, intensity, now_ticks)
            device.cue_now_started(cue_id, self.clock.device_us(now_ticks))
        self.arm(now_ticks)

    def button(self, kind: int, at_ticks: int) -> None:
        self.device.press(kind, self.clock.device_us(at_ticks))

    def battery(self, percent: int) -> None:
        self.device.set_battery(percent)

    # ----------------------------------------------------------------- timeline

    def arm(self, now_ticks: int) -> None:
        """Works out the next wake-up: the next segment switch or the next cue's onset."""
        self.wake = NOTHING
        self.wake_at = self.clock.add(now_ticks, ticks.MAX_AHEAD_US)
        if self.player.active:
            self.wake = SWITCH
            self.wake_at = self.player.next_at
            self.wake_level = self.player.next_level
        deadline = self.device.next_deadline()
        if deadline is None or deadline - self.clock.device_us(now_ticks) > ticks.MAX_AHEAD_US:
            return  # nothing due within reach of the ticks: arm again later
        at = self.clock.ticks_at(deadline, now_ticks)
        if self.wake == SWITCH and self._diff(at, self.wake_at) > 0:
            return  # the pattern playing switches first
        _, _, pattern_id, intensity = self.device.cues.pending[0]
        segments = self.device.patterns.get(pattern_id, b"")
        self.wake = CUE
        self.wake_at = at
        self.wake_level = player.first_level(segments, intensity, self.player.levels)

    def onset(self, now_ticks: int) -> int:
        """The level to switch the motor to at the armed wake-up, -1 to leave it as it is.

        The cue path: compares small integers and allocates nothing, so the garbage
        collector cannot run between the deadline and the motor.
        """
        if self.wake == NOTHING:
            return -1
        if self.wake == CUE and self._diff(now_ticks, self.wake_at) > self._late_limit:
            return -1  # too late to play: commit reports it SKIPPED
        return self.wake_level

    def commit(self, at_ticks: int) -> None:
        """The armed wake-up happened at `at_ticks` (the motor was set if it was due)."""
        if self.wake == CUE:
            played = self.device.fire(self.clock.device_us(at_ticks))
            if played:
                segments, intensity = played[-1][3:]  # a new pattern replaces the one playing
                self.player.start(segments, intensity, at_ticks)
        elif self.wake == SWITCH:
            self.player.advance()
        self.arm(at_ticks)
