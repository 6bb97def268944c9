"""One Home Assistant process in the root, and the ways the tests speak to it.

Home Assistant gets a configuration directory of its own (bind-mounted at /config), set up
without the UI: a minimal `configuration.yaml` (no `default_config`, so it loads few
integrations) and an MQTT config entry in `.storage/core.config_entries` for our broker. A
REST token comes from the onboarding API. The tests read states and call services through
the REST API, and read the entity and device registries and follow state changes through
the WebSocket API (REST has no registry).

Its console output (the log, line by line) goes to a file of ours that every start appends
to, so a position in it marks a moment across restarts; Home Assistant rotates its own
`home-assistant.log` at every start.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt
from websockets.asyncio.client import ClientConnection, connect

from tests.ha.root import CONFIG_DIR, Bind, HaRoot

START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 60.0
# Home Assistant announces itself on this topic (its MQTT birth message) once it is up.
BIRTH_TOPIC = "homeassistant/status"
USER = {"name": "Backstretch Tests", "username": "tests", "password": "backstretch-tests"}

_LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? (?P<level>[A-Z]+) \((?P<thread>[^)]*)\) "
    r"\[(?P<logger>[^\]]+)\] (?P<message>.*)$"
)
_PROBLEM_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL"})
# Loggers whose warnings are about what we publish: the MQTT integration and the templates
# that read our state topic.
_OUR_LOGGERS = ("homeassistant.components.mqtt", "homeassistant.helpers.template")
# What Home Assistant logs about its own cleanup when a device's discovery config is
# cleared (all its entities went with the config); not about our messages.
HA_CLEANUP_NOTE = "No device components to cleanup"


class HomeAssistantError(Exception):
    """Home Assistant did not start, answer or behave as the tests need; says how."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# -- its log -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogRecord:
    level: str
    logger: str
    message: str

    def __str__(self) -> str:
        return f"{self.level} [{self.logger}] {self.message}"


def parse_log(text: str) -> list[LogRecord]:
    """Home Assistant's log lines; continuation lines (tracebacks) join their record."""
    records: list[LogRecord] = []
    for line in text.splitlines():
        match = _LOG_LINE.match(line)
        if match:
            records.append(LogRecord(match["level"], match["logger"], match["message"]))
        elif records and line.strip():
            last = records[-1]
            records[-1] = LogRecord(last.level, last.logger, f"{last.message}\n{line}")
    return records


def our_problems(records: Iterable[LogRecord], *, allowed: Sequence[str] = ()) -> list[LogRecord]:
    """Warnings and errors from the MQTT integration or templates, or that name a
    backstretch entity, except those containing one of the `allowed` texts."""
    return [
        record
        for record in records
        if record.level in _PROBLEM_LEVELS
        and (record.logger.startswith(_OUR_LOGGERS) or "backstretch" in record.message)
        and not any(text in record.message for text in allowed)
    ]


def assert_clean_log(home: HomeAssistant, mark: int, *, allowed: Sequence[str] = ()) -> None:
    """Home Assistant logged no warning or error about our entities or messages since `mark`."""
    problems = our_problems(home.log_since(mark), allowed=allowed)
    assert not problems, "Home Assistant logged:\n" + "\n".join(map(str, problems))


# -- following states ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateChange:
    """One `state_changed` event; `state` is None when the entity was removed."""

    entity_id: str
    state: str | None
    attributes: dict[str, Any]
    # When the test received it (monotonic seconds).
    at: float


