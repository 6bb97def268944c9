"""The Immediate Alert link: a band the hub can only tell "buzz now".

Such a band (InfiniTime on a PineTime, and others with the Immediate Alert service) holds
nothing ahead and reports nothing back: every buzz is one write of the Alert Level
characteristic at its moment, early by the estimated one-way latency, as immediate delivery
does. The latency comes from the shortest round trips of a few reads at connect (the
battery level, or the model number). Radio jitter therefore reaches the skin, a drop loses
what falls in it (the engine pauses the session, since the band holds nothing), and nothing
says whether a buzz was felt: the band may have its notifications switched off, and the
hub cannot know.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bleak import BleakClient

from companion.devices.capabilities import Capabilities, Timing
from companion.devices.host_timing import loop_wait, sleep_until
from companion.devices.ias.patterns import BUZZ_MS, rhythm
from companion.devices.link import LinkStatus, TimedCue
from companion.devices.supervised import SupervisedLink
from companion.errors import PermanentLinkError
from companion.events import BatteryChanged
from firmware_protocol import gatt

log = logging.getLogger(__name__)

PROFILE = "ias"
IMMEDIATE_ALERT_SERVICE_UUID = "00001802-0000-1000-8000-00805f9b34fb"
ALERT_LEVEL_CHAR_UUID = "00002a06-0000-1000-8000-00805f9b34fb"
# "Mild alert". InfiniTime buzzes the same for any level; others may ring longer for "high".
MILD_ALERT = b"\x01"
# Round trips at connect; the shortest tells the one-way latency best.
LATENCY_PROBES = 8
# A buzz this late is not sent at all: felt out of step, it would only confuse.
MISSED_AFTER_S = 0.3
# Within this of a buzz the link sends nothing else (a read would hold the buzz up).
QUIET_S = 1.0
BATTERY_EVERY_S = 300.0
# At most this long to finish the pattern under way when the link closes, and the margin
# given the last write to arrive before disconnecting.
FINISH_LIMIT_S = 1.5
LANDING_S = 0.05
# A reminder's first buzz leaves this long after it is asked for, so it is not already late.
ALERT_LEAD_S = 0.05


def capabilities(*, battery: bool) -> Capabilities:
    """What an Immediate Alert band can do: one fixed buzz, timed by the hub, unreported."""
    return Capabilities(
        timing=Timing.HOST,
        reports_played=False,
        has_button=False,
        reports_battery=battery,
        pulse_ms=(BUZZ_MS, BUZZ_MS),
        intensity_levels=1,
    )


@dataclass(frozen=True, slots=True)
class _Buzz:
    """One alert write: when it should be felt, and the cue it belongs to (-1: a reminder)."""

    at: float
    cue_id: int
    deadline: float


class AlertLink(SupervisedLink):
    """A link to one band with the Immediate Alert service."""

    profile = PROFILE

    def prepare(self) -> None:
        # Buzzes still to send, by when they should be felt.
        self._buzzes: list[_Buzz] = []
        self._min_rtt_s: float | None = None
        # The cue whose first buzz was sent last (its pattern may still be under way), and
        # when the last buzz sent was meant to be felt.
        self._begun: int | None = None
        self._last_at = -math.inf
        self._has_battery = False
        self._battery_at = -math.inf

    # -- engine-facing, non-blocking -------------------------------------------------

    @property
    def status(self) -> LinkStatus:
        rtt = self._min_rtt_s
        # The band has no clock the hub can read: no drift.
        return self.link_status(clock_rtt_ms=round(rtt * 1000, 2) if rtt is not None else None)

    @property
    def capabilities(self) -> Capabilities:
        return capabilities(battery=self._has_battery)

    def play(self, cues: Sequence[TimedCue]) -> None:
        reminders = [buzz for buzz in self._buzzes if buzz.cue_id < 0]
        session = [
            _Buzz(cue.deadline + offset / 1000, cue.cue_id, cue.deadline)
            for cue in cues
            for offset in rhythm(cue.pattern)
        ]
        self._buzzes = sorted([*reminders, *session], key=lambda buzz: buzz.at)
        self._wake.set()

    def pause(self) -> None:
        self._buzzes = [buzz for buzz in self._buzzes if buzz.cue_id < 0]
        self._wake.set()

    def stop(self) -> None:
        # The pattern under way (the end cue's, as a rule) plays out; nothing after it.
        begun = self._begun
        self._buzzes = [b for b in self._buzzes if b.cue_id < 0 or b.cue_id == begun]
        self._wake.set()

    def alert(self, pattern: str) -> None:
        start = self._clock() + ALERT_LEAD_S + self._one_way()
        for offset in rhythm(pattern):
            at = start + offset / 1000
            bisect.insort(self._buzzes, _Buzz(at, -1, start), key=lambda buzz: buzz.at)
        self._wake.set()

    def holds_until(self) -> float:
        # The band holds nothing: the hub is needed for the next buzz of the session.
        return next((b.deadline for b in self._buzzes if b.cue_id >= 0), math.inf)

    async def close(self) -> None:
        # The band holds nothing: a pattern under way (the end cue's) needs us to finish it,
        # and the last buzz sent needs the link a moment longer to land.
        rest = [b.at for b in self._buzzes if b.cue_id >= 0 and b.cue_id == self._begun]
        until = max([*rest, self._last_at]) + self._one_way() + LANDING_S
        if self._client is not None and until > self._clock():
            await asyncio.sleep(min(FINISH_LIMIT_S, until - self._clock()))
        self._buzzes.clear()
        await super().close()

    def _one_way(self) -> float:
        return self._min_rtt_s / 2 if self._min_rtt_s is not None else 0.0

    # -- connecting ------------------------------------------------------------------

    async def set_up(self, client: BleakClient, *, first: bool) -> None:
        services = {service.uuid for service in client.services}
        if IMMEDIATE_ALERT_SERVICE_UUID not in services:
            raise PermanentLinkError(
                f"{self.describe()} cannot be buzzed: it has no Immediate Alert service"
            )
        self._has_battery = gatt.BATTERY_SERVICE_UUID in services
        probe = self._probe_characteristic(client)
        if probe is not None and (first or self._min_rtt_s is None):
            await self._measure_latency(client, probe)
        if self._has_battery:
            await self._read_battery(client)
        log.info(
            "%s: connected, host-timed (one way %.1f ms%s)",
            self.describe(),
            self._one_way() * 1000,
            "" if probe is not None else ", unmeasured: nothing to read",
        )

    def _probe_characteristic(self, client: BleakClient) -> str | None:
        """A characteristic to time round trips with (reads change nothing on the band)."""
        for uuid in (gatt.BATTERY_LEVEL_CHAR_UUID, gatt.MODEL_NUMBER_CHAR_UUID):
            found = client.services.get_characteristic(uuid)
            if found is not None and "read" in found.properties:
                return uuid
        return None

    async def _measure_latency(self, client: BleakClient, uuid: str) -> None:
        best = math.inf
        for _ in range(LATENCY_PROBES):
            sent = self._clock()
            await client.read_gatt_char(uuid)
            best = min(best, self._clock() - sent)
        self._min_rtt_s = best

    async def _read_battery(self, client: BleakClient) -> None:
        self._battery_at = self._clock()
        value = await client.read_gatt_char(gatt.BATTERY_LEVEL_CHAR_UUID)
        if len(value) >= 1 and 0 <= value[0] <= 100 and value[0] != self._battery:
            self._battery = value[0]
            self._publish(BatteryChanged(device_id=self.id, battery=value[0]))

    # -- serving a connection --------------------------------------------------------

    async def deliver(self) -> float:
        """Send the next buzz at its moment; returns how long to wait before the next round."""
        client = self._client
        if client is None:
            return 1.0
        now = self._clock()
        self._forget_missed(now)
        one_way = self._one_way()
        buzz = self._buzzes[0] if self._buzzes else None
        write_at = buzz.at - one_way if buzz is not None else math.inf
        battery_due = self._has_battery and now - self._battery_at >= BATTERY_EVERY_S
        if battery_due and write_at - now > QUIET_S:
            await self._read_battery(client)
        if buzz is None:
            return 1.0
        wait = loop_wait(write_at, now)
        if wait is not None:
            return min(1.0, wait)
        await sleep_until(write_at, self._clock)
        if not self._buzzes or self._buzzes[0] is not buzz:
            return 0.0  # re-planned (paused, skipped) while it waited
        del self._buzzes[0]
        if buzz.cue_id >= 0:
            self._begun = buzz.cue_id
        self._last_at = buzz.at
        await client.write_gatt_char(ALERT_LEVEL_CHAR_UUID, MILD_ALERT, response=False)
        return 0.0

    def _forget_missed(self, now: float) -> None:
        missed = [buzz for buzz in self._buzzes if buzz.at < now - MISSED_AFTER_S]
        if not missed:
            return
        self._buzzes = self._buzzes[len(missed) :]
        for cue_id in sorted({buzz.cue_id for buzz in missed if buzz.cue_id >= 0}):
            log.info("%s: cue %d missed its moment", self.describe(), cue_id)
