"""Idle cost of the hub: connected to a simulated wearable, no session, for a while.

Starts `backstretch sim` as its own process (so its work is not counted) and the hub daemon
`backstretch run --adapter tcp-client:...` against it, waits until the wearable is
connected, then samples the hub process's CPU time and resident memory from /proc for
`--seconds` (default 60). Target: at most 0.5 % of one core. Prints one JSON object.

    .venv/bin/python bench/idle.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_CPU_PERCENT = 0.5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); after the ")" they are 12 and 13.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mib(pid: int) -> float:
    resident_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return resident_pages * PAGE_SIZE / 2**20


def wait_for_line(process: subprocess.Popen[str], needle: str, timeout: float) -> None:
    assert process.stderr is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if needle in line:
            return
        if not line and process.poll() is not None:
            break
    raise SystemExit(f"did not see {needle!r} within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    port = free_port()
    backstretch = [sys.executable, "-m", "companion"]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "XDG_STATE_HOME": home, "XDG_CONFIG_HOME": home}
        sim = subprocess.Popen(
            [*backstretch, "sim", "--listen", f"tcp-server:127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        time.sleep(1.5)
        hub = subprocess.Popen(
            [*backstretch, "-v", "run", "--adapter", f"tcp-client:127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            wait_for_line(hub, "connected", 30)
            # Let the connect-time clock sync settle before measuring.
            time.sleep(5)
            start_cpu, start = cpu_seconds(hub.pid), time.monotonic()
            time.sleep(args.seconds)
            used, elapsed = cpu_seconds(hub.pid) - start_cpu, time.monotonic() - start
            memory = rss_mib(hub.pid)
        finally:
            for process in (hub, sim):
                process.send_signal(signal.SIGTERM)
            for process in (hub, sim):
                process.wait(10)
    cpu_percent = round(100 * used / elapsed, 3)
    print(
        json.dumps(
            {
                "benchmark": "idle",
                "seconds": round(elapsed, 1),
                "hub_cpu_percent_of_one_core": cpu_percent,
                "hub_rss_mib": round(memory, 1),
                "target_cpu_percent": TARGET_CPU_PERCENT,
                "meets_target": cpu_percent <= TARGET_CPU_PERCENT,
                "machine": {
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
