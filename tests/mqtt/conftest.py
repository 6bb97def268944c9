"""A real mosquitto broker, a hub with a simulated wearable, and a subscriber that watches.

The broker is the `mosquitto` binary on a free 127.0.0.1 port with its own config in a
temp dir, stopped by its PID. Without mosquitto the tests skip, except in CI (`CI=true`),
where a missing broker is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from companion.events import SessionEnded, Subscription
from companion.hub import Hub
from companion.mqtt import MqttSettings
from companion.mqtt.mirror import MqttMirror
from routines import load_library
from simulator import SimOptions, SimulatedWearable

STARTUP_TIMEOUT_S = 10.0
# A broker dies with the process that started it (setpriv's parent-death signal), so not
# even a killed test run leaves one behind. Start it from the main thread: the signal
# follows the thread that started it.
_SETPRIV = shutil.which("setpriv")


def mosquitto_binary() -> str:
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if found is None:
        message = "the mosquitto broker is not installed (`make test` installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Broker:
    """One mosquitto process; `stop` and `start` again keep the port (no persistence)."""

    def __init__(
        self, binary: str, directory: Path, port: int | None = None, extra_config: str = ""
    ) -> None:
        self.binary = binary
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.config = directory / "mosquitto.conf"
        self.log = directory / "mosquitto.log"
        anonymous = "" if "allow_anonymous" in extra_config else "allow_anonymous true\n"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            f"{anonymous}"
            "persistence false\n"
            "set_tcp_nodelay true\n"
            # Run as root, mosquitto would switch to its own user and lose the temp dir.
            f"user {getpass.getuser()}\n"
            f"{extra_config}",
            encoding="utf-8",
        )

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            command = [self.binary, "-c", str(self.config)]
            if _SETPRIV:
                command = [_SETPRIV, "--pdeathsig", "KILL", "--", *command]
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text(errors='replace')}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            time.sleep(0.02)
        raise RuntimeError(f"mosquitto did not listen on port {self.port}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """One broker for the whole run; tests keep apart by using their own hub ids."""
    running = Broker(mosquitto_binary(), tmp_path_factory.mktemp("mosquitto"))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Broker]:
    """A broker of the test's own, for tests that stop and restart it."""
    running = Broker(mosquitto_binary(), tmp_path)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def hub_id() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


# -- a subscriber ---------------------------------------------------------------------


@dataclass
class Seen:
    topic: str
    payload: bytes
    retain: bool
    # When the watcher took it (monotonic seconds).
    received: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class Watcher:
    """A plain MQTT client that records everything on its subscriptions, in order."""

    client: aiomqtt.Client
    seen: list[Seen] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def pump(self) -> None:
        async for message in self.client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else b""
            self.seen.append(Seen(message.topic.value, payload, message.retain))
            self._changed.set()

    def on(self, topic: str) -> list[Seen]:
        return [m for m in self.seen if m.topic == topic]

    async def wait_for(
        self, predicate: Callable[[Seen], bool], timeout: float = 10.0, start: int = 0
    ) -> Seen:
        """The first message from index `start` on that satisfies `predicate`."""
        async with asyncio.timeout(timeout):
            index = start
            while True:
                while index < len(self.seen):
                    if predicate(self.seen[index]):
                        return self.seen[index]
                    index += 1
                self._changed.clear()
                await self._changed.wait()

    async def wait_json(
        self, topic: str, timeout: float = 10.0, start: int = 0, **fields: Any
    ) -> Any:
        """The first JSON payload on `topic` whose fields have these values."""

        def matches(seen: Seen) -> bool:
            if seen.topic != topic or not seen.payload:
                return False
            data = seen.json()
            return all(data.get(key) == value for key, value in fields.items())

        return (await self.wait_for(matches, timeout, start)).json()

    async def publish(self, topic: str, payload: bytes | str, *, retain: bool = False) -> None:
        await self.client.publish(topic, payload, qos=1, retain=retain)


@contextlib.asynccontextmanager
async def watching(broker: Broker, *topics: str) -> AsyncIterator[Watcher]:
    async with aiomqtt.Client(
        "127.0.0.1", broker.port, identifier=f"w-{uuid.uuid4().hex[:8]}"
    ) as client:
        watcher = Watcher(client)
        for topic in topics:
            await client.subscribe(topic, qos=1)
        pump = asyncio.create_task(watcher.pump())
        try:
            yield watcher
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await pump


# -- a hub ----------------------------------------------------------------------------


class CompletedToday:
    """A tiny real SessionCounts: completed sessions seen on the bus (not the history store)."""

    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription
        self.completed = 0

    def sessions_today(self) -> int:
        # Drained on read, so the count is current whenever a snapshot is taken.
        while (event := self._subscription.get_nowait()) is not None:
            if isinstance(event, SessionEnded) and event.status == "completed":
                self.completed += 1
        return self.completed

    def streak_days(self) -> int:
        return 1 if self.sessions_today() else 0


@dataclass
class HubRig:
    hub: Hub
    wearables: list[SimulatedWearable]
    settings: MqttSettings
    mirror: MqttMirror


@contextlib.asynccontextmanager
async def hub_rig(
    broker: Broker, hub_id: str, *, speed: float = 1.0, **overrides: Any
) -> AsyncIterator[HubRig]:
    """A hub with one simulated wearable, mirrored on `broker` until the block ends."""
    from companion.devices.radio import open_radio
    from companion.events import EventBus

    bus = EventBus()
    hub = Hub(load_library(None), bus=bus, counts=CompletedToday(bus.subscribe()))
    settings = MqttSettings.from_url(broker.url, hub_id=hub_id, discovery_delay_s=0.0, **overrides)
    async with open_radio(sim=[SimOptions(name="backstretch-sim")]) as radio:
        try:
            await hub.connect(radio, count=1, timeout=10.0)
            async with MqttMirror(hub, settings, speed=speed) as mirror:
                yield HubRig(hub, radio.wearables, settings, mirror)
        finally:
            await hub.close()


def events_of(seen: list[Seen]) -> list[str]:
    return [m.json()["event_type"] for m in seen]
