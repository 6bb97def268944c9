"""Host-timed delivery: reaching a moment on the hub's clock as closely as the loop allows.

asyncio's timer fires about 1 ms late at the median (DESIGN: "Timers have a floor"), so the
last 2 ms are spent reading the clock instead, yielding to the loop between reads so that
another device's cue is never held up by this one's wait.
"""

from __future__ import annotations

import asyncio

from companion.clocks import Clock

# How early the timer wakes before the moment; the rest is spent spinning on the clock.
SPIN_S = 0.002
# A moment further off than this is waited for in the link's serve loop, where a new
# schedule can wake it (waking this early, less 10 ms); a nearer one with `sleep_until`.
NEAR_S = 0.02


def loop_wait(moment: float, now: float) -> float | None:
    """How long a serve loop should wait before `moment`, or None when it is near enough
    to wait for with `sleep_until`."""
    ahead = moment - now
    return ahead - 0.01 if ahead > NEAR_S else None


async def sleep_until(deadline: float, clock: Clock) -> None:
    """Return at `deadline` on `clock` (or at once when it is past)."""
    remaining = deadline - clock()
    if remaining > SPIN_S:
        await asyncio.sleep(remaining - SPIN_S)
    # Polling is the point here: no event marks a moment more closely than the clock does.
    while clock() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0)
