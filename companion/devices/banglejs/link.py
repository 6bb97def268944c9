"""The Bangle.js link: a watch running Espruino, driven through a player the hub uploads.

On each connection the link clears the console line, asks which player runs and uploads
ours when there is none (a reset watch) or another version, then syncs the watch clock:
tagged `getTime()` round trips through the project's clock estimator. Cues are loaded a
lead time ahead with deadlines on the watch clock; the player arms one timer per cue and
reports each cue it started, with the watch time it started. So BLE latency and a short
drop never reach the person's skin, as with the native profile.

One difference from the native protocol: the player's timers are relative (`setTimeout`),
so a `setTime` on the watch moves its clock but not what it already holds. The link notices
the jump on its next ping, restarts the estimate, and reloads what is still to come so
that every deadline is in the watch's new time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import math
import random
from collections.abc import Sequence
from typing import Any, TypeGuard

from bleak import BleakClient

from companion.devices.banglejs.console import (
    CLEAR_LINE,
    NUS_RX_UUID,
    NUS_SERVICE_UUID,
    NUS_TX_UUID,
    ConsoleReader,
    command,
    player_source,
    version_query,
)
from companion.devices.banglejs.patterns import pattern_table
from companion.devices.capabilities import Capabilities, Timing
from companion.devices.clock_sync import POLICIES, PingPlanner
from companion.devices.host_timing import sleep_until
from companion.devices.link import Delivery, LinkStatus, TimedCue
from companion.devices.supervised import SupervisedLink
from companion.errors import DeviceError, PermanentLinkError
from companion.events import BatteryChanged, ButtonPressed, CueExecuted
from firmware_protocol.clock import ClockEstimator, SampleVerdict
from firmware_protocol.patterns import pattern_id

log = logging.getLogger(__name__)

PROFILE = "banglejs"
# Bumped whenever player.js changes, so a watch running an older one gets the new one.
PLAYER_VERSION = "bs3"

REPLY_TIMEOUT_S = 2.0
# While a session runs, the link looks this often whether a ping is due.
CHECK_S = 0.5
CLOCK_WINDOW = 256
# An aimed ping waits at most this long for its connection event (else it leaves now).
AIM_WAIT_S = 1.0
# Cues the watch holds are sent again when a better clock estimate moves their deadlines
# this far (the player replaces a cue's timer by id, so nothing is cleared).
REFINE_US = 150
REFINE_EVERY_S = 1.0
REFINE_MARGIN_S = 0.6
# The watch says its battery level only when asked: at connect, then this often.
BATTERY_EVERY_S = 300.0
# In immediate delivery, ask the watch things (a ping, the battery) only this far from a cue.
IMMEDIATE_QUIET_S = 1.0
# Cues per `BS.q` call: a line stays a few hundred bytes.
BATCH = 12
# A cue reported this far from its deadline means the clock estimate is wrong: re-sync.
SUSPECT_ONSET_S = 0.05
# Bangle.buzz takes 1-5000 ms; the player's strengths span 0.4-1.0 in steps of 0.01.
CAPABILITIES = Capabilities(
    timing=Timing.DEVICE,
    reports_played=True,
    has_button=True,
    reports_battery=True,
    pulse_ms=(1, 5000),
    intensity_levels=61,
)


class BangleLink(SupervisedLink):
    """A link to one Bangle.js watch."""

    profile = PROFILE

    def prepare(self) -> None:
        self._chunk = 20
        self._reader = ConsoleReader()
        self._battery_at = -math.inf
        self._estimator = ClockEstimator(window=CLOCK_WINDOW)
        self._planner = PingPlanner(
            POLICIES[self.options.ping_policy],
            self._estimator,
            random.Random(self._rng.random()),
        )
        # The watch deadline (seconds, as sent) each held cue was loaded with.
        self._loaded_at: dict[int, float] = {}
        self._last_refine = -math.inf
        self.refinements = 0
        self._tag = 0
        self._answers: dict[tuple[str, int], asyncio.Future[tuple[dict[str, Any], float]]] = {}
        self._version: asyncio.Future[dict[str, Any]] | None = None
        # The schedule: cues not yet on the watch, and the ones it holds, by id.
        self._pending: list[TimedCue] = []
        self._loaded: dict[int, TimedCue] = {}
        # What the watch shows: exercise titles by index, and when the session ends.
        self._titles: list[str] = []
        self._screen_sent: tuple[tuple[str, ...], float] | None = None
        self._clear_needed = False
        self._stop_needed = False
        self._alerts: list[str] = []
        self._resync_now = False

    # -- engine-facing, non-blocking -------------------------------------------------

    @property
    def status(self) -> LinkStatus:
        quality = self._estimator.quality(self._clock()) if self._estimator.synced else None
        return self.link_status(
            clock_rtt_ms=round(quality.min_rtt_s * 1000, 2) if quality else None,
            clock_drift_ppm=round(quality.drift_ppm, 1) if quality else None,
        )

    @property
    def capabilities(self) -> Capabilities:
        if self.options.delivery is Delivery.IMMEDIATE:
            return dataclasses.replace(CAPABILITIES, timing=Timing.HOST)
        return CAPABILITIES

    def play(self, cues: Sequence[TimedCue]) -> None:
        self._pending = sorted(cues, key=lambda cue: cue.deadline)
        self._clear_needed = self._clear_needed or bool(self._loaded)
        self._stop_needed = False
        self._wake.set()

    def pause(self) -> None:
        self._pending = []
        self._clear_needed = True
        self._wake.set()

    def stop(self) -> None:
        self._pending = []
        self._clear_needed = False
        self._stop_needed = True
        self._wake.set()

    def alert(self, pattern: str) -> None:
        self._alerts.append(pattern)
        self._wake.set()

    def holds_until(self) -> float:
        return self._pending[0].deadline if self._pending else math.inf

    async def say_goodbye(self) -> None:
        if self._stop_needed or self._loaded:
            with contextlib.suppress(DeviceError):
                await self._run("BS.x()")

    # -- connecting ------------------------------------------------------------------

    async def set_up(self, client: BleakClient, *, first: bool) -> None:
        self._reader = ConsoleReader()
        # A new connection has its own connection events.
        self._estimator.new_link()
        # Writes go in chunks of one ATT payload (20 bytes at the default MTU).
        self._chunk = max(20, client.mtu_size - 3)
        if NUS_SERVICE_UUID not in {s.uuid for s in client.services}:
            raise PermanentLinkError(
                f"{self.describe()} is not a Bangle.js: it has no Nordic UART service"
            )
        await client.start_notify(NUS_TX_UUID, self._on_notify)
        await self._write(CLEAR_LINE)
        running = await self._player_version()
        if running != PLAYER_VERSION:
            if running is None and not first:
                log.info("%s was reset: uploading the player again", self.describe())
            await self._install()
        await self._planner.connect_burst(self._sync, self._clock, first=first)
        await self._query_battery()
        quality = self._estimator.quality(self._clock())
        log.info(
            "%s: connected, player %s, synced (round trip %.1f ms)",
            self.describe(),
            PLAYER_VERSION,
            quality.min_rtt_s * 1000,
        )

    async def _check_player(self) -> None:
        if await self._player_version() == PLAYER_VERSION:
            log.warning("%s console: %s", self.describe(), "; ".join(self._reader.other[-2:]))
            return
        log.warning("%s was reset: uploading the player and what it held", self.describe())
        await self._install()
        self._resync_now = True

    async def _install(self) -> None:
        """Upload the player and its pattern table; what the watch held is to load again
        (a reset watch forgot every timer)."""
        await self._upload()
        self._reload()
        self._screen_sent = None
        steps, words = pattern_table()
        await self._run(f"BS.t({json.dumps(steps)},{json.dumps(words)})")

    async def _player_version(self) -> str | None:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._version = future
        try:
            await self._run(version_query())
            answer = await asyncio.wait_for(future, REPLY_TIMEOUT_S)
        except TimeoutError:
            raise DeviceError(
                f"{self.describe()} did not answer on its console (is it a Bangle.js "
                "running Espruino?)"
            ) from None
        finally:
            self._version = None
        version = answer.get("v")
        return version if isinstance(version, str) else None

    async def _upload(self) -> None:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._version = future
        try:
            await self._run(player_source(PLAYER_VERSION))
            answer = await asyncio.wait_for(future, REPLY_TIMEOUT_S * 3)
        except TimeoutError:
            console = "; ".join(self._reader.other[-3:]) or "nothing"
            raise DeviceError(
                f"{self.describe()} did not start the player (the console said: {console})"
            ) from None
        finally:
            self._version = None
        if answer.get("v") != PLAYER_VERSION:
            raise DeviceError(f"{self.describe()} runs player {answer.get('v')!r} after upload")

    def _reload(self) -> None:
        """Take back what the watch holds, to load it again. A cue whose moment has passed
        stays: it was played, and its report may still be on its way."""
        now = self._clock()
        held = [cue for cue in self._loaded.values() if cue.deadline > now]
        self._pending = sorted([*held, *self._pending], key=lambda cue: cue.deadline)
        self._loaded = {i: c for i, c in self._loaded.items() if c.deadline <= now}
        self._loaded_at = {i: t for i, t in self._loaded_at.items() if i in self._loaded}

    async def _sync(self, pings: int) -> None:
        for _ in range(pings):
            tag = self._next_tag()
            now = self._clock()
            at = self._planner.send_at(now)
            if at - now <= AIM_WAIT_S:
                await sleep_until(at, self._clock)
            sent = self._clock()
            self._planner.sent(sent)
            try:
                answer, received = await self._ask("y", tag, f"BS.y({tag})")
            except TimeoutError:
                log.debug("%s: a clock ping was not answered", self.describe())
                continue
            watch_t = answer.get("t")
            if not _is_number(watch_t):
                continue
            watch_us = round(watch_t * 1_000_000)
            verdict = self._estimator.add(sent, watch_us, received)
            self._planner.answered(watch_us)
            if verdict is SampleVerdict.CLOCK_JUMP:
                log.warning("%s: the watch clock was set; clock sync restarted", self.describe())
                # Held cues play on relative timers, but any loaded after the jump was
                # converted with the old time: load everything still to come again. The
                # player replaces a cue's timer by id, so nothing is cleared first (a clear
                # sent after this reload would take the reloaded cues too).
                self._reload()
        if not self._estimator.synced:
            raise DeviceError(f"{self.describe()} did not answer the clock sync")

    async def _query_battery(self) -> None:
        tag = self._next_tag()
        self._battery_at = self._clock()
        with contextlib.suppress(TimeoutError):
            answer, _ = await self._ask("b", tag, f"BS.b({tag})")
            level = answer.get("v")
            if _is_number(level) and 0 <= level <= 100:
                battery = round(level)
                if battery != self._battery:
                    self._battery = battery
                    self._publish(BatteryChanged(device_id=self.id, battery=battery))

    # -- serving a connection --------------------------------------------------------

    async def deliver(self) -> float:
        """One round of console work; returns how long to wait before the next."""
        now = self._clock()
        if self._stop_needed:
            self._stop_needed = False
            self._loaded.clear()
            self._screen_sent = None
            await self._run("BS.x()")
        if self._clear_needed:
            self._clear_needed = False
            self._loaded.clear()
            await self._run("BS.c()")
        while self._alerts:
            await self._run(f"BS.n({pattern_id(self._alerts.pop(0))})")
        if self._reader.errors:
            # Calls to the player failed: was the watch reset? Then it holds nothing.
            self._reader.errors = 0
            await self._check_player()
        busy = bool(self._pending or self._loaded)
        quiet = self._quiet(now)
        if self._resync_now and quiet:
            self._resync_now = False
            await self._sync(self._planner.policy.resync_burst)
        elif quiet and self._planner.due(now, busy=busy):
            await self._sync(1)
        if quiet and now - self._battery_at >= BATTERY_EVERY_S:
            await self._query_battery()
        if self.options.delivery is Delivery.SCHEDULED:
            self._refine(self._clock())
        wait = await self._load()
        return min(wait, CHECK_S) if self._pending or self._loaded else wait

    def _refine(self, now: float) -> None:
        """Send again what the watch holds when a better clock estimate moved its deadlines
        (the player replaces a cue by id), unless a cue is due too soon to touch."""
        if not self._loaded or now - self._last_refine < REFINE_EVERY_S:
            return
        held = [cue for cue in self._loaded.values() if cue.deadline > now]
        if not held or min(cue.deadline for cue in held) - now < REFINE_MARGIN_S:
            return
        self._last_refine = now
        moves = [
            abs(self._estimator.to_device_us(cue.deadline) / 1e6 - self._loaded_at[cue.cue_id])
            for cue in held
            if cue.cue_id in self._loaded_at
        ]
        if max(moves, default=0.0) * 1_000_000 < REFINE_US:
            return
        self.refinements += 1
        self._reload()

    def _quiet(self, now: float) -> bool:
        """Can the link spend a round trip now? Always when the watch holds the cues; in
        immediate delivery only while no cue is near (a reply would hold the next one up)."""
        if self.options.delivery is Delivery.SCHEDULED or not self._pending:
            return True
        return self._pending[0].deadline - now > IMMEDIATE_QUIET_S

    async def _load(self) -> float:
        now = self._clock()
        for cue_id in [i for i, c in self._loaded.items() if c.deadline < now - 2.0]:
            del self._loaded[cue_id]
        immediate = self.options.delivery is Delivery.IMMEDIATE
        horizon = now + (0.0 if immediate else self.options.horizon_s)
        if immediate and self._pending:
            # Host-timed: each cue goes out at its moment, early by the one-way latency,
            # and the player plays it on arrival.
            one_way = self._estimator.quality(now).min_rtt_s / 2
            horizon = now + one_way
            first = self._pending[0].deadline - one_way - now
            if first > 0.002:
                return first
        batch = [cue for cue in self._pending if cue.deadline <= horizon][:BATCH]
        while batch:
            await self._show(batch)
            entries = [
                [
                    cue.cue_id,
                    round(self._estimator.to_device_us(cue.deadline) / 1_000_000, 4),
                    pattern_id(cue.pattern),
                    self._title_index(cue.step),
                ]
                for cue in batch
            ]
            await self._run(f"BS.q({json.dumps(entries, separators=(',', ':'))})")
            del self._pending[: len(batch)]
            self._loaded.update((cue.cue_id, cue) for cue in batch)
            self._loaded_at.update((int(entry[0]), float(entry[1])) for entry in entries)
            batch = [cue for cue in self._pending if cue.deadline <= horizon][:BATCH]
        if self._pending:
            lead = 0.0 if immediate else self.options.horizon_s
            return max(0.002, min(1.0, self._pending[0].deadline - lead - self._clock()))
        return 1.0

    def _title_index(self, step: str) -> int:
        if not step:
            return -1
        if step not in self._titles:
            self._titles.append(step)
        return self._titles.index(step)

    async def _show(self, batch: Sequence[TimedCue]) -> None:
        """Tell the player the exercise titles and when the session ends, when they change."""
        for cue in batch:
            self._title_index(cue.step)
        last = max(
            (c.deadline for c in (*self._pending, *self._loaded.values())), default=self._clock()
        )
        ends = round(self._estimator.to_device_us(last) / 1_000_000, 1)
        screen = (tuple(self._titles), ends)
        if screen != self._screen_sent:
            self._screen_sent = screen
            await self._run(f"BS.s({json.dumps(self._titles)},{ends})")

    # -- the console -----------------------------------------------------------------

    def _next_tag(self) -> int:
        self._tag = (self._tag + 1) % 1_000_000
        return self._tag

    async def _run(self, source: str) -> None:
        await self._write(command(source))

    async def _write(self, data: bytes) -> None:
        client = self._client
        if client is None or not client.is_connected:
            raise DeviceError(f"{self.describe()} is not connected")
        for start in range(0, len(data), self._chunk):
            await client.write_gatt_char(
                NUS_RX_UUID, data[start : start + self._chunk], response=False
            )

    async def _ask(self, kind: str, tag: int, source: str) -> tuple[dict[str, Any], float]:
        """Run `source` and wait for the answer tagged `tag`: (answer, hub time it came)."""
        future: asyncio.Future[tuple[dict[str, Any], float]] = (
            asyncio.get_running_loop().create_future()
        )
        self._answers[(kind, tag)] = future
        try:
            await self._run(source)
            return await asyncio.wait_for(future, REPLY_TIMEOUT_S)
        finally:
            self._answers.pop((kind, tag), None)

    def _on_notify(self, _sender: object, data: bytearray) -> None:
        received = self._clock()
        # On BLE every notification arrives at a connection event: the lattice shows.
        self._estimator.observe_arrival(received)
        for message in self._reader.feed(bytes(data)):
            self._on_message(message, received)

    def _on_message(self, message: dict[str, Any], received: float) -> None:
        kind = message.get("bs")
        if kind in ("y", "b"):
            tag = message.get("g")
            future = self._answers.get((str(kind), tag)) if _is_id(tag) else None
            if future is not None and not future.done():
                future.set_result((message, received))
        elif kind == "v":
            waiter = self._version
            if waiter is not None and not waiter.done():
                waiter.set_result(message)
        elif kind == "e":
            self._on_started(message)
        elif kind == "m":
            self._on_missed(message)
        elif kind == "k" and message.get("k") in ("short", "long", "double"):
            self._publish(ButtonPressed(device_id=self.id, press=str(message["k"])))

    def _on_started(self, message: dict[str, Any]) -> None:
        cue_id, watch_t = message.get("i"), message.get("t")
        if not _is_id(cue_id) or not _is_number(watch_t):
            return
        cue = self._loaded.pop(cue_id, None)
        if cue is None or not self._estimator.synced:
            return
        t = self._estimator.to_hub(round(watch_t * 1_000_000))
        self._publish(CueExecuted(device_id=self.id, cue_id=cue_id, t=t))
        if abs(t - cue.deadline) > SUSPECT_ONSET_S:
            self._estimator.expect_jump()
            self._resync_now = True
            self._wake.set()

    def _on_missed(self, message: dict[str, Any]) -> None:
        """The player got a cue already past in its clock: our estimate is off. Re-sync and
        load it again if it is still to come."""
        cue_id = message.get("i")
        cue = self._loaded.pop(cue_id, None) if _is_id(cue_id) else None
        if cue is None:
            return
        if cue.deadline > self._clock() + SUSPECT_ONSET_S:
            self._pending = sorted([cue, *self._pending], key=lambda c: c.deadline)
            self._estimator.expect_jump()
            self._resync_now = True
            self._wake.set()
        else:
            log.info("%s: cue %d missed its moment", self.describe(), cue.cue_id)


# What the watch prints is parsed JSON from a device: check each value's kind before use
# (JSON's true is an int to Python, and NaN or an infinity would poison the estimate).
def _is_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
