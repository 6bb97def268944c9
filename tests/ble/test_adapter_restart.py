"""The hub's adapter going away and coming back: a `backstretch sim` killed and restarted.

The central notices the transport closing, tells its connected clients, refuses connects
while it is away, and reopens the same transport until it answers; the links reconnect and
the session goes on with the cues that are left.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError
from bumble import gatt
from bumble.device import Connection

from companion.devices.bumble_backend import BumbleCentral, open_central
from firmware_protocol.gatt import SERVICE_UUID
from simulator import LocalLink, SimulatedWearable
from simulator.radio import HciTransportServer, local_device
from tests.daemon.test_processes import environment

STUCK_SERVICE_UUID = "6e1d0001-2c7f-4a55-9f7e-5b1d3f0c0a01"
STUCK_UUID = "6e1d0002-2c7f-4a55-9f7e-5b1d3f0c0a01"
# Generous: two cores shared with other test runs, and interpreters starting up.
PROCESS_TIMEOUT_S = 30.0
SESSION_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def bridge(link: LocalLink, wearable: SimulatedWearable) -> AsyncIterator[HciTransportServer]:
    """The simulator's HCI listener in this process, on a port it can be restarted on."""
    del wearable  # only wanted on the link
    server = HciTransportServer(link, "127.0.0.1", free_port())
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def adapter_central(bridge: HciTransportServer) -> AsyncIterator[BumbleCentral]:
    central = await open_central(f"tcp-client:127.0.0.1:{bridge.port}", seed=2)
    yield central
    await central.close()


async def test_a_lost_adapter_disconnects_refuses_connects_and_comes_back(
    bridge: HciTransportServer, adapter_central: BumbleCentral, wearable: SimulatedWearable
) -> None:
    heard = asyncio.Event()

    def on_advert(device: BLEDevice, _adv: AdvertisementData) -> None:
        if device.address == wearable.address:
            heard.set()

    disconnected = asyncio.Event()
    async with BleakScanner(on_advert, backend=adapter_central.scanner_backend):
        async with asyncio.timeout(10):
            await heard.wait()
        client = BleakClient(
            wearable.address,
            timeout=5,
            disconnected_callback=lambda _c: disconnected.set(),
            backend=adapter_central.client_backend,
        )
        await client.connect()

        # The simulator goes: its listener and the hub's TCP connection close.
        await bridge.close()
        async with asyncio.timeout(5):
            await disconnected.wait()
        assert not client.is_connected
        assert not adapter_central.available
        started = time.monotonic()
        with pytest.raises(BleakError, match="is not available"):
            await BleakClient(
                wearable.address, timeout=5, backend=adapter_central.client_backend
            ).connect()
        assert time.monotonic() - started < 0.5

        # Back on the same port: the scan that was running hears the wearable again.
        heard.clear()
        await bridge.start()
        async with asyncio.timeout(15):
            await heard.wait()
        async with BleakClient(
            wearable.address, timeout=5, backend=adapter_central.client_backend
        ) as again:
            assert SERVICE_UUID in {service.uuid for service in again.services}


async def test_a_request_in_flight_when_the_adapter_goes_fails_as_a_bleak_error(
    link: LocalLink, bridge: HciTransportServer, adapter_central: BumbleCentral
) -> None:
    # A peripheral that never answers a write: the request is still pending at the loss.
    # bumble cancels pending requests when a link drops, which must not look like the
    # caller being cancelled (a link task would die of it).
    written = asyncio.Event()

    async def never_answer(_connection: Connection, _value: bytes) -> None:
        written.set()
        await asyncio.Event().wait()

    value: gatt.CharacteristicValue[bytes] = gatt.CharacteristicValue(write=never_answer)
    stuck: gatt.Characteristic[bytes] = gatt.Characteristic(
        STUCK_UUID,
        gatt.Characteristic.Properties.WRITE,
        gatt.Characteristic.Permissions.WRITEABLE,
        value,
    )
    peripheral, _ = local_device("Stuck", "C4:44:44:44:44:44", link)
    peripheral.add_services([gatt.Service(STUCK_SERVICE_UUID, [stuck])])
    await peripheral.power_on()
    await peripheral.start_advertising(auto_restart=False)
    try:
        async with BleakClient(
            "C4:44:44:44:44:44", timeout=5, backend=adapter_central.client_backend
        ) as client:
            write = asyncio.ensure_future(client.write_gatt_char(STUCK_UUID, b"x", response=True))
            async with asyncio.timeout(5):
                await written.wait()
            await bridge.close()
            with pytest.raises(BleakError):
                async with asyncio.timeout(5):
                    await write
    finally:
        await peripheral.power_off()


