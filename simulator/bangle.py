"""The simulated Bangle.js: a Nordic UART peripheral on bumble whose console is JavaScript.

Whatever the hub writes to the console goes to a Node.js process running
`simulator/banglejs/espruino.js`, an environment that behaves like Espruino where the hub
depends on it; what that console prints is notified back. So the player the hub uploads
really runs, in a real JavaScript engine, on timers of a drifting crystal. Each
`Bangle.buzz` the player starts is a motor start in host time; the first one after the
player reports a cue is that cue's onset in the trace, as the native simulator records it.

Faults are the native simulator's: latency and jitter on each direction (order kept), and
link drops during which the watch keeps playing what it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import shutil
import time
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, Any

from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.hci import HCI_Error

from firmware_protocol.patterns import PATTERNS_BY_ID
from simulator.clock import DeviceClock
from simulator.faults import DelayLine
from simulator.gatt_services import NUS_SERVICE_UUID, ConsoleGatt, build_console_gatt
from simulator.motor import Pulse, VirtualMotor
from simulator.options import SimOptions
from simulator.radio import SimController, drop_link, interrupt_link, local_device

if TYPE_CHECKING:
    from bumble.link import LocalLink

__all__ = ["SimulatedBangle", "node_binary"]

logger = logging.getLogger(__name__)

# getTime() at the simulator's start, before the configured offset: 2026-01-01 UTC.
WATCH_EPOCH = 1_767_225_600.0
ALERT_ID = 0xFFFF
# What the hub's console lines look like when they load cues or play one now.
_LOAD = re.compile(r"BS\.q\((\[.*?\])\)")
_NOW = re.compile(r"BS\.n\((\d+)\)")


def node_binary() -> str:
    """The Node.js that runs the watch's JavaScript; a clear error when there is none."""
    found = shutil.which("node") or shutil.which("nodejs")
    if found is None:
        raise RuntimeError(
            "the simulated Bangle.js needs Node.js: install it (sudo apt-get install nodejs)"
        )
    return found