@dataclass
class StateLog:
    """Every state change Home Assistant reported since the subscription, in order."""

    changes: list[StateChange] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, change: StateChange) -> None:
        self.changes.append(change)
        self._changed.set()

    def of(self, entity_id: str, start: int = 0) -> list[StateChange]:
        return [change for change in self.changes[start:] if change.entity_id == entity_id]

    def states_of(self, entity_id: str, start: int = 0) -> list[str | None]:
        """The entity's successive states; a change of attributes alone is not one."""
        states: list[str | None] = []
        for change in self.of(entity_id, start):
            if not states or states[-1] != change.state:
                states.append(change.state)
        return states

    async def wait_for(
        self, predicate: Callable[[StateChange], bool], timeout: float = 15.0, start: int = 0
    ) -> StateChange:
        """The first change from index `start` on that satisfies `predicate`."""
        try:
            async with asyncio.timeout(timeout):
                index = start
                while True:
                    while index < len(self.changes):
                        if predicate(self.changes[index]):
                            return self.changes[index]
                        index += 1
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise HomeAssistantError(
                f"no matching state change within {timeout:.0f} s; the last ones: "
                + "; ".join(f"{c.entity_id}={c.state}" for c in self.changes[-8:])
            ) from None

    async def wait_state(
        self, entity_id: str, state: str, timeout: float = 15.0, start: int = 0
    ) -> StateChange:
        return await self.wait_for(
            lambda change: change.entity_id == entity_id and change.state == state,
            timeout,
            start,
        )


