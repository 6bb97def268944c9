"""MQTT command latency: from publishing `start` to receiving `state` with `countdown`.

Starts its own mosquitto on a free loopback port, a hub with one simulated wearable and
the MQTT mirror, then a separate client sends N start commands (each followed by a stop)
and times each round trip. Prints one JSON object. Target: p99 under 50 ms.

    .venv/bin/python bench/mqtt_latency.py [--commands 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiomqtt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from companion.devices.radio import open_radio
from companion.hub import Hub
from companion.mqtt import MqttSettings
from companion.mqtt.mirror import MqttMirror
from routines import load_library
from simulator import SimOptions


@contextlib.contextmanager
def mosquitto(*, nodelay: bool = True) -> Iterator[int]:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        sys.exit("mosquitto is not installed (sudo apt-get install mosquitto)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as directory:
        config = Path(directory) / "mosquitto.conf"
        config.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            # mosquitto's default leaves Nagle on: replies would wait on delayed ACKs (40 ms).
            f"set_tcp_nodelay {'true' if nodelay else 'false'}\n",
            "utf-8",
        )
        process = subprocess.Popen(
            [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            for _ in range(250):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                time.sleep(0.02)
            yield port
        finally:
            os.kill(process.pid, signal.SIGTERM)
            process.wait(5)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def wait_state(client: aiomqtt.Client, topic: str, session: str) -> None:
    async for message in client.messages:
        payload = message.payload
        if (
            message.topic.value == topic
            and isinstance(payload, bytes)
            and json.loads(payload)["session"] == session
        ):
            return


async def measure(port: int, commands: int) -> list[float]:
    settings = MqttSettings.from_url(f"mqtt://127.0.0.1:{port}", hub_id="bench")
    hub = Hub(load_library(None))
    state = f"{settings.hub_topic}/state"
    command = f"{settings.hub_topic}/session/set"
    latencies: list[float] = []
    async with open_radio(sim=[SimOptions()]) as radio:
        await hub.connect(radio)
        async with (
            MqttMirror(hub, settings) as mirror,
            aiomqtt.Client(
                "127.0.0.1",
                port,
                identifier="bench-client",
                socket_options=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),),
            ) as client,
        ):
            await mirror.wait_connected()
            await client.subscribe(state, qos=1)
            await asyncio.wait_for(wait_state(client, state, "idle"), 10)
            for n in range(commands):
                start = time.perf_counter()
                await client.publish(
                    command, json.dumps({"action": "start", "request_id": n}), qos=1
                )
                await asyncio.wait_for(wait_state(client, state, "countdown"), 10)
                latencies.append((time.perf_counter() - start) * 1000.0)
                await client.publish(command, "stop", qos=1)
                await asyncio.wait_for(wait_state(client, state, "aborted"), 10)
        await hub.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument(
        "--broker-nagle",
        action="store_true",
        help="leave mosquitto's default (set_tcp_nodelay false) to see what it costs",
    )
    args = parser.parse_args()
    with mosquitto(nodelay=not args.broker_nagle) as port:
        latencies = asyncio.run(measure(port, args.commands))
    print(
        json.dumps(
            {
                "benchmark": "mqtt_start_to_countdown_state",
                "commands": len(latencies),
                "p50_ms": round(percentile(latencies, 0.50), 2),
                "p99_ms": round(percentile(latencies, 0.99), 2),
                "max_ms": round(max(latencies), 2),
                "target_p99_ms": 50.0,
                "broker_tcp_nodelay": not args.broker_nagle,
                "machine": {
                    "python": platform.python_version(),
                    "system": platform.platform(),
                    "cpus": os.cpu_count(),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
