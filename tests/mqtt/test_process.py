"""`backstretch session --mqtt` as a real process: killed, terminated, and what it logs."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.mqtt.conftest import Broker, watching

pytestmark = pytest.mark.mqtt

PASSWORD = "hunter2-sekrit"


@pytest.fixture
def hub_process(broker: Broker, hub_id: str, tmp_path: Path) -> Iterator[HubProcess]:
    """A slow session mirrored on the broker, with a password in the URL and debug logs.

    Its output goes to a file (`-vv` writes more than a pipe holds).
    """
    url = f"mqtt://ann:{PASSWORD}@127.0.0.1:{broker.port}"
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "companion", "-vv", "session", "one-minute-back"]
    command += ["--sim", "--speed", "2", "--mqtt", url, "--hub-id", hub_id]
    output = tmp_path / "output.txt"
    with output.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    hub = HubProcess(process, output)
    yield hub
    if process.poll() is None:
        process.kill()
    process.wait(10)


@dataclass
class HubProcess:
    process: subprocess.Popen[bytes]
    output: Path

    async def finished(self) -> tuple[int, str]:
        code = await asyncio.to_thread(self.process.wait, 20)
        return code, self.output.read_text(errors="replace")


async def test_a_killed_hub_is_seen_offline(
    broker: Broker, hub_id: str, hub_process: HubProcess
) -> None:
    base = f"backstretch/{hub_id}"
    async with watching(broker, f"{base}/#") as watcher:
        await watcher.wait_json(f"{base}/state", 30.0, session="running")
        mark = len(watcher.seen)
        os.kill(hub_process.process.pid, signal.SIGKILL)
        # The broker publishes the will when the connection drops.
        await watcher.wait_for(
            lambda m: m.topic == f"{base}/status" and m.payload == b"offline", start=mark
        )
        assert await asyncio.to_thread(hub_process.process.wait, 10) == -signal.SIGKILL
        assert not [m for m in watcher.seen[mark:] if m.topic == f"{base}/event"]


async def test_sigterm_stops_the_session_says_offline_and_logs_no_password(
    broker: Broker, hub_id: str, hub_process: HubProcess
) -> None:
    base = f"backstretch/{hub_id}"
    async with watching(broker, f"{base}/#") as watcher:
        await watcher.wait_json(f"{base}/state", 30.0, session="running")
        mark = len(watcher.seen)
        hub_process.process.send_signal(signal.SIGTERM)
        offline = await watcher.wait_for(
            lambda m: m.topic == f"{base}/status" and m.payload == b"offline", start=mark
        )
        after = watcher.seen[mark : watcher.seen.index(offline)]
        ended = [m.json() for m in after if m.topic == f"{base}/event"]
        # The session was stopped (its wearable told) before the hub went offline.
        assert ended[-1]["event_type"] == "session_ended"
        assert ended[-1]["status"] == "stopped"
        assert "signal" in ended[-1]["reason"]
        states = [m.json()["session"] for m in after if m.topic == f"{base}/state"]
        assert states[-1] == "stopped"
    code, output = await hub_process.finished()
    assert code == 130
    assert "the wearable was told to stop" in output
    assert "MQTT connected to mqtt://ann@127.0.0.1" in output  # debug logs were on
    assert PASSWORD not in output


@pytest.fixture
def daemon_process(
    broker: Broker, hub_id: str, tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`backstretch run --mqtt`: the configured mirror is one of the daemon's services."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "companion", "run", "--sim"]
    command += ["--mqtt", broker.url, "--hub-id", hub_id]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(10)


async def test_the_daemon_mirrors_takes_a_start_command_and_says_offline_on_sigterm(
    broker: Broker, hub_id: str, daemon_process: subprocess.Popen[bytes]
) -> None:
    base = f"backstretch/{hub_id}"
    async with watching(broker, f"{base}/#") as watcher:
        await watcher.wait_json(f"{base}/event", 30.0, event_type="device_connected")
        await watcher.publish(f"{base}/session/set", '{"action": "start", "request_id": "r1"}')
        await watcher.wait_json(f"{base}/session/result", 10.0, request_id="r1", status="ok")
        await watcher.wait_json(f"{base}/state", 10.0, session="countdown")
        mark = len(watcher.seen)
        daemon_process.send_signal(signal.SIGTERM)
        await watcher.wait_for(
            lambda m: m.topic == f"{base}/status" and m.payload == b"offline", start=mark
        )
        assert await asyncio.to_thread(daemon_process.wait, 10) == 0
