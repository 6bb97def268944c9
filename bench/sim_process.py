"""`backstretch sim` as its own process for a benchmark: started, waited for, stopped."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# "simulating NAME (ADDRESS), NAME (ADDRESS); hubs connect with --adapter SPEC"
_READY = re.compile(r"simulating (?P<devices>.*); hubs connect with --adapter (?P<spec>\S+)")
_DEVICE = re.compile(r"(?P<name>.+?) \([0-9A-F:]{17}\)")


@dataclass(frozen=True)
class SimProcess:
    adapter: str  # what a hub passes to --adapter
    names: tuple[str, ...]  # the simulated devices' names


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def backstretch() -> list[str]:
    return [sys.executable, "-m", "companion"]


@contextlib.contextmanager
def sim_process(options: Sequence[str], trace: Path, env: dict[str, str]) -> Iterator[SimProcess]:
    """Run `backstretch sim` with `options` and a trace; stopped (SIGTERM) on exit."""
    command = [
        *backstretch(),
        "sim",
        "--listen",
        f"tcp-server:127.0.0.1:{free_port()}",
        "--trace",
        str(trace),
        *options,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        ready = _READY.search(line)
        if ready is None:
            raise SystemExit(f"backstretch sim did not start: {line.strip() or 'no output'}")
        names = tuple(
            match.group("name").strip(" ,") for match in _DEVICE.finditer(ready.group("devices"))
        )
        yield SimProcess(ready.group("spec"), names)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
