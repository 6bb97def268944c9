"""`backstretch sim` as its own process, reached over HCI on TCP by hubs that come and go."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from bleak import BleakClient, BleakScanner

from bench.onset import messages_per_minute
from companion.devices.radio import open_radio
from firmware_protocol.gatt import SERVICE_UUID
from firmware_protocol.messages import (
    Capabilities,
    CueEntry,
    CueExecuted,
    Hello,
    LoadCues,
    Start,
    Status,
    TimeSyncPing,
    TimeSyncPong,
)
from firmware_protocol.patterns import pattern_table_messages
from tests.ble.conftest import HubPeer

HUB_SCRIPT = """
import asyncio, sys
from bleak import BleakClient, BleakScanner
from bench.onset import messages_per_minute
from companion.devices.radio import open_radio

async def main(spec):
    async with open_radio(adapter=spec) as radio:
        device = await BleakScanner.find_device_by_filter(
            lambda d, a: (d.name or "").startswith("BackStretch"), timeout=5,
            **radio.scanner_args)
        client = BleakClient(device, timeout=5, **radio.client_args)
        await client.connect()
        print("connected", flush=True)
        await asyncio.sleep(60)

asyncio.run(main(sys.argv[1]))
"""


@dataclass
class SimProcess:
    process: asyncio.subprocess.Process
    spec: str
    trace: Path


@pytest.fixture
async def sim_process(tmp_path: Path) -> AsyncIterator[SimProcess]:
    trace = tmp_path / "trace.jsonl"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "companion",
        "sim",
        "--listen",
        "tcp-server:127.0.0.1:0",
        "--trace",
        str(trace),
        "-v",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    async with asyncio.timeout(15):
        line = (await process.stdout.readline()).decode()
    spec = line.rsplit("--adapter ", 1)[-1].strip()
    assert spec.startswith("tcp-client:127.0.0.1:"), line
    yield SimProcess(process, spec, trace)
    if process.returncode is None:
        process.kill()
        await process.wait()


async def stop(sim: SimProcess) -> tuple[int, str]:
    sim.process.send_signal(signal.SIGTERM)
    assert sim.process.stderr is not None
    async with asyncio.timeout(10):
        stderr = (await sim.process.stderr.read()).decode()
        code = await sim.process.wait()
    return code, stderr


async def test_a_hub_in_this_process_plays_cues_on_the_sim_process(sim_process: SimProcess) -> None:
    async with open_radio(adapter=sim_process.spec) as radio:
        device = await BleakScanner.find_device_by_filter(
            lambda _d, adv: SERVICE_UUID in adv.service_uuids,
            timeout=5,
            **radio.scanner_args,
        )
        assert device is not None
        assert (device.name or "").startswith("BackStretch-SIM-")
        async with BleakClient(device, timeout=5, **radio.client_args) as client:
            peer = HubPeer(client)
            await peer.start()
            await peer.send(Hello(seq=1))
            capabilities = await peer.next(Capabilities)
            assert isinstance(capabilities, Capabilities)
            for message in pattern_table_messages(capabilities, first_seq=2):
                await peer.send(message)
                await peer.next(Status)
            await peer.send(TimeSyncPing(seq=20, hub_timestamp_us=0))
            pong = await peer.next(TimeSyncPong)
            assert isinstance(pong, TimeSyncPong)
            cue = CueEntry(cue_id=1, deadline_us=pong.device_time_us + 100_000, pattern_id=3)
            await peer.send(LoadCues(seq=21, cues=(cue,)))
            await peer.next(Status)
            await peer.send(Start(seq=22))
            executed = await peer.next(CueExecuted)
            assert isinstance(executed, CueExecuted)
            assert executed.cue_id == 1
    code, stderr = await stop(sim_process)
    assert code == 0
    assert "Hello" in stderr  # -v logs what the wearable received, readably
    lines = [json.loads(line) for line in sim_process.trace.read_text().splitlines()]
    executed_lines = [line for line in lines if line["kind"] == "executed"]
    assert [(line["cue_id"], line["cue"]) for line in executed_lines] == [(1, "inhale")]
    (played,) = executed_lines
    assert isinstance(played["t"], float)
    assert isinstance(played["meant"], float)
    assert played["device"].startswith("BackStretch-SIM-")
    # The connection that ended left a line with what crossed it.
    (link,) = [line for line in lines if line["kind"] == "link"]
    assert link["device"] == played["device"]
    assert link["model"] == "jitter"
    assert link["to_device"] > 0
    assert link["from_device"] > 0
    assert link["since"] < played["t"] < link["t"]
    # And what the wearable received, by type: what the traffic was for.
    (messages,) = [line for line in lines if line["kind"] == "messages"]
    assert messages["device"] == played["device"]
    tables = len(pattern_table_messages(capabilities))
    assert messages["received"] == {
        "Hello": 1,
        "LoadCues": 1,
        "PatternTable": tables,
        "Start": 1,
        "TimeSyncPing": 1,
    }
    figures = messages_per_minute(lines)
    assert figures is not None
    minutes = (link["t"] - link["since"]) / 60
    assert figures["pings"] == pytest.approx(1 / minutes, abs=0.1)
    assert figures["ping_packets"] == pytest.approx(3 / minutes, abs=0.1)


async def test_a_hub_killed_while_connected_does_not_lock_out_the_next(
    sim_process: SimProcess,
) -> None:
    hub = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HUB_SCRIPT, sim_process.spec, stdout=asyncio.subprocess.PIPE
    )
    assert hub.stdout is not None
    async with asyncio.timeout(20):
        assert (await hub.stdout.readline()).strip() == b"connected"
    hub.kill()  # SIGKILL: no disconnect, no reset, the TCP connection just ends
    await hub.wait()
    async with open_radio(adapter=sim_process.spec) as radio:
        device = await BleakScanner.find_device_by_filter(
            lambda d, _adv: (d.name or "").startswith("BackStretch"),
            timeout=5,
            **radio.scanner_args,
        )
        assert device is not None
        async with BleakClient(device, timeout=5, **radio.client_args) as client:
            assert client.is_connected
    code, _ = await stop(sim_process)
    assert code == 0
