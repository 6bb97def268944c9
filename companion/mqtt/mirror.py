"""The MQTT mirror: the hub's state and events out, commands in, Home Assistant discovery.

One task owns the client. The hub side never waits on it: bus events and state snapshots
go into an `Outbox` (latest value per retained topic, a bounded queue for the rest), and a
dead or slow broker only makes that box coalesce. aiomqtt 2 does not reconnect by itself,
so `run` re-enters `async with client` in a loop with backoff and jitter. On every
connect: `status` online, discovery, the current `state`, then the subscriptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import uuid
from collections.abc import Coroutine, Iterable
from types import TracebackType
from typing import Any, Self

import aiomqtt

from companion import __version__
from companion.events import CueExecuted, HubEvent, Subscription
from companion.hub import Hub
from companion.mqtt.commands import CommandError, apply, parse_command, result_payload
from companion.mqtt.discovery import discovery_payload
from companion.mqtt.outbox import Outbox, Outgoing
from companion.mqtt.payloads import encode, event_payload, news_key, state_payload
from companion.mqtt.settings import MqttSettings
from companion.mqtt.topics import COMMANDS, Topics
from companion.tasks import reason, restarting

log = logging.getLogger(__name__)

# An event or a result not sent within this many seconds is dropped: `event` is a live
# stream, and an automation firing on a minutes-old event would surprise its owner.
MESSAGE_TTL_S = 10.0
# How long a clean exit may take to send what is pending, then `offline`.
CLOSE_TIMEOUT_S = 3.0
# While nothing happens on the bus, look at the snapshot this often (battery, links).
CHECK_INTERVAL_S = 1.0


class MqttMirror:
    """Mirrors one hub on one broker. `async with MqttMirror(hub, settings):` runs it.

    Or run `await mirror.run()` on a task of your own and `await mirror.close()` to end
    it: `close` publishes what is pending and `offline`, then disconnects cleanly.
    `speed` applies to sessions started over MQTT (tests and demos run them faster).
    """

    def __init__(
        self,
        hub: Hub,
        settings: MqttSettings,
        *,
        speed: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        self.hub = hub
        self.settings = settings
        self.topics = Topics.of(settings)
        self.speed = speed
        self.outbox = Outbox()
        self.connections = 0
        self._rng = rng or random.Random()
        self._closing = asyncio.Event()
        self._connected = asyncio.Event()
        self._dirty = asyncio.Event()
        self._force = False
        self._last_key: dict[str, Any] | None = None
        self._last_session: str | None = None
        self._last_state_at = float("-inf")
        self._run_task: asyncio.Task[None] | None = None
        self._owned_task: asyncio.Task[None] | None = None
        self._subscription: Subscription | None = None
        self._helpers: set[asyncio.Task[None]] = set()

    # -- lifecycle -------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._owned_task = asyncio.create_task(self.run(), name="mqtt mirror")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def run(self) -> None:
        """Mirror until `close` (or cancellation), reconnecting whenever the link drops."""
        self._run_task = asyncio.current_task()
        self._subscription = self.hub.bus.subscribe()
        subscription = self._subscription
        watchers = [
            asyncio.create_task(
                restarting("MQTT event mirror", lambda: self._watch_bus(subscription)),
                name="mqtt bus",
            ),
            asyncio.create_task(
                restarting("MQTT state mirror", self._watch_state), name="mqtt state"
            ),
        ]
        try:
            await self._connect_loop()
        finally:
            await _cancel_all((*watchers, *self._helpers))
            self._subscription.close()
            self._connected.clear()

    async def close(self) -> None:
        """Publish what is pending and `offline`, disconnect, and end `run`."""
        self._closing.set()
        task = self._run_task or self._owned_task
        if task is None or task.done() or task is asyncio.current_task():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), CLOSE_TIMEOUT_S + 1.0)
        except TimeoutError:
            log.warning("MQTT mirror did not stop in time; cancelling it")
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- the connection --------------------------------------------------------------

    def _client(self) -> aiomqtt.Client:
        settings = self.settings
        tls = (
            aiomqtt.TLSParameters(ca_certs=str(settings.ca_file) if settings.ca_file else None)
            if settings.tls
            else None
        )
        return aiomqtt.Client(
            settings.host,
            settings.port,
            username=settings.username,
            password=settings.password.get_secret_value() if settings.password else None,
            # A suffix, so that two processes with one hub id never kick each other off.
            identifier=f"backstretch-{settings.hub_id}-{uuid.uuid4().hex[:6]}",
            will=aiomqtt.Will(self.topics.status, b"offline", qos=1, retain=True),
            keepalive=settings.keepalive,
            tls_params=tls,
            # Small messages must not wait for the broker's delayed ACK (Nagle: +40 ms).
            socket_options=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),),
            timeout=10.0,
            logger=logging.getLogger("companion.mqtt.client"),
        )

    async def _connect_loop(self) -> None:
        failures = 0
        while not self._closing.is_set():
            try:
                async with self._client() as client:
                    failures = 0
                    await self._serve(client)
                    return
            except aiomqtt.MqttError as exc:
                problem = str(exc)
            except OSError as exc:  # TLS set-up problems (a missing CA file) land here
                problem = f"{type(exc).__name__}: {exc}"
            finally:
                self._connected.clear()
            if self._closing.is_set():
                return
            delay = self._backoff(failures)
            failures += 1
            log.warning(
                "MQTT broker %s: %s; retrying in %.1f s",
                self.settings.display_url,
                problem,
                delay,
            )
            await _wait_event(self._closing, delay)

    def _backoff(self, failures: int) -> float:
        """Exponential, capped, with jitter so that many hubs do not retry in step."""
        ceiling = min(self.settings.reconnect_max_s, self.settings.reconnect_min_s * 2.0**failures)
        return self._rng.uniform(ceiling / 2.0, ceiling)

    async def _serve(self, client: aiomqtt.Client) -> None:
        topics = self.topics
        self.connections += 1
        log.info(
            "MQTT connected to %s as hub '%s'", self.settings.display_url, self.settings.hub_id
        )
        await client.publish(topics.status, b"online", qos=1, retain=True)
        await self._send(client, self._discovery_message())
        # The state as it is now; anything older waiting in the box is superseded.
        self.outbox.discard(topics.state)
        await self._send(client, self._state_message())
        await client.subscribe(
            [(topics.command(name), 1) for name in COMMANDS] + [(topics.ha_status, 1)]
        )
        self._connected.set()
        sender = asyncio.create_task(self._send_loop(client), name="mqtt send")
        receiver = asyncio.create_task(self._receive_loop(client), name="mqtt receive")
        closing = asyncio.create_task(self._closing.wait(), name="mqtt closing")
        tasks = (sender, receiver, closing)
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await _cancel_all(tasks)
        for task in (sender, receiver):
            if not task.cancelled() and (error := task.exception()) is not None:
                raise error
        if not self._closing.is_set():
            raise aiomqtt.MqttError("the connection ended")
        await self._goodbye(client)

    async def _goodbye(self, client: aiomqtt.Client) -> None:
        """Before a clean disconnect (which sends no will): the last state, then offline."""
        assert self._subscription is not None
        while (event := self._subscription.get_nowait()) is not None:
            self._mirror_event(event)
        self._queue_state(force=True)
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                while (message := self.outbox.peek()) is not None:
                    await self._send(client, message)
                    self.outbox.pop(message)
                await client.publish(self.topics.status, b"offline", qos=1, retain=True)
        except TimeoutError:
            log.warning("MQTT: could not send everything before exit")
        log.info("MQTT: offline, disconnecting from %s", self.settings.display_url)

    async def _send(self, client: aiomqtt.Client, message: Outgoing) -> None:
        if message.expires is not None and asyncio.get_running_loop().time() > message.expires:
            return
        await client.publish(message.topic, message.payload, qos=message.qos, retain=message.retain)

    async def _send_loop(self, client: aiomqtt.Client) -> None:
        while True:
            message = await self.outbox.wait()
            await self._send(client, message)
            self.outbox.pop(message)

    async def _receive_loop(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            topic = message.topic.value
            payload = message.payload if isinstance(message.payload, bytes) else b""
            if topic == self.topics.ha_status:
                self._ha_status(payload, retained=message.retain)
                continue
            name = self.topics.command_name(topic)
            if name is None:
                continue
            if message.retain:
                # A retained command would run at every (re)connect: never act on one.
                log.warning(
                    "MQTT: ignoring a retained command on %s; clear it with "
                    "`mosquitto_pub -t %s -r -n`",
                    topic,
                    topic,
                )
                continue
            self._command(name, payload)

    # -- commands and Home Assistant ---------------------------------------------------

    def _command(self, name: str, payload: bytes) -> None:
        request_id = None
        error = None
        try:
            command = parse_command(
                name,
                payload,
                now=self.hub.wall_clock,
                max_bytes=self.settings.max_command_bytes,
            )
            request_id = command.request_id
            apply(self.hub, command, speed=self.speed)
        except CommandError as exc:
            request_id = exc.request_id if request_id is None else request_id
            error = str(exc)
            log.warning("MQTT command on %s/set refused: %s", name, error)
        except Exception as exc:
            error = f"the hub failed to carry it out ({type(exc).__name__})"
            # One line for the person; the traceback goes to debug.
            log.error("MQTT command on %s/set failed: %s", name, reason(exc))  # noqa: TRY400
            log.debug("MQTT command on %s/set failed", name, exc_info=exc)
        else:
            log.info("MQTT command on %s/set: %s", name, command.action)
        self.outbox.put(
            Outgoing(
                self.topics.result(name),
                encode(result_payload(request_id, error)),
                expires=self._expiry(),
            )
        )
        self._mark_dirty(force=True)

    def _ha_status(self, payload: bytes, *, retained: bool) -> None:
        # Retained births are old news: discovery was just sent on connect.
        if payload.strip() != b"online" or retained:
            return
        delay = self._rng.uniform(0.0, self.settings.discovery_delay_s)
        log.info("Home Assistant is online; sending discovery in %.1f s", delay)
        self._spawn(self._resend_discovery(delay))

    async def _resend_discovery(self, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        self.outbox.put_latest(self._discovery_message())

    def _discovery_message(self) -> Outgoing:
        payload = discovery_payload(self.settings, sorted(self.hub.library.routines), __version__)
        return Outgoing(
            self.topics.discovery, encode(payload), qos=1, retain=self.settings.discovery_retain
        )

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._helpers.add(task)
        task.add_done_callback(self._helpers.discard)

    # -- state and events --------------------------------------------------------------

    async def _watch_bus(self, subscription: Subscription) -> None:
        async for event in subscription:
            self._mirror_event(event)

    def _mirror_event(self, event: HubEvent) -> None:
        payload = event_payload(event)
        if payload is not None:
            self.outbox.put(Outgoing(self.topics.event, encode(payload), expires=self._expiry()))
        self._mark_dirty(force=not isinstance(event, CueExecuted))

    def _mark_dirty(self, *, force: bool) -> None:
        self._force = self._force or force
        self._dirty.set()

    async def _watch_state(self) -> None:
        """Publish `state` on change: transitions at once, the rest a few times a second."""
        loop = asyncio.get_running_loop()
        while True:
            await _wait_event(self._dirty, CHECK_INTERVAL_S)
            self._dirty.clear()
            session = self.hub.session_state.value
            wait = self._last_state_at + self.settings.state_interval_s - loop.time()
            if session == self._last_session and wait > 0:
                await self._gather(wait)
            force, self._force = self._force, False
            self._queue_state(force=force)

    async def _gather(self, wait: float) -> None:
        """Wait `wait` s so that whatever else happens meanwhile goes out in one message;
        a change of session state ends the wait (transitions go out at once)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while (left := deadline - loop.time()) > 0:
            await _wait_event(self._dirty, left)
            self._dirty.clear()
            if self.hub.session_state.value != self._last_session:
                return

    def _queue_state(self, *, force: bool) -> None:
        payload = state_payload(self.hub.snapshot())
        if force or news_key(payload) != self._last_key:
            self.outbox.put_latest(self._state_message(payload))

    def _state_message(self, payload: dict[str, Any] | None = None) -> Outgoing:
        payload = payload if payload is not None else state_payload(self.hub.snapshot())
        self._last_key = news_key(payload)
        self._last_session = payload["session"]
        self._last_state_at = asyncio.get_running_loop().time()
        return Outgoing(self.topics.state, encode(payload), qos=1, retain=True)

    def _expiry(self) -> float:
        return asyncio.get_running_loop().time() + MESSAGE_TTL_S


async def _wait_event(event: asyncio.Event, timeout: float) -> None:
    """Wait for `event` at most `timeout` s (asyncio.timeout, which never eats a cancel)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await event.wait()


async def _cancel_all(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel and wait. Python 3.11's `asyncio.wait_for` (used inside aiomqtt) can swallow
    a cancellation that races with its result, so cancel again until every task is done."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.1)
