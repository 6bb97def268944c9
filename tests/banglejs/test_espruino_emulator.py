"""The player the hub uploads, run by Espruino itself: the Bangle.js 2 emulator.

Optional: set BACKSTRETCH_ESPRUINO_EMULATOR to a folder holding `emulator_banglejs2.js`,
`emu_banglejs2.js` and `common.js` from the `emu/` folder of the Espruino Web IDE. The
emulator is the real interpreter (compiled to JavaScript), so this checks what the
simulated watch cannot: that Espruino parses the player, keeps its timers and answers the
hub's queries. The emulator has no radio, so two things are shimmed before the upload:
`Bluetooth.println` prints to the console, and `Bangle.buzz` (silent there) records its
calls on the console.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from companion.devices.banglejs.console import (
    CLEAR_LINE,
    ConsoleReader,
    command,
    player_source,
    version_query,
)
from companion.devices.banglejs.link import PLAYER_VERSION
from companion.devices.banglejs.patterns import buzz_steps, pattern_table
from firmware_protocol.patterns import pattern_id

HARNESS = Path(__file__).with_name("espruino_emulator.js")
FILES = ("emulator_banglejs2.js", "emu_banglejs2.js", "common.js")
SHIMS = (
    "Bluetooth.println=function(t){print(t);};"
    "Bangle.buzz=function(ms,s){print(JSON.stringify({emu:'buzz',ms:ms,s:s}));"
    "return new Promise(function(r){setTimeout(r,ms||200);});};"
)


def emulator_folder() -> Path:
    folder = os.environ.get("BACKSTRETCH_ESPRUINO_EMULATOR")
    if not folder:
        pytest.skip(
            "set BACKSTRETCH_ESPRUINO_EMULATOR to a folder with emulator_banglejs2.js, "
            "emu_banglejs2.js and common.js from the Espruino Web IDE's emu/ folder"
        )
    path = Path(folder)
    missing = [name for name in FILES if not (path / name).is_file()]
    if missing:
        pytest.fail(f"BACKSTRETCH_ESPRUINO_EMULATOR={folder} lacks {', '.join(missing)}")
    if shutil.which("node") is None:
        pytest.fail("the emulator runs in Node.js, which is not installed")
    return path


def send(source: str) -> dict[str, str]:
    return {"send": command(source).decode()}


def run(folder: Path, steps: list[dict[str, Any]]) -> list[str]:
    done = subprocess.run(
        ["node", str(HARNESS)],
        input=json.dumps(steps),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "BACKSTRETCH_ESPRUINO_EMULATOR": str(folder)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    messages = [json.loads(line) for line in done.stdout.splitlines()]
    assert messages[-1] == {"done": True}
    return [str(m["line"]) for m in messages[:-1]]


def test_espruino_runs_the_player_the_hub_uploads() -> None:
    folder = emulator_folder()
    steps, words = pattern_table()
    inhale, exhale = pattern_id("inhale"), pattern_id("exhale")
    script: list[dict[str, Any]] = [
        {"send": CLEAR_LINE.decode()},
        send(SHIMS),
        send(version_query()),
        send(player_source(PLAYER_VERSION)),
        send("print(JSON.stringify({emu:'memory',m:process.memory()}))"),
        send(f"BS.t({json.dumps(steps)},{json.dumps(words)})"),
        send('BS.s(["Sphinx"],getTime()+5)'),
        send("BS.y(7)"),
        send("BS.b(8)"),
        send(f"BS.q([[1,getTime()+0.3,{inhale},0],[2,getTime()+1.2,{exhale},0]])"),
        {"wait_ms": 2500},
        {"press_ms": 100},
        {"wait_ms": 700},
        {"press_ms": 1000},
        {"wait_ms": 300},
        {"press_ms": 80},
        {"wait_ms": 120},
        {"press_ms": 80},
        {"wait_ms": 700},
        send(version_query()),
        {"wait_ms": 100},
    ]
    lines = run(folder, script)

    reader = ConsoleReader()
    ours = reader.feed("\n".join(lines).encode() + b"\n")
    assert reader.errors == 0, reader.other
    versions = [m["v"] for m in ours if m["bs"] == "v"]
    # None before the upload; the player says its version when it starts; asked again.
    assert versions == [None, PLAYER_VERSION, PLAYER_VERSION]
    (sync,) = [m for m in ours if m["bs"] == "y"]
    assert sync["g"] == 7
    assert isinstance(sync["t"], float)
    (battery,) = [m for m in ours if m["bs"] == "b"]
    assert battery["g"] == 8
    assert 0 <= battery["v"] <= 100
    started = [m for m in ours if m["bs"] == "e"]
    assert [m["i"] for m in started] == [1, 2]
    assert sync["t"] < started[0]["t"] < started[1]["t"]
    assert [m["k"] for m in ours if m["bs"] == "k"] == ["short", "long", "double"]

    records = [json.loads(line[line.index("{") :]) for line in lines if '{"emu":' in line]
    buzzes = [[r["ms"], r["s"]] for r in records if r["emu"] == "buzz"]
    expected = [[on, strength] for on, _gap, strength in buzz_steps("inhale")]
    expected += [[on, strength] for on, _gap, strength in buzz_steps("exhale")]
    assert buzzes == expected
    (memory,) = [r["m"] for r in records if r["emu"] == "memory"]
    # The player leaves most of the watch's JavaScript memory free.
    assert memory["usage"] < memory["total"] / 4
