"""`backstretch run --sim` and `backstretch mqtt forget` as processes, as a person runs them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

# Hub processes never outlive the test run (see `HaRoot.command`).
_SETPRIV = shutil.which("setpriv")


def hub_environment(directory: Path) -> dict[str, str]:
    """The caller's environment with the hub's files in `directory` and no BACKSTRETCH_*
    settings from outside, so every run is the same hub."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKSTRETCH_")}
    env.update(XDG_CONFIG_HOME=str(directory / "config"), XDG_STATE_HOME=str(directory / "state"))
    return env


# The hub's entities that Home Assistant creates disabled (they change too often to record).
DISABLED_BY_DEFAULT = frozenset({"phase"})


def entity_ids(hub_id: str) -> dict[str, str]:
    """The entity id Home Assistant gives each of the hub's entities, by component key."""
    from companion.mqtt.discovery import entity_slug

    platforms = {
        "start": "button",
        "stop": "button",
        "routine": "select",
        "session": "sensor",
        "step": "sensor",
        "phase": "sensor",
        "ends_at": "sensor",
        "sessions_today": "sensor",
        "battery": "sensor",
        "wearable": "binary_sensor",
        "pace": "number",
        "schedule": "switch",
        "events": "event",
    }
    return {
        key: f"{platform}.{entity_slug(f'backstretch_{hub_id}_{key}')}"
        for key, platform in platforms.items()
    }


class HubProcess:
    """One `backstretch run --sim --mqtt URL --hub-id ID`; output in `directory/hub.log`.

    Start it from the main thread. `started_at` is when it was launched (monotonic s).
    """

    def __init__(self, broker_url: str, hub_id: str, directory: Path) -> None:
        self.broker_url = broker_url
        self.hub_id = hub_id
        self.directory = directory
        self.output = directory / "hub.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        directory.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        command = [sys.executable, "-m", "companion", "run", "--sim"]
        command += ["--mqtt", self.broker_url, "--hub-id", self.hub_id]
        if _SETPRIV:
            command = [_SETPRIV, "--pdeathsig", "KILL", "--", *command]
        self.started_at = time.monotonic()
        with self.output.open("ab") as sink:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=hub_environment(self.directory),
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM, as a service manager stops it; its exit code."""
        return await self._signal(signal.SIGTERM, timeout)

    async def kill(self) -> int:
        return await self._signal(signal.SIGKILL, 10.0)

    async def _signal(self, signum: signal.Signals, timeout: float) -> int:
        assert self.process is not None, "the hub was never started"
        self.process.send_signal(signum)
        return await asyncio.to_thread(self.process.wait, timeout)

    def close(self) -> None:
        """For teardown: SIGKILL if it still runs; never raises."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)

    def log(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""


async def forget(broker_url: str, hub_id: str, directory: Path) -> tuple[int, str]:
    """`backstretch mqtt forget`; its exit code and output."""
    command = [sys.executable, "-m", "companion", "mqtt", "forget"]
    command += ["--mqtt", broker_url, "--hub-id", hub_id]
    done = await asyncio.to_thread(
        subprocess.run,
        command,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=hub_environment(directory),
    )
    return done.returncode, done.stdout + done.stderr
