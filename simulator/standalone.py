"""The simulator as its own process: devices on a virtual link, bridged to an HCI listener.

A hub in another process connects with ``--adapter tcp-client:HOST:PORT`` and drives the
bridged controller as it would a USB dongle. Hubs may come and go (a killed one included):
their links are dropped and the wearables advertise again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from simulator.devices import SimulatedDevice, simulated_device
from simulator.link_layer import LinkRecord
from simulator.motor import NO_CUE, Pulse
from simulator.options import SimOptions
from simulator.radio import HciTransportServer, new_link, parse_tcp_server_spec

__all__ = ["TraceWriter", "executed_line", "serve"]

logger = logging.getLogger(__name__)


def executed_line(pulse: Pulse, device: str = "") -> dict[str, object]:
    """The session-trace line (DESIGN.md) for a pulse the motor played: which device, and
    `meant`, the host time its own clock's deadline stood for (the motor's share of the
    error is `t - meant`, clock sync's is `meant` minus the hub's plan). A band's buzz has
    neither a cue id (null: the plan tells which cue it was) nor a deadline of its own."""
    band = pulse.cue_id == NO_CUE
    line: dict[str, object] = {
        "kind": "executed",
        "cue_id": None if band else pulse.cue_id,
        "cue": pulse.pattern,
    }
    line["t"] = pulse.t
    if device:
        line["device"] = device
    if not band:
        line["meant"] = pulse.deadline
    return line


class TraceWriter:
    """Collects trace lines and writes them in the background, off the motor's path.

    Executed lines for every pulse played; a `link` line for every connection that ended
    (what crossed it each way), so a benchmark can count a session's radio traffic; and at
    the end a `messages` line per native wearable: the protocol messages it received, by
    type (what the traffic was for: pings against the rest).
    """

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = path.open("a", encoding="utf-8")
        self._pending: list[str] = []

    def add(self, pulse: Pulse, device: str = "") -> None:
        self._pending.append(json.dumps(executed_line(pulse, device)))

    def add_link(self, record: LinkRecord) -> None:
        self._pending.append(json.dumps(record.as_json()))

    def add_messages(self, device: str, received: Counter[str]) -> None:
        line = {"kind": "messages", "device": device, "received": dict(sorted(received.items()))}
        self._pending.append(json.dumps(line))

    def flush(self) -> None:
        if self._pending:
            self._file.write("\n".join(self._pending) + "\n")
            self._file.flush()
            self._pending.clear()

    async def run(self, period_s: float = 0.25) -> None:
        while True:
            await asyncio.sleep(period_s)
            self.flush()

    def close(self) -> None:
        self.flush()
        self._file.close()


def _pulse_writer(writer: TraceWriter | None, device: str) -> Callable[[Pulse], None] | None:
    if writer is None:
        return None
    return lambda pulse: writer.add(pulse, device)


def _message_hook(
    name: str, verbose: bool, received: Counter[str] | None
) -> Callable[[str, object], None] | None:
    """What a native wearable does with each message: log it (`-v`), count it (a trace)."""
    if not verbose and received is None:
        return None

    def hear(direction: str, message: object) -> None:
        if verbose:
            logger.info("%s %s %s", name, "<-" if direction == "received" else "->", message)
        if received is not None and direction == "received":
            received[type(message).__name__] += 1

    return hear


async def serve(
    options: Sequence[SimOptions],
    listen: str,
    trace: Path | None = None,
    verbose: bool = False,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Run `options`' wearables behind an HCI listener on `listen` until SIGINT or SIGTERM.

    `ready` receives the spec a hub should use (``tcp-client:HOST:PORT``, with the real
    port when 0 was asked for) once everything is up.
    """
    host, port = parse_tcp_server_spec(listen)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    writer = TraceWriter(trace) if trace is not None else None
    link = new_link()
    if writer is not None:
        link.on_link_closed = writer.add_link
    received: dict[str, Counter[str]] = (
        {option.name: Counter() for option in options} if writer is not None else {}
    )
    wearables = [
        simulated_device(
            option,
            link,
            on_pulse=_pulse_writer(writer, option.name),
            on_message=_message_hook(option.name, verbose, received.get(option.name)),
        )
        for option in options
    ]
    bridge = HciTransportServer(link, host, port)
    async with contextlib.AsyncExitStack() as stack:
        if writer is not None:
            # Closed last: the links the wearables' stop ends are recorded too, then what
            # each wearable received.
            stack.callback(writer.close)
            for name, counts in received.items():
                stack.callback(_add_messages, writer, name, counts)
        for wearable in wearables:
            await wearable.start()
            stack.push_async_callback(wearable.stop)
        await bridge.start()
        stack.push_async_callback(bridge.close)
        if writer is not None:
            flusher = loop.create_task(writer.run())
            stack.callback(flusher.cancel)
        _install_button_signals(loop, wearables)
        spec = f"tcp-client:{host}:{bridge.port}"
        for wearable in wearables:
            logger.info("%s (%s) is up", wearable.name, wearable.address)
        if ready is not None:
            ready(spec)
        await stop.wait()
        logger.info("shutting down")
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2):
        loop.remove_signal_handler(sig)


def _add_messages(writer: TraceWriter, name: str, counts: Counter[str]) -> None:
    if counts:  # a Bangle.js or a band has no protocol messages to count
        writer.add_messages(name, counts)


def _install_button_signals(
    loop: asyncio.AbstractEventLoop, wearables: Sequence[SimulatedDevice]
) -> None:
    """SIGUSR1 is a short press on every wearable, SIGUSR2 a long one: `kill -USR1 PID`."""

    def press(kind: str) -> None:
        for wearable in wearables:
            logger.info("%s: %s button press", wearable.name, kind)
            wearable.press_button(kind)

    loop.add_signal_handler(signal.SIGUSR1, press, "short")
    loop.add_signal_handler(signal.SIGUSR2, press, "long")


def configure_logging(verbose: bool) -> None:
    """Readable lines on stderr: what the wearables receive and send with -v."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s.%(msecs)03d %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    # bumble is chatty at INFO; its warnings still show.
    logging.getLogger("bumble").setLevel(logging.WARNING)
    logging.Formatter.converter = time.localtime