async def test_closing_the_central_while_the_adapter_is_away_stops_the_reopening(
    bridge: HciTransportServer,
) -> None:
    central = await open_central(f"tcp-client:127.0.0.1:{bridge.port}", seed=3)
    await bridge.close()
    with pytest.raises(BleakError, match="was lost"):
        async with asyncio.timeout(5):
            await central.until_lost(asyncio.Event().wait())
    assert not central.available
    async with asyncio.timeout(5):
        await central.close()
    assert not central.available


# -- the simulator as its own process ------------------------------------------------


class Output:
    """Every line a process writes on one stream, read as it comes so the pipe never fills."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.lines: list[str] = []
        self._stream = stream
        self._changed = asyncio.Condition()
        self._ended = False
        self._task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        while line := await self._stream.readline():
            async with self._changed:
                self.lines.append(line.decode())
                self._changed.notify_all()
        async with self._changed:
            self._ended = True
            self._changed.notify_all()

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def count(self, needle: str) -> int:
        return sum(needle in line for line in self.lines)

    async def wait_for(
        self, needle: str, count: int = 1, timeout: float = PROCESS_TIMEOUT_S
    ) -> str:
        """The `count`-th line holding `needle`."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: self.count(needle) >= count or self._ended)
        except TimeoutError:
            raise AssertionError(
                f"no {needle!r} (x{count}) in {timeout:g} s:\n{self.text}"
            ) from None
        found = [line for line in self.lines if needle in line]
        if len(found) < count:
            raise AssertionError(f"stream ended before {needle!r} (x{count}):\n{self.text}")
        return found[count - 1]

    async def finish(self) -> str:
        await self._task
        return self.text


class Process:
    """`python -m companion ARGS`, its output followed line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        assert process.stderr is not None
        self.process = process
        self.stdout = Output(process.stdout)
        self.stderr = Output(process.stderr)

    @classmethod
    async def start(cls, tmp_path: Path, *args: str) -> Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "companion",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment(tmp_path),
        )
        return cls(process)

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        await self.stdout.finish()
        await self.stderr.finish()


@pytest.fixture
async def processes() -> AsyncIterator[list[Process]]:
    """Every process a test starts, killed at its end whatever happened."""
    started: list[Process] = []
    yield started
    for process in started:
        await process.stop()


async def start_sim(tmp_path: Path, port: int, trace: Path, processes: list[Process]) -> Process:
    sim = await Process.start(
        tmp_path, "sim", "--listen", f"tcp-server:127.0.0.1:{port}", "--trace", str(trace), "-v"
    )
    processes.append(sim)
    await sim.stdout.wait_for("hubs connect with --adapter")
    return sim


def executed_ids(trace: Path) -> list[int]:
    if not trace.exists():
        return []
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    return [line["cue_id"] for line in lines if line["kind"] == "executed"]


async def test_a_session_survives_its_simulator_killed_and_restarted_on_the_same_port(
    tmp_path: Path, processes: list[Process]
) -> None:
    port = free_port()
    first_trace, second_trace = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first = await start_sim(tmp_path, port, first_trace, processes)
    # About 17 s of cues at this speed: room to kill, restart and reconnect mid-way.
    hub = await Process.start(
        tmp_path,
        *("-v", "session", "one-minute-back", "--speed", "4", "--json"),
        *("--adapter", f"tcp-client:127.0.0.1:{port}"),
    )
    processes.append(hub)

    # Under way: the wearable has played a few cues.
    await first.stderr.wait_for("-> CueExecuted", count=3)
    first.process.send_signal(signal.SIGKILL)
    await first.process.wait()
    await hub.stderr.wait_for("lost the Bluetooth adapter")

    second = await start_sim(tmp_path, port, second_trace, processes)
    await hub.stderr.wait_for("is back")
    await second.stderr.wait_for("-> CueExecuted")

    async with asyncio.timeout(SESSION_TIMEOUT_S):
        code = await hub.process.wait()
    out, err = await hub.stdout.finish(), await hub.stderr.finish()
    assert code == 0, err
    assert json.loads(out)["status"] == "completed", out
    assert "Traceback" not in err
    second.process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(PROCESS_TIMEOUT_S):
        assert await second.process.wait() == 0
    # The restarted simulator played the cues that were left, none of the first one's.
    played_first, played_second = executed_ids(first_trace), executed_ids(second_trace)
    assert played_second, err
    assert min(played_second) > max(played_first, default=-1)
