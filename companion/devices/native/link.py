"""The native link: a wearable running our firmware protocol (firmware_protocol/SPEC.md).

The link keeps the device's clock synced and, in scheduled delivery, loads cues with
device-clock deadlines at least `horizon_s` ahead, so the device plays them on its own
clock and neither BLE latency nor a short drop reaches the person's skin. In immediate
delivery it writes "cue now" at each cue's moment, early by the estimated one-way
latency: what a simple band gets, and the baseline the benchmark measures against.

Connecting, backoff and reconnecting belong to the shared supervisor; this module holds
what is native: the handshake, clock sync and cue loading. All radio work happens in the
link's own task (`run`); the engine-facing methods only change the schedule and wake it.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import math
import random
from collections.abc import Sequence

from bleak import BleakClient

import firmware_protocol as fp
from companion.devices.capabilities import Capabilities, Timing
from companion.devices.clock_sync import POLICIES, PingPlanner
from companion.devices.host_timing import loop_wait, sleep_until
from companion.devices.link import Delivery, LinkStatus, TimedCue
from companion.devices.supervised import SupervisedLink
from companion.errors import DeviceError, PermanentLinkError, TransientLinkError
from companion.events import BatteryChanged, ButtonPressed, CueExecuted
from firmware_protocol import gatt
from firmware_protocol.clock import ClockEstimator, SampleVerdict
from firmware_protocol.codec import CUE_ENTRY_SIZE, LOAD_CUES_OVERHEAD
from firmware_protocol.messages import BATTERY_UNKNOWN

log = logging.getLogger(__name__)


PONG_TIMEOUT_S = 1.0
REPLY_TIMEOUT_S = 3.0
# While a session runs, the link looks this often whether a ping is due.
CHECK_S = 0.5
# In immediate delivery, re-sync only when the next cue is at least this far away.
IMMEDIATE_PING_GAP_S = 1.0
# Samples the clock estimator keeps.
CLOCK_WINDOW = 256
# An aimed ping waits at most this long for its connection event (else it leaves now).
AIM_WAIT_S = 1.0
# Cues the device holds are loaded again when a better clock estimate moves their device
# deadlines this far, as long as none of them is due within the reload margin.
REFINE_US = 150
REFINE_EVERY_S = 1.0
RELOAD_MARGIN_S = 0.6
# A cue reported this far from its deadline means our clock estimate is wrong: re-sync now.
SUSPECT_ONSET_S = 0.05
# A cue the device skipped that was due at most this long ago is played at once instead.
LATE_PLAY_S = 0.25
# What the native protocol promises before the device has told us more (SPEC.md).
PROFILE = "native"
_PULSE_MS = (10, 2550)


class NativeLink(SupervisedLink):
    """A link to one wearable speaking the backstretch protocol."""

    profile = PROFILE

    def prepare(self) -> None:
        self._capabilities: fp.Capabilities | None = None
        self._estimator = ClockEstimator(window=CLOCK_WINDOW)
        self._planner = PingPlanner(
            POLICIES[self.options.ping_policy],
            self._estimator,
            random.Random(self._rng.random()),
        )
        self._seq = 0
        self._reassembler = fp.Reassembler()
        self._fragmenters: dict[str, fp.Fragmenter] = {}
        # Replies in flight: Status/ErrorReport by the seq they answer, the Capabilities
        # that answer Hello, and pongs by the hub timestamp they echo.
        self._acks: dict[int, asyncio.Future[fp.Status | fp.ErrorReport]] = {}
        self._capabilities_reply: asyncio.Future[fp.Capabilities] | None = None
        self._pongs: dict[int, asyncio.Future[tuple[fp.TimeSyncPong, float]]] = {}
        # The schedule: cues not yet handed to the device (scheduled) or not yet written
        # (immediate); and the cues the device holds, by id, with the device deadline each
        # was loaded with.
        self._pending: list[TimedCue] = []
        self._loaded: dict[int, TimedCue] = {}
        self._loaded_us: dict[int, int] = {}
        self._last_refine = -math.inf
        self.refinements = 0
        # What the engine asked for since the task last ran; the task sends the messages.
        self._clear_needed = False
        self._pause_needed = False
        self._stop_needed = False
        self._alerts: list[str] = []
        # Cues the device skipped at their moment because its clock moved: play them now.
        self._play_now: list[TimedCue] = []
        self._resync_now = False
        # The highest cue id loaded since the last Clear or Abort (the device's rule).
        self._highest_id: int | None = None
        # Our mirror of the device's state, moved by what we send (firmware_protocol rules).
        self._device_state = fp.DeviceState.IDLE

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
        device = self._capabilities
        host_timed = self.options.delivery is Delivery.IMMEDIATE
        return Capabilities(
            timing=Timing.HOST if host_timed else Timing.DEVICE,
            reports_played=True,
            has_button=device.has_button if device is not None else True,
            reports_battery=True,
            pulse_ms=_PULSE_MS,
            intensity_levels=device.intensity_levels if device is not None else 255,
        )

    def play(self, cues: Sequence[TimedCue]) -> None:
        self._pending = sorted(cues, key=lambda cue: cue.deadline)
        self._clear_needed = self._clear_needed or bool(self._loaded)
        self._stop_needed = False
        self._wake.set()

    def pause(self) -> None:
        self._pending = []
        self._pause_needed = True
        self._wake.set()

    def stop(self) -> None:
        self._pending = []
        self._pause_needed = self._clear_needed = False
        self._stop_needed = True
        self._wake.set()

    def alert(self, pattern: str) -> None:
        self._alerts.append(pattern)
        self._wake.set()

    def holds_until(self) -> float:
        # The device plays what it holds on its own; it needs us for the first cue it was
        # not given yet (in immediate delivery, the next one to write).
        return self._pending[0].deadline if self._pending else math.inf

    # -- the link's own task ---------------------------------------------------------

    async def say_goodbye(self) -> None:
        if self._device_state is not fp.DeviceState.IDLE or self._stop_needed:
            with contextlib.suppress(fp.ProtocolError):
                await self._send(fp.Abort(seq=self._next_seq()))

    def _next_seq(self) -> int:
        # 0xFFFF is NO_SEQ, never a message's own number.
        self._seq = (self._seq + 1) % fp.NO_SEQ
        return self._seq

    # -- connecting ------------------------------------------------------------------

    async def set_up(self, client: BleakClient, *, first: bool) -> None:
        # A new connection restarts transfer ids in both directions, and its own events.
        self._reassembler = fp.Reassembler()
        self._estimator.new_link()
        payload = fp.att_payload_size(client.mtu_size)
        self._fragmenters = {
            gatt.CONTROL_CHAR_UUID: fp.Fragmenter(payload),
            gatt.DATA_CHAR_UUID: fp.Fragmenter(payload),
        }
        try:
            await self._handshake(client, first=first)
        except fp.ProtocolError as exc:
            raise TransientLinkError(f"{self.describe()} sent a malformed answer: {exc}") from exc

    async def _handshake(self, client: BleakClient, *, first: bool) -> None:
        """Subscribe, learn the device, sync its clock and pick up where it is."""
        if gatt.SERVICE_UUID not in {s.uuid for s in client.services}:
            raise PermanentLinkError(
                f"{self.describe()} is not a backstretch wearable: it has no backstretch service"
            )
        await client.start_notify(gatt.EVENT_CHAR_UUID, self._on_notify)
        # Hello and the pattern table on every connection: both change nothing on a device
        # that kept them, and a device that was reset (or a restarted simulator) needs them.
        self._capabilities = await self._hello()
        for table in fp.pattern_table_messages(self._capabilities, first_seq=self._next_seq()):
            self._seq = table.seq
            await self._request(table)
        await self._planner.connect_burst(self._sync, self._clock, first=first)
        status = await self._request(fp.RequestStatus(seq=self._next_seq()))
        self._device_state = status.state
        if not first:
            self._reconcile(status)
        quality = self._estimator.quality(self._clock())
        log.info(
            "%s: connected and synced (round trip %.1f ms)",
            self.describe(),
            quality.min_rtt_s * 1000,
        )

    def _reload(self) -> None:
        """Take back what the device holds, to load it again (after a Clear). A cue whose
        moment has passed stays: it was played, and its report may still be on its way."""
        now = self._clock()
        held = [cue for cue in self._loaded.values() if cue.deadline > now]
        self._pending = sorted([*held, *self._pending], key=lambda c: c.deadline)
        self._loaded = {i: c for i, c in self._loaded.items() if c.deadline <= now}
        self._loaded_us = {i: us for i, us in self._loaded_us.items() if i in self._loaded}

    def _reconcile(self, status: fp.Status) -> None:
        """After a reconnect: does the device still hold what we loaded? If not, reload."""
        caps = self._capabilities
        assert caps is not None
        # The status left the device about half a round trip ago; cues due before that
        # were played during the drop (their reports went nowhere).
        seen_at = self._clock() - self._estimator.quality(self._clock()).min_rtt_s / 2
        self._loaded = {i: c for i, c in self._loaded.items() if c.deadline > seen_at}
        self._loaded_us = {i: us for i, us in self._loaded_us.items() if i in self._loaded}
        held = caps.cue_buffer_size - status.free_cue_slots
        if held == len(self._loaded):
            return
        log.info(
            "%s holds %d cues where %d were expected: loading them again",
            self.describe(),
            held,
            len(self._loaded),
        )
        self._reload()
        self._clear_needed = True

    async def _sync(self, pings: int) -> None:
        """Ping the device `pings` times, feeding the clock estimator; each ping leaves when
        the planner says (just ahead of a connection event, where there are events)."""
        for _ in range(pings):
            now = self._clock()
            at = self._planner.send_at(now)
            if at - now <= AIM_WAIT_S:
                await sleep_until(at, self._clock)
            sent = self._clock()
            self._planner.sent(sent)
            ping = fp.TimeSyncPing.at(sent, seq=self._next_seq())
            future: asyncio.Future[tuple[fp.TimeSyncPong, float]] = (
                asyncio.get_running_loop().create_future()
            )
            self._pongs[ping.hub_timestamp_us] = future
            try:
                await self._send(ping)
                pong, received = await asyncio.wait_for(future, PONG_TIMEOUT_S)
            except TimeoutError:
                log.debug("%s: a time-sync pong did not come", self.describe())
                continue
            finally:
                self._pongs.pop(ping.hub_timestamp_us, None)
            verdict = self._estimator.add_pong(pong, received)
            self._planner.answered(pong.device_time_us)
            if verdict is SampleVerdict.CLOCK_JUMP:
                log.warning("%s: the device clock jumped; clock sync restarted", self.describe())
                # Deadlines already on the device were in its old time: load them again.
                self._reload()
        if not self._estimator.synced:
            raise DeviceError(f"{self.describe()} did not answer the clock sync")

    # -- serving a connection --------------------------------------------------------

    async def deliver(self) -> float:
        """One round of radio work; returns how long to wait before the next."""
        now = self._clock()
        if self._stop_needed:
            self._stop_needed = False
            self._loaded.clear()
            self._loaded_us.clear()
            await self._send(fp.Abort(seq=self._next_seq()))
        if self._pause_needed:
            # Stop the motor at once, then drop what it holds: the engine re-plans.
            self._pause_needed = False
            self._clear_needed = True
            if self._device_state is fp.DeviceState.PLAYING:
                await self._send(fp.Pause(seq=self._next_seq()))
        if self._clear_needed:
            self._clear_needed = False
            self._loaded.clear()
            self._loaded_us.clear()
            await self._send(fp.Clear(seq=self._next_seq()))
        while self._play_now:
            cue = self._play_now.pop(0)
            self._loaded[cue.cue_id] = cue
            pattern_id = fp.pattern_id(cue.pattern)
            await self._send(
                fp.CueNow(seq=self._next_seq(), cue_id=cue.cue_id, pattern_id=pattern_id)
            )
        while self._alerts:
            pattern = fp.pattern_id(self._alerts.pop(0))
            # Alerts use cue id 0xFFFF, which no plan reaches.
            await self._send(fp.CueNow(seq=self._next_seq(), cue_id=0xFFFF, pattern_id=pattern))
        busy = bool(self._pending or self._loaded)
        if self._can_ping(now):
            if self._resync_now:
                self._resync_now = False
                await self._sync(self._planner.policy.resync_burst)
            elif self._planner.due(now, busy=busy):
                await self._sync(1)
        if self.options.delivery is Delivery.IMMEDIATE:
            # No extra pings here: a round trip would hold up the next "cue now".
            return await self._deliver_immediate()
        self._refine(self._clock())
        wait = await self._deliver_scheduled()
        return min(wait, CHECK_S) if busy else wait

    def _refine(self, now: float) -> None:
        """Load again what the device holds when a better clock estimate moved its
        deadlines (a young estimate, drift measured at last), unless a cue is due too soon
        to risk the moment between the Clear and the reload."""
        if not self._loaded or now - self._last_refine < REFINE_EVERY_S:
            return
        held = [cue for cue in self._loaded.values() if cue.deadline > now]
        margin = max(RELOAD_MARGIN_S, 8 * self._estimator.quality(now).min_rtt_s)
        if not held or min(cue.deadline for cue in held) - now < margin:
            return
        self._last_refine = now
        moves = [
            abs(self._estimator.to_device_us(cue.deadline) - self._loaded_us[cue.cue_id])
            for cue in held
            if cue.cue_id in self._loaded_us
        ]
        moved = max(moves, default=0)
        if moved < REFINE_US:
            return
        log.debug("%s: clock estimate moved %d us; loading held cues again", self.describe(), moved)
        self.refinements += 1
        # Reloading ids the device already took clears it first (`_deliver_scheduled`).
        self._reload()

    def _can_ping(self, now: float) -> bool:
        """Pings take round trips: in immediate delivery, only while no cue is near."""
        if self.options.delivery is Delivery.SCHEDULED or not self._pending:
            return True
        return self._pending[0].deadline - now > IMMEDIATE_PING_GAP_S

    async def _deliver_scheduled(self) -> float:
        now = self._clock()
        # Forget cues whose moment is well past (their reports may have been lost).
        for cue_id in [i for i, c in self._loaded.items() if c.deadline < now - 2.0]:
            del self._loaded[cue_id]
            self._loaded_us.pop(cue_id, None)
        caps = self._capabilities
        assert caps is not None
        per_batch = max(1, (caps.max_message_size - LOAD_CUES_OVERHEAD) // CUE_ENTRY_SIZE)
        horizon = now + self.options.horizon_s
        loaded_any = False
        while self._pending and self._pending[0].deadline <= horizon:
            free = caps.cue_buffer_size - len(self._loaded)
            if free <= 0:
                break
            if self._highest_id is not None and self._pending[0].cue_id <= self._highest_id:
                # Cue ids must increase until a Clear: going back (a reload, a re-plan)
                # means clearing the device and loading what it held again.
                self._reload()
                await self._send(fp.Clear(seq=self._next_seq()))
                continue
            batch = self._pending[: min(free, per_batch)]
            batch = [cue for cue in batch if cue.deadline <= horizon]
            late = [cue for cue in batch if cue.deadline < now]
            for cue in late:
                log.info("%s: cue %d missed its moment", self.describe(), cue.cue_id)
            entries = tuple(
                fp.CueEntry(
                    cue_id=cue.cue_id,
                    deadline_us=self._estimator.to_device_us(cue.deadline),
                    pattern_id=fp.pattern_id(cue.pattern),
                )
                for cue in batch
                if cue.deadline >= now
            )
            if entries:
                await self._send(fp.LoadCues(seq=self._next_seq(), cues=entries))
                self._highest_id = entries[-1].cue_id
                loaded_any = True
            # Only a batch handed to the radio leaves the pending list: if the link fails
            # mid-way, what was not sent is still pending for the next connection.
            del self._pending[: len(batch)]
            self._loaded.update((cue.cue_id, cue) for cue in batch if cue.deadline >= now)
            self._loaded_us.update((entry.cue_id, entry.deadline_us) for entry in entries)
        if loaded_any:
            await self._arm_device()
        if self._pending:
            # Top up again when the earliest pending cue enters the horizon.
            return max(0.05, min(1.0, self._pending[0].deadline - horizon))
        return 1.0

    async def _deliver_immediate(self) -> float:
        while self._pending:
            cue = self._pending[0]
            # Write early by the one-way latency so the cue lands on time.
            one_way = self._estimator.quality(cue.deadline).min_rtt_s / 2
            write_at = cue.deadline - one_way
            wait = loop_wait(write_at, self._clock())
            if wait is not None:
                return wait
            await sleep_until(write_at, self._clock)
            self._pending.pop(0)
            if self._clock() - cue.deadline > 0.5:
                log.info("%s: cue %d missed its moment", self.describe(), cue.cue_id)
                continue
            self._loaded[cue.cue_id] = cue
            pattern = fp.pattern_id(cue.pattern)
            await self._send(fp.CueNow(seq=self._next_seq(), cue_id=cue.cue_id, pattern_id=pattern))
        return 1.0

    async def _arm_device(self) -> None:
        """Make the device play what it holds, from whatever state it is in."""
        if self._device_state in (fp.DeviceState.IDLE, fp.DeviceState.LOADED):
            await self._send(fp.Start(seq=self._next_seq()))
        elif self._device_state is fp.DeviceState.PAUSED:
            await self._send(fp.Resume(seq=self._next_seq()))

    # -- messages --------------------------------------------------------------------

    async def _send(self, message: fp.HubMessage) -> None:
        client = self._client
        if client is None or not client.is_connected:
            raise DeviceError(f"{self.describe()} is not connected")
        self._device_state = fp.transition(self._device_state, message)
        if isinstance(message, fp.Clear | fp.Abort):
            self._highest_id = None
        char = fp.characteristic_for(message)
        # The data characteristic is written without response: cue batches stream.
        with_response = char != gatt.DATA_CHAR_UUID
        for fragment in self._fragmenters[char].split(fp.encode(message)):
            await client.write_gatt_char(char, fragment, response=with_response)

    async def _hello(self) -> fp.Capabilities:
        future: asyncio.Future[fp.Capabilities] = asyncio.get_running_loop().create_future()
        self._capabilities_reply = future
        try:
            await self._send(fp.Hello(seq=self._next_seq()))
            return await asyncio.wait_for(future, REPLY_TIMEOUT_S)
        except TimeoutError:
            raise DeviceError(f"{self.describe()} did not answer Hello") from None
        finally:
            self._capabilities_reply = None

    async def _request(self, message: fp.HubMessage) -> fp.Status:
        """Send a control message and wait for the Status that acknowledges it."""
        future: asyncio.Future[fp.Status | fp.ErrorReport] = (
            asyncio.get_running_loop().create_future()
        )
        self._acks[message.seq] = future
        try:
            await self._send(message)
            answer = await asyncio.wait_for(future, REPLY_TIMEOUT_S)
        except TimeoutError:
            raise DeviceError(
                f"{self.describe()} did not answer {type(message).__name__}"
            ) from None
        finally:
            self._acks.pop(message.seq, None)
        if isinstance(answer, fp.ErrorReport):
            raise DeviceError(
                f"{self.describe()} refused {type(message).__name__}: {answer.code.name}"
            )
        return answer

    def _on_notify(self, _sender: object, data: bytearray) -> None:
        received = self._clock()
        # On BLE every notification arrives at a connection event: the lattice shows.
        self._estimator.observe_arrival(received)
        try:
            frame = self._reassembler.feed(bytes(data), received)
            if frame is None:
                return
            message = fp.decode(frame)
        except fp.ProtocolError as exc:
            log.warning("%s sent a malformed frame: %s", self.describe(), exc)
            return
        if isinstance(message, fp.TimeSyncPong):
            pong = self._pongs.get(message.hub_timestamp_us)
            if pong is not None and not pong.done():
                pong.set_result((message, received))
        elif isinstance(message, fp.CueExecuted):
            self._on_executed(message)
        elif isinstance(message, fp.ButtonPress):
            self._publish(ButtonPressed(device_id=self.id, press=message.kind.name.lower()))
        elif isinstance(message, fp.Status | fp.ErrorReport):
            self._on_reply(message)
        elif isinstance(message, fp.Capabilities):
            waiter = self._capabilities_reply
            if waiter is not None and not waiter.done():
                waiter.set_result(message)

    def _on_executed(self, message: fp.CueExecuted) -> None:
        cue = self._loaded.pop(message.cue_id, None)
        self._loaded_us.pop(message.cue_id, None)
        if cue is None:
            return
        if message.outcome is fp.CueOutcome.SKIPPED:
            now = self._clock()
            if cue.deadline > now + SUSPECT_ONSET_S:
                # The device thinks it is late for a cue we think is still to come: its
                # clock moved. Keep the cue, re-sync now, and load it again.
                bisect.insort(self._pending, cue, key=lambda c: c.deadline)
            elif cue.deadline > now - LATE_PLAY_S:
                # One due about now: better a round trip late than lost.
                self._play_now.append(cue)
            else:
                return
            self._estimator.expect_jump()
            self._resync_now = True
            self._wake.set()
            return
        t = self._estimator.to_hub(message.device_time_us)
        self._publish(CueExecuted(device_id=self.id, cue_id=message.cue_id, t=t))
        if abs(t - cue.deadline) > SUSPECT_ONSET_S:
            # Far off in our estimate of its clock: the clock jumped, or we drifted.
            self._estimator.expect_jump()
            self._resync_now = True
            self._wake.set()

    def _on_reply(self, message: fp.Status | fp.ErrorReport) -> None:
        if isinstance(message, fp.Status):
            self._on_status(message)
            self._answer(message.ack_seq, message)
        elif not self._answer(message.ref_seq, message):
            log.warning(
                "%s refused message %d: %s (detail %d)",
                self.describe(),
                message.ref_seq,
                message.code.name,
                message.detail,
            )

    def _answer(self, seq: int, message: fp.Status | fp.ErrorReport) -> bool:
        future = self._acks.get(seq)
        if future is None or future.done():
            return False
        future.set_result(message)
        return True

    def _on_status(self, status: fp.Status) -> None:
        battery = None if status.battery_percent == BATTERY_UNKNOWN else status.battery_percent
        if battery is not None and battery != self._battery:
            self._battery = battery
            self._publish(BatteryChanged(device_id=self.id, battery=battery))
