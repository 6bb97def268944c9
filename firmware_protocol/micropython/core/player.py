"""One pattern played on the ticks clock: the motor level from segment to segment.

`start` turns the pattern's segments into switch points (offset from the onset, level)
once, right after the onset; from then on each switch needs only two small integers,
`next_at` and `next_level`, which the firmware reads without allocating anything.
"""

from . import patterns

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def first_level(segments: bytes, intensity: int, levels: int) -> int:
    """The level a pattern starts with: what the motor is set to at a cue's onset."""
    if not segments:
        return 0
    on_ms, _off_ms, strength = patterns.segment(segments, 0)
    if not on_ms:
        return 0
    return patterns.motor_level(patterns.scaled_intensity(strength, intensity), levels)


class Player:
    def __init__(self, ticks_add: "Callable[[int, int], int]", levels: int) -> None:
        self._add = ticks_add
        self.levels = levels
        self.level = 0  # what the motor does now
        self.active = False
        self.next_at = 0  # ticks of the next switch, while active
        self.next_level = 0
        self._onset = 0
        self._switches: list[tuple[int, int]] = []
        self._index = 0

    def start(self, segments: bytes, intensity: int, onset_ticks: int) -> None:
        """The pattern begins at `onset_ticks`: `level` is its first segment's strength."""
        switches = []
        offset = 0
        level = 0
        for index in range(patterns.segment_count(segments)):
            on_ms, off_ms, strength = patterns.segment(segments, index)
            if on_ms:
                on_level = patterns.motor_level(
                    patterns.scaled_intensity(strength, intensity), self.levels
                )
                if on_level != level:
                    switches.append((offset, on_level))
                    level = on_level
                offset += on_ms * 1000
            if off_ms:
                if level:
                    switches.append((offset, 0))
                    level = 0
                offset += off_ms * 1000
        if level:
            switches.append((offset, 0))
        self._switches = switches
        self._onset = onset_ticks
        self._index = 0
        self.level = 0
        self.active = bool(switches)
        if switches and switches[0][0] == 0:
            self.level = switches[0][1]
            self._index = 1
        self._prepare()

    def _prepare(self) -> None:
        if self._index >= len(self._switches):
            self.active = False
            return
        offset, self.next_level = self._switches[self._index]
        self.next_at = self._add(self._onset, offset)

    def advance(self) -> None:
        """The switch at `next_at` happened: `level` is now `next_level`."""
        self.level = self.next_level
        self._index += 1
        self._prepare()

    def stop(self) -> None:
        """Pause or Abort: motor off at once, the rest of the pattern dropped."""
        self.level = 0
        self.active = False
        self._switches = []
