"""CPU the terminal UI takes while a session runs, at real speed.

Runs the TUI headless (Textual's `run_test`) at a terminal size, starts a screen-only session
of the routine (no wearable, so the figure is the UI and the session engine, not a radio
link), and measures this process's CPU time from the session's start to its summary.
Target: at most 5 % of one core, so the UI can run on a Raspberry Pi Zero 2 beside the hub.
Prints one JSON object.

    .venv/bin/python bench/tui_cpu.py [--routine one-minute-back] [--size 80x24]

The headless driver writes nothing to a terminal; a real terminal adds the cost of writing
the changed cells, which is small when little changes (see the README).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

from companion.hub import Hub
from companion.tui.app import DEFAULT_REFRESH_HZ, BackstretchApp
from companion.tui.notice import NoticeStore
from companion.tui.session_screen import SessionScreen
from routines import load_library

TARGET_CPU_PERCENT = 5.0


def size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


async def measure(routine: str, terminal: tuple[int, int], refresh_hz: float) -> dict[str, object]:
    hub = Hub(load_library(None), routine=routine)
    with tempfile.TemporaryDirectory() as state:
        notice = NoticeStore(Path(state) / "notice")
        notice.dismiss()
        app = BackstretchApp(hub, notice=notice, refresh_hz=refresh_hz)
        async with app.run_test(size=terminal) as pilot:
            await pilot.pause(0.5)
            await pilot.press("enter", "s")  # no wearable: on the screen alone
            screen = app.screen
            assert isinstance(screen, SessionScreen), type(screen).__name__
            cpu_start, wall_start = time.process_time(), time.monotonic()
            result = await screen.engine.wait()
            cpu, wall = time.process_time() - cpu_start, time.monotonic() - wall_start
            await pilot.pause(0.2)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    percent = 100.0 * cpu / wall
    return {
        "benchmark": "tui_cpu",
        "routine": routine,
        "size": f"{terminal[0]}x{terminal[1]}",
        "refresh_hz": refresh_hz,
        "outcome": str(result.outcome),
        "session_s": round(wall, 1),
        "cpu_s": round(cpu, 2),
        "cpu_percent_of_one_core": round(percent, 2),
        "target_percent": TARGET_CPU_PERCENT,
        "met": percent <= TARGET_CPU_PERCENT,
        "max_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "load_1min": round(os.getloadavg()[0], 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routine", default="one-minute-back")
    parser.add_argument("--size", type=size, default=(80, 24), metavar="WxH")
    parser.add_argument("--refresh-hz", type=float, default=DEFAULT_REFRESH_HZ)
    args = parser.parse_args()
    report = asyncio.run(measure(args.routine, args.size, args.refresh_hz))
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
