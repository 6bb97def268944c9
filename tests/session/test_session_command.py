"""`backstretch session` as a user runs it: trace, JSON summary, exit codes, messages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from companion.cli import main
from companion.session.trace import figures_from_trace, read_trace

FAST = ["--sim", "--speed", "8", "--exercise", "sphinx"]


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def test_a_session_writes_the_trace_and_a_summary_that_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "trace.jsonl"
    code = main(["session", "one-minute-back", *FAST, "--trace", str(trace), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary) == {
        "status",
        "routine",
        "cues_planned",
        "cues_executed",
        "onset_error_ms",
        "timing",
        "onset_source",
    }
    assert summary["status"] == "completed"
    assert summary["timing"] == "device-timed"
    # In process, the figures are the simulated motors' own starts.
    assert summary["onset_source"] == "simulated motor"
    assert summary["routine"] == "one-minute-back"
    rows = [json.loads(line) for line in trace.read_text().splitlines()]
    planned = [row for row in rows if row["kind"] == "planned"]
    executed = [row for row in rows if row["kind"] == "executed"]
    assert set(planned[0]) == {"kind", "cue_id", "cue", "step", "t"}
    assert {"kind", "cue_id", "cue", "t"} <= set(executed[0])
    assert [row["t"] for row in rows] == sorted(row["t"] for row in rows)
    assert summary["cues_planned"] == len(planned)
    assert summary["cues_executed"] == len({row["cue_id"] for row in executed})
    figures = figures_from_trace(*read_trace(trace))
    assert summary["onset_error_ms"] == figures.as_dict()


def test_the_session_is_recorded_in_history(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["session", "one-minute-back", *FAST]) == 0
    assert "completed" in capsys.readouterr().out
    assert main(["history", "--json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert history["sessions_today"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "unknown routine 'nope'; known: desk-breathing, one-minute-back"),
        (["one-minute-back", "--exercise", "yoga"], "has no exercise 'yoga'"),
        (["one-minute-back", "--rounds", "cat-cow=9"], "rounds for 'cat-cow' must be 3 to 4"),
        (["one-minute-back", "--sim", "--sim-battery", "140"], "battery must be 0-100 %"),
    ],
)
def test_a_mistake_gets_one_line_and_a_non_zero_exit(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["session", *args, "--sim"]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("backstretch: error: ")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--pace", "abc"], "argument --pace: expected breaths per minute, got 'abc'"),
        (["--pace", "20"], "argument --pace: must be 3 to 12 breaths per minute, got 20"),
        (["--speed", "0"], "argument --speed: must be 0.01 to 1000, got 0"),
        (["--rounds", "cat-cow"], "argument --rounds: expected EXERCISE=N"),
    ],
)
def test_a_usage_mistake_gets_the_sessions_usage_and_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["session", "one-minute-back", *args])
    assert exited.value.code == 2
    usage, error = capsys.readouterr().err.splitlines()
    assert usage == "usage: backstretch session [options] ROUTINE"
    assert error.startswith(f"backstretch session: error: {message}")


def test_rounds_are_chosen_per_exercise(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--sim", "--speed", "20", "--exercise", "cat-cow", "--json"]
    assert main(["session", "one-minute-back", *argv, "--rounds", "cat-cow=4"]) == 0
    four = json.loads(capsys.readouterr().out)["cues_planned"]
    assert main(["session", "one-minute-back", *argv]) == 0
    three = json.loads(capsys.readouterr().out)["cues_planned"]
    # A round of cat-cow is an inhale and an exhale.
    assert four - three == 2


def test_ctrl_c_stops_the_session_tells_the_wearable_and_says_so(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "companion", "-v", "session", "one-minute-back", "--sim"),
            *("--trace", str(trace)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path)},
    )
    deadline = time.monotonic() + 30
    assert process.stderr is not None
    while time.monotonic() < deadline:
        if "connected and synced" in process.stderr.readline():
            break
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 130
    assert "session stopped; the wearable was told to stop" in err
    assert "stopped" in out
    assert "Traceback" not in err
    planned, executed = read_trace(trace)
    assert planned
    assert {e.cue_id for e in executed} <= {p.cue_id for p in planned}


async def test_no_bluetooth_on_this_machine_is_said_in_words() -> None:
    from companion.devices.radio import Radio, scanning_errors
    from companion.errors import DeviceError

    # What bleak raises when BlueZ's D-Bus socket is not there.
    with pytest.raises(DeviceError) as caught:
        async with scanning_errors(Radio()):
            raise FileNotFoundError(2, "No such file or directory")
    message = str(caught.value)
    assert "[Errno" not in message
    assert message.startswith(
        "cannot scan with the operating system's Bluetooth: the D-Bus system bus is not there "
        "(no such file or directory); is Bluetooth (BlueZ) running here?"
    )
