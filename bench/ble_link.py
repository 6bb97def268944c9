"""BLE link figures on this machine, printed as one JSON object.

- connect_ms: discover (scan until the wearable is heard) + connect + ATT MTU exchange + GATT
  discovery + subscribe, through bleak on the bumble backend, to a simulated wearable.
- rtt_ms: write a RequestStatus, wait for its Status notification (median, p99), in one
  process on a virtual link, and across processes over HCI on TCP loopback (`backstretch sim`).
- motor_onset_ms: how late the virtual motor starts after its deadline, with the default
  2 ms early wake and busy-wait, and on asyncio's timer alone.

Run: .venv/bin/python bench/ble_link.py [--round-trips N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic

from companion.devices.radio import Radio, open_radio
from firmware_protocol import codec, framing
from firmware_protocol.gatt import CONTROL_CHAR_UUID, EVENT_CHAR_UUID, SERVICE_UUID
from firmware_protocol.messages import RequestStatus, Status
from simulator import SimOptions
from simulator.motor import Pulse, VirtualMotor


def summary(values_s: list[float]) -> dict[str, float]:
    ordered = sorted(values_s)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "p50": round(statistics.median(ordered) * 1000, 3),
        "p99": round(p99 * 1000, 3),
        "max": round(ordered[-1] * 1000, 3),
    }


async def connect_and_measure(radio: Radio, round_trips: int) -> tuple[float, list[float]]:
    """(connect time, write->notify round trips), both in seconds."""
    started = time.perf_counter()
    device = await BleakScanner.find_device_by_filter(
        lambda _d, adv: SERVICE_UUID in adv.service_uuids, timeout=10, **radio.scanner_args
    )
    if device is None:
        raise SystemExit("no simulated wearable found")
    async with BleakClient(device, timeout=10, **radio.client_args) as client:
        received: asyncio.Queue[bytes] = asyncio.Queue()
        reassembler = framing.Reassembler()

        def on_event(_char: BleakGATTCharacteristic, data: bytearray) -> None:
            message = reassembler.feed(bytes(data), time.monotonic())
            if message is not None:
                received.put_nowait(message)

        await client.start_notify(EVENT_CHAR_UUID, on_event)
        connect_s = time.perf_counter() - started
        fragmenter = framing.Fragmenter(framing.att_payload_size(client.mtu_size))
        rtts: list[float] = []
        for index in range(round_trips):
            frames = fragmenter.split(codec.encode(RequestStatus(seq=index)))
            sent = time.perf_counter()
            for frame in frames:
                await client.write_gatt_char(CONTROL_CHAR_UUID, frame, response=False)
            while not isinstance(codec.decode(await received.get()), Status):
                pass
            rtts.append(time.perf_counter() - sent)
    return connect_s, rtts


async def in_process(round_trips: int) -> dict[str, Any]:
    async with open_radio(sim=[SimOptions()]) as radio:
        connect_s, rtts = await connect_and_measure(radio, round_trips)
    return {"connect_ms": round(connect_s * 1000, 1), "rtt_ms": summary(rtts)}


async def across_processes(round_trips: int) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "companion",
        "sim",
        "--listen",
        "tcp-server:127.0.0.1:0",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        spec = line.rsplit("--adapter ", 1)[-1].strip()
        async with open_radio(adapter=spec) as radio:
            connect_s, rtts = await connect_and_measure(radio, round_trips)
    finally:
        process.terminate()
        await process.wait()
    return {"connect_ms": round(connect_s * 1000, 1), "rtt_ms": summary(rtts)}


async def motor_onsets(spin_s: float, count: int = 200) -> dict[str, float]:
    clock: Callable[[], float] = time.monotonic
    motor = VirtualMotor(clock, spin_s)
    done = asyncio.Event()
    lateness: list[float] = []

    def fire(deadline: float) -> Callable[[float], Pulse | None]:
        def played(started_at: float) -> Pulse | None:
            lateness.append(started_at - deadline)
            if len(lateness) == count:
                done.set()
            return None

        return played

    start = clock() + 0.05
    for index in range(count):
        deadline = start + index * 0.005
        motor.schedule(index, deadline, fire(deadline))
    await done.wait()
    return summary(lateness)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round-trips", type=int, default=500)
    args = parser.parse_args()
    result = {
        "machine": f"{platform.machine()} {platform.system()} Python {platform.python_version()}",
        "in_process": await in_process(args.round_trips),
        "tcp_loopback": await across_processes(args.round_trips),
        "motor_onset_ms": {
            "spin_2ms": await motor_onsets(0.002),
            "asyncio_timer_only": await motor_onsets(0.0),
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
