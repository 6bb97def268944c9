"""The device's cue buffer and its semantic checks (SPEC.md, "Loading cues").

Sans-IO and shared by the simulated wearable and any Python firmware, so that every device
refuses the same batches with the same error codes: a past deadline, a reused cue id, a batch
over the free slots, an unknown pattern. Times are device-clock microseconds.
"""

from __future__ import annotations

import bisect
from collections.abc import Container, Sequence
from typing import Final

from firmware_protocol.codec import CUE_ENTRY_SIZE, LOAD_CUES_OVERHEAD
from firmware_protocol.errors import ErrorCode, ProtocolError
from firmware_protocol.messages import CueEntry, CueOutcome

# A cue found more than this late (device busy, or deadline passed while disconnected) is
# skipped and reported as SKIPPED: a breath cue felt 100 ms off the screen is already wrong.
LATE_LIMIT_US: Final = 100_000
_MAX_BATCH: Final = 255  # the cue count is a u8


def cue_batches(
    cues: Sequence[CueEntry], max_message_size: int, max_cues: int | None = None
) -> list[tuple[CueEntry, ...]]:
    """`cues` cut into LoadCues-sized batches, in order (hub side).

    Each batch encodes within `max_message_size` (the device's) and holds at most 255 cues,
    and at most `max_cues` (e.g. the free slots the last Status reported).
    """
    per_message = min(_MAX_BATCH, (max_message_size - LOAD_CUES_OVERHEAD) // CUE_ENTRY_SIZE)
    if max_cues is not None:
        per_message = min(per_message, max_cues)
    if per_message < 1:
        raise ProtocolError(
            f"a {max_message_size}-byte message with room for {max_cues} cues cannot carry one "
            "cue; wait for free slots",
            ErrorCode.BUFFER_FULL if max_cues == 0 else ErrorCode.MESSAGE_TOO_LARGE,
        )
    return [tuple(cues[i : i + per_message]) for i in range(0, len(cues), per_message)]


def scaled_intensity(segment_intensity: int, cue_intensity: int) -> int:
    """A segment's strength as a cue plays it: 255 x 255 stays 255, anything x 0 is off.

    Two non-zero strengths never scale down to off: a cue that was meant to be felt is felt.
    """
    if not segment_intensity or not cue_intensity:
        return 0
    return max(1, (segment_intensity * cue_intensity + 127) // 255)


class CueBuffer:
    """Pending cues ordered by deadline, with the checks a device applies to each batch.

    Cue ids must strictly increase from batch to batch (and within a batch) until the next
    Clear or Abort: the device only remembers the highest id it accepted, so a batch the hub
    sends twice is refused (CUE_ID_REUSED) instead of played twice.
    """

    def __init__(self, capacity: int, *, late_limit_us: int = LATE_LIMIT_US) -> None:
        if capacity < 1:
            raise ValueError("a cue buffer holds at least one cue")
        self.capacity = capacity
        self.late_limit_us = late_limit_us
        self._cues: list[tuple[int, int, CueEntry]] = []  # (deadline, cue id, cue)
        self._highest_id: int | None = None

    def __len__(self) -> int:
        return len(self._cues)

    @property
    def free_slots(self) -> int:
        return self.capacity - len(self._cues)

    @property
    def pending(self) -> tuple[CueEntry, ...]:
        """The cues not yet played, earliest deadline first."""
        return tuple(cue for _, _, cue in self._cues)

    @property
    def highest_cue_id(self) -> int | None:
        """The highest cue id accepted since the last clear, None if none."""
        return self._highest_id

    def check(
        self,
        cues: Sequence[CueEntry],
        now_us: int,
        known_patterns: Container[int] | None = None,
    ) -> None:
        """Raises ProtocolError (detail: the offending cue id) if the batch must be refused."""
        if len(cues) > self.free_slots:
            raise ProtocolError(
                f"the batch holds {len(cues)} cues but only {self.free_slots} of "
                f"{self.capacity} slots are free",
                ErrorCode.BUFFER_FULL,
                detail=len(cues),
            )
        previous = self._highest_id
        for cue in cues:
            if previous is not None and cue.cue_id <= previous:
                raise ProtocolError(
                    f"cue id {cue.cue_id} is not above {previous}, the highest id already "
                    "used; ids must increase until Clear or Abort",
                    ErrorCode.CUE_ID_REUSED,
                    detail=cue.cue_id,
                )
            previous = cue.cue_id
            if cue.deadline_us < now_us:
                raise ProtocolError(
                    f"cue {cue.cue_id} has a deadline {now_us - cue.deadline_us} us in the past",
                    ErrorCode.DEADLINE_PASSED,
                    detail=cue.cue_id,
                )
            if known_patterns is not None and cue.pattern_id not in known_patterns:
                raise ProtocolError(
                    f"cue {cue.cue_id} uses pattern {cue.pattern_id}, which is not in the "
                    "device's pattern table",
                    ErrorCode.UNKNOWN_PATTERN,
                    detail=cue.cue_id,
                )

    def load(
        self,
        cues: Sequence[CueEntry],
        now_us: int,
        known_patterns: Container[int] | None = None,
    ) -> None:
        """Adds a whole batch, or nothing at all if `check` refuses it."""
        self.check(cues, now_us, known_patterns)
        for cue in cues:
            bisect.insort(self._cues, (cue.deadline_us, cue.cue_id, cue))
        if cues:
            self._highest_id = cues[-1].cue_id

    def next_deadline_us(self) -> int | None:
        """When the next cue is due, for the device's timer; None when empty."""
        return self._cues[0][0] if self._cues else None

    def pop_due(self, now_us: int) -> list[tuple[CueEntry, CueOutcome]]:
        """Removes the cues due at `now_us`, earliest first, each with what to do with it.

        PLAYED: start its pattern now. SKIPPED: it is more than `late_limit_us` late; do not
        play it, report it.
        """
        due: list[tuple[CueEntry, CueOutcome]] = []
        while self._cues and self._cues[0][0] <= now_us:
            deadline, _, cue = self._cues.pop(0)
            late = now_us - deadline > self.late_limit_us
            due.append((cue, CueOutcome.SKIPPED if late else CueOutcome.PLAYED))
        return due

    def shift(self, delta_us: int) -> None:
        """Moves every pending deadline by `delta_us` (Resume)."""
        self._cues = [(d + delta_us, i, _moved(c, delta_us)) for d, i, c in self._cues]

    def clear(self) -> None:
        """Drops every pending cue and forgets the used ids (Clear, Abort)."""
        self._cues = []
        self._highest_id = None


def _moved(cue: CueEntry, delta_us: int) -> CueEntry:
    return CueEntry(
        cue_id=cue.cue_id,
        deadline_us=cue.deadline_us + delta_us,
        pattern_id=cue.pattern_id,
        intensity=cue.intensity,
    )
