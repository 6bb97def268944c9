"""`backstretch run` as a real process: SIGTERM, SIGINT and SIGKILL in the middle of a session.

The session is started by the hidden `--start-now ROUTINE` option as soon as a wearable is
ready, so that a signal finds one running.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from simulator import SimOptions

CONFIG = 'hub_id = "proc"\n[reminders]\nenabled = false\n'


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("BACKSTRETCH_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    return env


def history_file(tmp_path: Path) -> Path:
    return tmp_path / "state" / "backstretch" / "history.sqlite3"


async def backstretch(tmp_path: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "companion",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment(tmp_path),
    )


async def read_until(stream: asyncio.StreamReader, needle: str, log: list[str]) -> str:
    async with asyncio.timeout(20):
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError(f"stream ended before {needle!r}:\n{''.join(log)}")
            log.append(line)
            if needle in line:
                return line


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
async def sim_process(tmp_path: Path) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """`backstretch sim` in its own process, logging every message it receives."""
    process = await backstretch(tmp_path, "sim", "--listen", "tcp-server:127.0.0.1:0", "-v")
    assert process.stdout is not None
    async with asyncio.timeout(15):
        line = (await process.stdout.readline()).decode()
    spec = line.rsplit("--adapter ", 1)[-1].strip()
    assert spec.startswith("tcp-client:"), line
    yield spec, process
    if process.returncode is None:
        process.terminate()
        await process.wait()


def outcomes(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{history_file(tmp_path)}?mode=ro", uri=True) as db:
        return db.execute("SELECT outcome, reason FROM sessions").fetchall()


async def test_sigterm_mid_session_stops_it_tells_the_wearable_and_exits_0(
    tmp_path: Path,
    config_file: Path,
    sim_process: tuple[str, asyncio.subprocess.Process],
) -> None:
    spec, sim = sim_process
    hub = await backstretch(
        tmp_path,
        "run",
        "--adapter",
        spec,
        "--config",
        str(config_file),
        "--start-now",
        "one-minute-back",
    )
    assert hub.stderr is not None
    log: list[str] = []
    await read_until(hub.stderr, "started: one-minute-back", log)
    hub.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    async with asyncio.timeout(10):
        _, err = await hub.communicate()
    took = time.monotonic() - sent
    text = "".join(log) + err.decode()
    assert hub.returncode == 0, text
    assert "the running session was stopped and the wearables told" in text
    assert "Traceback" not in text
    # The wearable heard it: the simulator logs every message it receives.
    sim.terminate()
    _, sim_err = await sim.communicate()
    assert "<- Abort" in sim_err.decode()
    assert outcomes(tmp_path) == [("aborted", "the hub is shutting down")]
    print(f"SIGTERM to exit: {took:.2f} s")


async def test_sigint_exits_0_with_in_process_simulated_wearables(
    tmp_path: Path, config_file: Path
) -> None:
    hub = await backstretch(
        tmp_path, "run", "--sim", "--config", str(config_file), "--start-now", "one-minute-back"
    )
    assert hub.stderr is not None
    log: list[str] = []
    await read_until(hub.stderr, "started: one-minute-back", log)
    hub.send_signal(signal.SIGINT)
    async with asyncio.timeout(10):
        _, err = await hub.communicate()
    assert hub.returncode == 0, "".join(log) + err.decode()
    assert outcomes(tmp_path) == [("aborted", "the hub is shutting down")]


async def test_sigkill_mid_session_leaves_a_readable_history_marked_interrupted_later(
    tmp_path: Path, config_file: Path
) -> None:
    hub = await backstretch(
        tmp_path, "run", "--sim", "--config", str(config_file), "--start-now", "one-minute-back"
    )
    assert hub.stderr is not None
    log: list[str] = []
    await read_until(hub.stderr, "started: one-minute-back", log)
    # The row is written off the event loop, just after the start.
    for _ in range(200):
        if history_file(tmp_path).exists() and outcomes(tmp_path):
            break
        await asyncio.sleep(0.05)
    hub.kill()
    await hub.wait()
    assert hub.returncode == -signal.SIGKILL
    with sqlite3.connect(f"file:{history_file(tmp_path)}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert outcomes(tmp_path) == [("running", "")]
    # The next start (here: `history`, which opens the file the same way) marks it.
    reader = await backstretch(tmp_path, "history", "--json", "--config", str(config_file))
    out, err = await reader.communicate()
    assert reader.returncode == 0, err.decode()
    [session] = json.loads(out)["sessions"]
    assert session["outcome"] == "interrupted"
    assert session["routine"] == "one-minute-back"
    assert outcomes(tmp_path)[0][0] == "interrupted"


async def test_run_uses_the_wearable_that_is_there_and_keeps_looking_for_the_other(
    tmp_path: Path, config_file: Path
) -> None:
    # The name `--sim` gives its one wearable (what `devices scan --sim` shows).
    present = SimOptions().derived(0).name
    process = await backstretch(
        tmp_path,
        *("run", "--sim", "--config", str(config_file)),
        *("--device", present, "--device", "BackStretch-ABSENT"),
    )
    assert process.stderr is not None
    log: list[str] = []
    started = time.monotonic()
    await read_until(process.stderr, f"wearable {present} connected", log)
    connected_after = time.monotonic() - started
    await read_until(process.stderr, "still looking for 'BackStretch-ABSENT'", log)
    process.send_signal(signal.SIGINT)
    _, rest = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, "".join(log) + rest.decode()
    # Within a few seconds of starting (interpreter start-up included), not a scan timeout.
    assert connected_after < 10, "".join(log)
    assert "Traceback" not in "".join(log) + rest.decode()