class HaSocket:
    """An authenticated WebSocket API connection: commands, and state changes as they come."""

    def __init__(self, connection: ClientConnection) -> None:
        self._connection = connection
        self._next_id = 1
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._state_logs: dict[int, StateLog] = {}
        self._reader = asyncio.create_task(self._read(), name="home assistant socket")

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._connection.close()

    async def call(self, kind: str, **fields: Any) -> Any:
        """Send one command; its result, or HomeAssistantError with HA's message."""
        if self._reader.done():
            raise HomeAssistantError("the WebSocket connection to Home Assistant is closed")
        message_id = self._next_id
        self._next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await self._connection.send(json.dumps({"id": message_id, "type": kind, **fields}))
        async with asyncio.timeout(30):
            return await future

    async def follow_states(self) -> StateLog:
        """A log of every `state_changed` from now on."""
        log = StateLog()
        message_id = self._next_id
        self._state_logs[message_id] = log
        await self.call("subscribe_events", event_type="state_changed")
        return log

    async def entity_registry(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = await self.call("config/entity_registry/list")
        return entries

    async def entity_entry(self, entity_id: str) -> dict[str, Any]:
        """One registry entry with what `list` leaves out (device classes, capabilities)."""
        entry: dict[str, Any] = await self.call("config/entity_registry/get", entity_id=entity_id)
        return entry

    async def device_registry(self) -> list[dict[str, Any]]:
        devices: list[dict[str, Any]] = await self.call("config/device_registry/list")
        return devices

    async def _read(self) -> None:
        try:
            async for raw in self._connection:
                message = json.loads(raw)
                if message.get("type") == "event" and message.get("id") in self._state_logs:
                    self._state_logs[message["id"]].add(_state_change(message["event"]))
                elif message.get("type") == "result":
                    future = self._pending.pop(message["id"], None)
                    if future is None or future.done():
                        continue
                    if message.get("success"):
                        future.set_result(message.get("result"))
                    else:
                        error = message.get("error") or {}
                        future.set_exception(
                            HomeAssistantError(
                                f"WebSocket command failed: {error.get('code')}: "
                                f"{error.get('message')}"
                            )
                        )
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(HomeAssistantError("the WebSocket connection closed"))


def _state_change(event: dict[str, Any]) -> StateChange:
    data = event["data"]
    new = data.get("new_state") or {}
    return StateChange(
        data["entity_id"], new.get("state"), dict(new.get("attributes") or {}), time.monotonic()
    )


# -- the process ---------------------------------------------------------------------


class HomeAssistant:
    """Home Assistant in `root`, on a free loopback port, with MQTT on `broker_port`.

    `start` returns once it runs, its MQTT client is connected (its birth message is out)
    and the tests hold a token; `stop` ends it with SIGTERM (SIGKILL if it hangs).
    Start it from the main thread (see `HaRoot.command`).
    """

    def __init__(
        self, root: HaRoot, directory: Path, broker_port: int, *, port: int | None = None
    ) -> None:
        self.root = root
        self.broker_port = broker_port
        self.port = port or free_port()
        self.config_dir = directory / "config"
        self.console = directory / "home-assistant.console.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._access_token: str | None = None
        self._refresh_token: str | None = None
        self._write_config()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _write_config(self) -> None:
        storage = self.config_dir / ".storage"
        storage.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "configuration.yaml").write_text(
            "# Written by backstretch's tests: only what they need, no default_config.\n"
            "homeassistant:\n"
            "  name: backstretch tests\n"
            "  latitude: 52.37\n"
            "  longitude: 4.89\n"
            "  elevation: 0\n"
            "  unit_system: metric\n"
            "  time_zone: UTC\n"
            "  country: NL\n"
            "  currency: EUR\n"
            "http:\n"
            "  server_host: 127.0.0.1\n"
            f"  server_port: {self.port}\n"
            "api:\n"
            "logger:\n"
            "  default: info\n",
            encoding="utf-8",
        )
        # The oldest storage and entry versions: Home Assistant migrates them to its own,
        # so one file serves the versions we test against.
        entry = {
            "entry_id": "01backstretchtestsmqtt00000",
            "domain": "mqtt",
            "title": "backstretch test broker",
            "data": {"broker": "127.0.0.1", "port": self.broker_port},
            "options": {},
            "source": "user",
            "version": 1,
            "minor_version": 1,
            "unique_id": None,
            "disabled_by": None,
        }
        (storage / "core.config_entries").write_text(
            json.dumps(
                {
                    "version": 1,
                    "minor_version": 1,
                    "key": "core.config_entries",
                    "data": {"entries": [entry]},
                },
                indent=2,
            ),
            encoding="utf-8",
        )

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self, timeout: float = START_TIMEOUT_S) -> float:
        """Start it and wait until it is up; the seconds that took."""
        if self.running:
            raise HomeAssistantError("Home Assistant is already running")
        started = time.monotonic()
        async with aiomqtt.Client("127.0.0.1", self.broker_port) as client:
            await client.subscribe(BIRTH_TOPIC, qos=1)
            self._spawn()
            try:
                async with asyncio.timeout(timeout):
                    await self._wait_http()
                    if self._access_token is None:
                        await self._onboard()
                    await self._wait_running()
                    async for message in client.messages:
                        if message.payload == b"online" and not message.retain:
                            break
            except TimeoutError:
                raise HomeAssistantError(
                    f"Home Assistant did not come up within {timeout:.0f} s; "
                    f"its output: {self.console}\n{self._console_tail()}"
                ) from None
        return time.monotonic() - started

    def _spawn(self) -> None:
        command = self.root.command(
            [self.root.hass, "-c", str(CONFIG_DIR), "--skip-pip", "--log-no-color"],
            binds=[Bind(self.config_dir, CONFIG_DIR, read_only=False)],
        )
        with self.console.open("ab") as sink:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT
            )
        self.starts += 1

    async def stop(self, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; the exit code (None if it was not running)."""
        process = self.process
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.to_thread(process.wait, timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            return await asyncio.to_thread(process.wait, 10)

    def kill(self) -> None:
        """For teardown: SIGKILL if it still runs; never raises."""
        process = self.process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)

    async def restart(self) -> float:
        code = await self.stop()
        if code not in (0, None):
            raise HomeAssistantError(f"Home Assistant exited {code} when stopped")
        return await self.start()

    async def _wait_http(self) -> None:
        while True:
            self._check_alive()
            try:
                await self.rest("GET", "/api/onboarding", auth=False)
            except (HomeAssistantError, OSError):
                await asyncio.sleep(0.2)
            else:
                return

    async def _wait_running(self) -> None:
        while True:
            self._check_alive()
            config = await self.rest("GET", "/api/config")
            if config.get("state") == "RUNNING":
                return
            await asyncio.sleep(0.2)

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise HomeAssistantError(
                f"Home Assistant exited with {self.process.returncode}; its output: "
                f"{self.console}\n{self._console_tail()}"
            )

    def _console_tail(self, lines: int = 25) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.console.read_text(errors="replace").splitlines()[-lines:])
        return ""

    async def _onboard(self) -> None:
        """Create the owner through the onboarding API and trade its auth code for tokens."""
        client_id = f"{self.url}/"
        created = await self.rest(
            "POST",
            "/api/onboarding/users",
            {**USER, "client_id": client_id, "language": "en"},
            auth=False,
        )
        tokens = await self.rest(
            "POST",
            "/auth/token",
            form={
                "grant_type": "authorization_code",
                "code": created["auth_code"],
                "client_id": client_id,
            },
            auth=False,
        )
        self._access_token = tokens["access_token"]
        self._refresh_token = tokens["refresh_token"]

    async def _refresh(self) -> None:
        tokens = await self.rest(
            "POST",
            "/auth/token",
            form={
                "grant_type": "refresh_token",
                "refresh_token": self._refresh_token or "",
                "client_id": f"{self.url}/",
            },
            auth=False,
        )
        self._access_token = tokens["access_token"]

    # -- the REST API ----------------------------------------------------------------

    async def rest(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        form: dict[str, str] | None = None,
        auth: bool = True,
    ) -> Any:
        """One REST call; the decoded JSON answer. An expired token is refreshed once."""
        try:
            return await asyncio.to_thread(self._request, method, path, body, form, auth)
        except _UnauthorizedError:
            if not auth or self._refresh_token is None:
                raise HomeAssistantError(f"{method} {path}: unauthorized") from None
            await self._refresh()
            return await asyncio.to_thread(self._request, method, path, body, form, auth)

    def _request(
        self, method: str, path: str, body: Any, form: dict[str, str] | None, auth: bool
    ) -> Any:
        headers = {}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = f"Bearer {self._access_token}"
        request = urllib.request.Request(self.url + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                raise _UnauthorizedError from None
            detail = exc.read().decode(errors="replace")[:300]
            raise HomeAssistantError(f"{method} {path}: HTTP {exc.code}: {detail}") from None
        return json.loads(text) if text else None

    async def states(self) -> dict[str, dict[str, Any]]:
        return {state["entity_id"]: state for state in await self.rest("GET", "/api/states")}

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """The entity's state, or None when Home Assistant has none (removed, disabled)."""
        try:
            state: dict[str, Any] = await self.rest("GET", f"/api/states/{entity_id}")
        except HomeAssistantError as exc:
            if "HTTP 404" in str(exc):
                return None
            raise
        return state

    async def call_service(self, domain: str, service: str, **data: Any) -> None:
        await self.rest("POST", f"/api/services/{domain}/{service}", data)

    # -- the WebSocket API -----------------------------------------------------------

    @contextlib.asynccontextmanager
    async def socket(self) -> AsyncIterator[HaSocket]:
        async with connect(f"ws://127.0.0.1:{self.port}/api/websocket", max_size=None) as ws:
            hello = json.loads(await ws.recv())
            if hello.get("type") != "auth_required":
                raise HomeAssistantError(f"unexpected WebSocket greeting: {hello}")
            await ws.send(json.dumps({"type": "auth", "access_token": self._access_token}))
            answer = json.loads(await ws.recv())
            if answer.get("type") != "auth_ok":
                raise HomeAssistantError(f"WebSocket authentication refused: {answer}")
            connection = HaSocket(ws)
            try:
                yield connection
            finally:
                await connection.close()

    # -- the log ---------------------------------------------------------------------

    def log_mark(self) -> int:
        """A position in the log; `log_since` reads what came after it."""
        return self.console.stat().st_size if self.console.exists() else 0

    def log_since(self, mark: int) -> list[LogRecord]:
        with self.console.open("rb") as console:
            console.seek(mark)
            return parse_log(console.read().decode(errors="replace"))


class _UnauthorizedError(Exception):
    pass


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float, what: str, interval: float = 0.2
) -> None:
    """Poll `check` until it holds; HomeAssistantError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise HomeAssistantError(f"{what} did not happen within {timeout:.0f} s")
        await asyncio.sleep(interval)