class SimulatedBangle:
    """One simulated Bangle.js 2 on a virtual link. Runs in real time (`time.monotonic`)."""

    profile = "banglejs"

    def __init__(
        self,
        options: SimOptions,
        link: LocalLink,
        on_pulse: Callable[[Pulse], None] | None = None,
    ) -> None:
        self.options = options
        self.link = link
        self.device_clock = DeviceClock(options.clock_ppm, options.clock_offset_s, time.monotonic)
        self.motor = VirtualMotor(time.monotonic, 0.0, on_pulse)
        rng = random.Random(options.seed)
        self._rx = DelayLine(
            options.latency_ms / 1000, options.jitter_ms / 1000, random.Random(rng.random())
        )
        self._tx = DelayLine(
            options.latency_ms / 1000, options.jitter_ms / 1000, random.Random(rng.random())
        )
        self._air_rng = random.Random(rng.random())
        self._process: asyncio.subprocess.Process | None = None
        self._device: Device | None = None
        self._controller: SimController | None = None
        self._gatt: ConsoleGatt | None = None
        self._connection: Connection | None = None
        self._reachable = True
        self._running = False
        self._timers: list[asyncio.TimerHandle] = []
        self._tasks: set[asyncio.Task[None]] = set()
        # What the player was asked to play: cue id -> (pattern id, host deadline).
        self._cues: dict[int, tuple[int, float]] = {}
        self._started: int | None = None
        self._alert: int | None = None
        self._last_buzz_end = 0.0
        # What the screen shows now (["clock"]: the clock face), and every screen drawn.
        self.screen: list[str] = ["clock"]
        self.screens: list[list[str]] = []
        self.screen_changed = asyncio.Event()
        self.resets = 0
        # How many times a player was uploaded to this watch.
        self.uploads = 0
        self.errors: list[str] = []
        self.connections = 0
        self._console_ready = asyncio.Event()
        self._pending_text = ""

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def address(self) -> str:
        return self.options.address

    @property
    def trace(self) -> list[Pulse]:
        return self.motor.trace

    @property
    def connected(self) -> bool:
        return self._connection is not None

    # -- what a person does to the watch ---------------------------------------------

    def press_button(self, kind: str = "short") -> None:
        """A short (100 ms), long (1 s) or double press of the button."""
        press: int | str = {"short": 100, "long": 1000}.get(kind, kind)
        self._to_node({"press": press})

    def reset(self) -> None:
        """Reset the watch: every program and timer is forgotten (the clock face returns)."""
        self._to_node({"reset": True})

    def set_time_by(self, seconds: float) -> None:
        """Set the watch clock `seconds` on, as a phone's time sync would (`setTime`)."""
        self.console(f"setTime(getTime()+{seconds!r})")

    def set_battery(self, percent: int) -> None:
        """What `E.getBattery()` returns from now on."""
        self._to_node({"battery": percent})

    def console(self, source: str) -> None:
        """Run one line of JavaScript on the watch, as a person at the Web IDE would."""
        self._to_node({"rx": f"\x10{source}\n"})

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        options = self.options
        watch = {
            "ppm": options.clock_ppm,
            "offset": options.clock_offset_s,
            "base": WATCH_EPOCH,
            "epoch": self.device_clock.epoch,
            "battery": options.battery_pct,
        }
        script = resources.files("simulator").joinpath("banglejs/espruino.js")
        self._process = await asyncio.create_subprocess_exec(
            node_binary(),
            str(script),
            json.dumps(watch),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        self._spawn(self._read_console())
        await asyncio.wait_for(self._console_ready.wait(), 10)
        device, controller = local_device(
            options.name,
            options.address,
            self.link,
            air=options.air_options(),
            rng=self._air_rng,
        )
        self._device, self._controller = device, controller
        self._gatt = build_console_gatt(
            on_rx=self._receive, model="Bangle.js 2 (simulated)", firmware_revision="2v25-sim"
        )
        device.add_services(self._gatt.services)
        device.gatt_server.max_mtu = options.max_mtu
        device.on(Device.EVENT_CONNECTION, self._on_connection)
        await device.power_on()
        self._running = True
        loop = asyncio.get_running_loop()
        for at_s, for_s in options.drops:
            self._timers.append(loop.call_later(at_s, self.begin_outage, for_s))
        await self._advertise()

    async def stop(self) -> None:
        self._running = False
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self._rx.clear()
        self._tx.clear()
        controller, device = self._controller, self._device
        if controller is not None:
            drop_link(controller)
            controller.forget_host_state()
            if controller in self.link.controllers:
                self.link.remove_controller(controller)
        if device is not None:
            device.remove_all_listeners()
        self._connection = None
        process = self._process
        if process is not None and process.returncode is None:
            if process.stdin is not None:
                process.stdin.close()
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 2)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- radio -----------------------------------------------------------------------

    def _advertising_data(self) -> bytes:
        # As a Bangle.js: its name in the advertisement, the console service in the scan
        # response (both fit their 31 bytes).
        return bytes(
            AdvertisingData(
                [
                    (AdvertisingData.FLAGS, bytes([0x06])),
                    (AdvertisingData.COMPLETE_LOCAL_NAME, self.options.name.encode()[:27]),
                ]
            )
        )

    def _scan_response_data(self) -> bytes:
        uuid = UUID(NUS_SERVICE_UUID).to_bytes()
        return bytes(
            AdvertisingData([(AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, uuid)])
        )

    async def _advertise(self) -> None:
        device = self._device
        if device is None or not self._running or not self._reachable or self.connected:
            return
        if self.options.held:
            # Another central (a phone) holds it: a Bangle.js then does not advertise.
            logger.info("%s is held by another central: not advertising", self.name)
            return
        interval = self.options.advertising_interval_ms
        try:
            await device.start_advertising(
                advertising_data=self._advertising_data(),
                scan_response_data=self._scan_response_data(),
                advertising_interval_min=interval,
                advertising_interval_max=interval,
            )
        except HCI_Error:
            if self._stopped():
                return  # stopped while it was being set up: the controller is gone
            raise
        logger.info("%s advertising as %s", self.name, self.address)

    def _stopped(self) -> bool:
        # A method, not the attribute: `stop` may have run while an await was pending.
        return not self._running

    def _spawn(self, coroutine: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("simulated Bangle.js task failed", exc_info=task.exception())

    def _on_connection(self, connection: Connection) -> None:
        if not self._running or not self._reachable:
            self._spawn(connection.disconnect())
            return
        self._connection = connection
        self.connections += 1
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        self._to_node({"connected": True})
        logger.info("%s connected to %s", self.name, connection.peer_address)

    def _on_disconnection(self, reason: int) -> None:
        self._connection = None
        self._rx.clear()
        self._tx.clear()
        self._to_node({"connected": False})
        logger.info("%s disconnected (reason 0x%02X)", self.name, reason)
        if self._running and self._reachable:
            self._spawn(self._advertise())

    def begin_outage(self, for_s: float) -> None:
        """Unreachable for `for_s` seconds: the link goes down at once, or with the ble model
        when the silence outlasts its supervision timeout."""
        if not self._running:
            return
        logger.info("%s: link drop for %.1f s", self.name, for_s)
        self._reachable = False
        if self._device is not None:
            self._spawn(self._device.stop_advertising())
        if self._controller is not None:
            interrupt_link(self._controller, for_s)
        self._timers.append(asyncio.get_running_loop().call_later(for_s, self._end_outage))

    def _end_outage(self) -> None:
        self._reachable = True
        if self._running:
            self._spawn(self._advertise())

    # -- the console -----------------------------------------------------------------

    def _receive(self, value: bytes) -> None:
        text = value.decode("latin-1")
        self._rx.send(lambda: self._console_in(text))

    def _console_in(self, text: str) -> None:
        self._watch_commands(text)
        self._to_node({"rx": text})

    def _watch_commands(self, text: str) -> None:
        """Note what the player is asked to play, to name each motor start in the trace."""
        self._pending_text += text
        *lines, self._pending_text = self._pending_text.split("\n")
        for line in lines:
            if "var BS=" in line:
                self.uploads += 1
            for match in _LOAD.finditer(line):
                with contextlib.suppress(ValueError, TypeError, IndexError):
                    for entry in json.loads(match.group(1)):
                        cue_id, watch_t, pattern = int(entry[0]), float(entry[1]), int(entry[2])
                        host_t = self.device_clock.to_host(watch_t - WATCH_EPOCH)
                        self._cues[cue_id] = (pattern, host_t)
            for match in _NOW.finditer(line):
                self._alert = int(match.group(1))

    def _to_node(self, message: dict[str, Any]) -> None:
        process = self._process
        if process is None or process.stdin is None or process.stdin.is_closing():
            return
        process.stdin.write((json.dumps(message) + "\n").encode())

    async def _read_console(self) -> None:
        process = self._process
        assert process is not None
        assert process.stdout is not None
        while line := await process.stdout.readline():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            self._from_node(message)
        if self._running:
            logger.error("%s: the watch's JavaScript engine exited", self.name)

    def _from_node(self, message: dict[str, Any]) -> None:
        if message.get("ready"):
            self._console_ready.set()
        if isinstance(tx := message.get("tx"), str):
            self._console_out(tx)
        if isinstance(buzz := message.get("buzz"), dict):
            self._on_buzz(buzz)
        if isinstance(screen := message.get("screen"), list):
            self.screen = [str(item) for item in screen]
            self.screens.append(self.screen)
            self.screen_changed.set()
        if message.get("reset"):
            self.resets += 1
            self._cues.clear()
        if isinstance(error := message.get("error"), str):
            self.errors.append(error)
            logger.warning("%s console: %s", self.name, error)

    def _console_out(self, text: str) -> None:
        for line in text.splitlines():
            if line.startswith('{"bs":"e"'):
                with contextlib.suppress(ValueError, TypeError):
                    self._started = int(json.loads(line)["i"])
        self._notify(text.encode())

    def _notify(self, data: bytes) -> None:
        def deliver() -> None:
            device, gatt, connection = self._device, self._gatt, self._connection
            if device is None or gatt is None or connection is None:
                return
            size = max(20, connection.att_mtu - 3)
            for start in range(0, len(data), size):
                chunk = data[start : start + size]
                self._spawn(device.notify_subscriber(connection, gatt.tx, chunk))

        self._tx.send(deliver)

    def _on_buzz(self, buzz: dict[str, Any]) -> None:
        t, ms = float(buzz["t"]), float(buzz["ms"])
        cue_id, self._started = self._started, None
        if cue_id is None:
            # A buzz with no cue report before it starts a pattern only after a pause (an
            # alert); the others continue the pattern already recorded.
            if t - self._last_buzz_end < 0.3 or self._alert is None:
                self._last_buzz_end = t + ms / 1000
                return
            pattern, deadline = self._alert, t
            cue_id, self._alert = ALERT_ID, None
        else:
            pattern, deadline = self._cues.pop(cue_id, (0, t))
        self._last_buzz_end = t + ms / 1000
        known = PATTERNS_BY_ID.get(pattern)
        self.motor.record(
            Pulse(
                cue_id=cue_id,
                pattern=known.name if known else "unknown",
                t=t,
                device_t=self.device_clock.to_device(t),
                deadline=deadline,
                on_ms=sum(s.on_ms for s in known.segments) if known else ms,
            )
        )
