"""A real Home Assistant, a real broker and `backstretch run --sim` processes.

`make test-ha` runs these (they are marked `ha` and left out of `make test`). The root with
Home Assistant is built once and cached (tests/ha/root.py). Every process started here has
an owner that stops it in teardown, also after a failure, Ctrl+C or SIGTERM (turned into
KeyboardInterrupt so that teardown runs); mounts exist only in the mount namespaces of the
processes in the root and vanish with them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest

from tests.ha.hass import HomeAssistant
from tests.ha.hub import HubProcess
from tests.ha.root import (
    HaRoot,
    NotRootError,
    RootSpec,
    RootUnavailableError,
    ensure_root,
)
from tests.mqtt.conftest import Broker, mosquitto_binary


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session", autouse=True)
def _signals_unwind() -> Iterator[None]:
    """SIGTERM and SIGHUP end the run like Ctrl+C, through every fixture's teardown."""
    previous = {
        signum: signal.signal(signum, _interrupt) for signum in (signal.SIGTERM, signal.SIGHUP)
    }
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


@pytest.fixture(scope="session")
def ha_root(pytestconfig: pytest.Config) -> HaRoot:
    """The cached root for HA_TEST_SUITE / HA_TEST_VERSION (trixie, 2026.2.3), built if
    missing. Skips where it cannot run: not root, or (outside CI) a tool missing."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")

    def progress(message: str) -> None:
        # Shown as it happens: a cold build takes minutes.
        with capture.global_and_fixture_disabled():
            print(f"\n[ha-root] {message}", file=sys.stderr, flush=True)

    try:
        return ensure_root(RootSpec.from_environment(), progress=progress)
    except NotRootError as exc:
        pytest.skip(str(exc))
    except RootUnavailableError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(str(exc))
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def ha_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    running = Broker(mosquitto_binary(), tmp_path_factory.mktemp("ha-mosquitto"))
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def ha_session(
    ha_root: HaRoot, ha_broker: Broker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HomeAssistant]:
    """One Home Assistant for the run (each test keeps to its own hub id)."""
    home = HomeAssistant(ha_root, tmp_path_factory.mktemp("home-assistant"), ha_broker.port)
    try:
        asyncio.run(home.start())
        yield home
    finally:
        try:
            asyncio.run(home.stop())
        finally:
            home.kill()


@pytest.fixture
async def ha(ha_session: HomeAssistant) -> HomeAssistant:
    """The run's Home Assistant, started again if an earlier test left it stopped."""
    if not ha_session.running:
        await ha_session.start()
    return ha_session


@pytest.fixture
def hub_id() -> str:
    return f"ha{uuid.uuid4().hex[:8]}"


@pytest.fixture
def hubs(ha_broker: Broker, tmp_path: Path) -> Iterator[Callable[[str], HubProcess]]:
    """`hubs(hub_id)` starts `backstretch run --sim` for that hub; all are stopped after."""
    started: list[HubProcess] = []

    def start(hub_id: str) -> HubProcess:
        hub = HubProcess(ha_broker.url, hub_id, tmp_path / f"hub-{hub_id}")
        started.append(hub)
        hub.start()
        return hub

    try:
        yield start
    finally:
        for hub in started:
            hub.close()
