"""The cue buffer and its checks (SPEC.md 7.2): pending cues, earliest deadline first.

A cue is a tuple (deadline_us, cue_id, pattern_id, intensity), so that the list sorts by
deadline. A batch is accepted whole or refused whole.
"""

from . import wire
from .errors import ProtocolError


class CueBuffer:
    def __init__(self, capacity: int, late_limit_us: int = wire.LATE_LIMIT_US) -> None:
        self.capacity = capacity
        self.late_limit_us = late_limit_us
        self.pending: list[tuple[int, int, int, int]] = []
        self.highest_id = -1  # the highest cue id accepted since Clear or Abort

    @property
    def free_slots(self) -> int:
        return self.capacity - len(self.pending)

    def load(
        self,
        cues: list[tuple[int, int, int, int]],
        now_us: int,
        known_patterns: dict[int, bytes],
    ) -> None:
        """Adds a decoded batch of (cue_id, deadline_us, pattern_id, intensity), or raises."""
        if len(cues) > self.free_slots:
            raise ProtocolError("batch larger than the free slots", wire.BUFFER_FULL, len(cues))
        previous = self.highest_id
        for cue_id, deadline_us, pattern_id, _intensity in cues:
            if cue_id <= previous:
                raise ProtocolError("cue id not above the last one", wire.CUE_ID_REUSED, cue_id)
            previous = cue_id
            if deadline_us < now_us:
                raise ProtocolError("deadline in the past", wire.DEADLINE_PASSED, cue_id)
            if pattern_id not in known_patterns:
                raise ProtocolError("pattern not in the table", wire.UNKNOWN_PATTERN, cue_id)
        for cue_id, deadline_us, pattern_id, intensity in cues:
            self.pending.append((deadline_us, cue_id, pattern_id, intensity))
        self.pending.sort()
        self.highest_id = previous

    def next_deadline(self) -> int | None:
        return self.pending[0][0] if self.pending else None

    def pop_due(self, now_us: int) -> list[tuple[int, int, int, int]]:
        """The cues due at `now_us`, removed, earliest first."""
        count = 0
        for cue in self.pending:
            if cue[0] > now_us:
                break
            count += 1
        due = self.pending[:count]
        del self.pending[:count]
        return due

    def is_late(self, deadline_us: int, now_us: int) -> bool:
        return now_us - deadline_us > self.late_limit_us

    def shift(self, delta_us: int) -> None:
        """Resume: every pending deadline moves by `delta_us`."""
        self.pending = [(d + delta_us, i, p, v) for d, i, p, v in self.pending]

    def clear(self) -> None:
        """Clear and Abort: no pending cue, and cue ids may start again."""
        self.pending = []
        self.highest_id = -1
