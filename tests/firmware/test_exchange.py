"""A scripted session (tests/firmware/exchange.py) played by the firmware in MicroPython.

The answers are decoded with the hub's codec and the motor timeline is checked against the
patterns, on ticks that wrap mid-session. CPython runs the same script on the same core and
must give the same transcript, byte for byte.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from firmware_protocol import codec as hub_codec
from firmware_protocol.messages import (
    Capabilities,
    CueExecuted,
    CueOutcome,
    DeviceState,
    Message,
    MotorType,
    Status,
    TimeSyncPong,
)
from tests.firmware.exchange import PATTERNS, START_US, run
from tests.firmware.micropython import MicroPython

PERIOD = 1 << 30  # ticks_us wraps here on 32-bit ports, and in the WebAssembly port
START_TICKS = PERIOD - 1_500_000
IN_MICROPYTHON = f"""
import json, time
from tests.firmware.exchange import run
print(json.dumps(run(time.ticks_diff, time.ticks_add, {START_TICKS})))
"""


def ticks_diff(a: int, b: int) -> int:
    return ((a - b + PERIOD // 2) & (PERIOD - 1)) - PERIOD // 2


def ticks_add(a: int, b: int) -> int:
    return (a + b) & (PERIOD - 1)


@pytest.fixture(scope="module")
def transcript(micropython: MicroPython) -> dict[str, Any]:
    result: dict[str, Any] = micropython.result(IN_MICROPYTHON)
    return result


def answers(transcript: dict[str, Any], step: str) -> list[Message]:
    (found,) = [s for s in transcript["steps"] if s["step"] == step]
    return [hub_codec.decode(bytes.fromhex(a)) for a in found["answers"]]


def at_us(transcript: dict[str, Any], step: str) -> int:
    (found,) = [s for s in transcript["steps"] if s["step"] == step]
    value: int = found["at_us"]
    return value


def status(transcript: dict[str, Any], step: str) -> Status:
    (only,) = answers(transcript, step)
    assert isinstance(only, Status)
    (found,) = [s for s in transcript["steps"] if s["step"] == step]
    assert only.ack_seq == found["seq"]
    return only


def executed(transcript: dict[str, Any], step: str) -> list[tuple[int, int, CueOutcome]]:
    found = answers(transcript, step)
    assert all(isinstance(m, CueExecuted) for m in found)
    return [(m.cue_id, m.device_time_us, m.outcome) for m in found if isinstance(m, CueExecuted)]


def switches(pattern_id: int, onset: int, intensity: int = 255) -> list[list[int]]:
    """The motor changes a pattern makes from `onset` (levels 1-255: a PWM motor)."""
    out: list[list[int]] = []
    t, level = onset, 0
    for on_ms, off_ms, strength in PATTERNS[pattern_id]:
        scaled = max(1, (strength * intensity + 127) // 255)
        if scaled != level:
            out.append([t, scaled])
            level = scaled
        t += on_ms * 1000
        if off_ms:
            out.append([t, 0])
            level = 0
            t += off_ms * 1000
    return out


def test_cpython_plays_the_same_session_byte_for_byte(transcript: dict[str, Any]) -> None:
    assert json.loads(json.dumps(run(ticks_diff, ticks_add, START_TICKS))) == transcript


def test_hello_and_pings(transcript: dict[str, Any]) -> None:
    (caps,) = answers(transcript, "hello")
    assert isinstance(caps, Capabilities)
    assert (caps.motor, caps.cue_buffer_size, caps.max_message_size) == (MotorType.ERM, 32, 256)
    assert (caps.has_button, caps.has_display) == (True, False)
    pongs = [s for s in transcript["steps"] if s["step"] == "ping"]
    assert [p["at_us"] - START_US for p in pongs] == [0, 250_000, 500_000]
    for step, hub_us in zip(pongs, (7_000_000, 7_250_000, 7_500_000), strict=True):
        (pong,) = [hub_codec.decode(bytes.fromhex(a)) for a in step["answers"]]
        assert isinstance(pong, TimeSyncPong)
        # The hub's stamp echoed; the device clock when the ping arrived, past 2**32 us.
        assert (pong.hub_timestamp_us, pong.device_time_us) == (hub_us, step["at_us"])


def test_load_start_and_play_on_the_deadlines(transcript: dict[str, Any]) -> None:
    assert status(transcript, "patterns").state is DeviceState.IDLE
    loaded = status(transcript, "load 16")
    assert (loaded.state, loaded.free_cue_slots, loaded.battery_percent) == (
        DeviceState.LOADED,
        16,
        80,
    )
    assert status(transcript, "start").state is DeviceState.PLAYING
    first = at_us(transcript, "load 16") + 500_000
    assert executed(transcript, "played 1-4") == [
        (cue, first + (cue - 1) * 1_000_000, CueOutcome.PLAYED) for cue in (1, 2, 3, 4)
    ]
    timeline = transcript["timeline"]
    # Inhale, exhale, hold: every segment switched on its microsecond.
    expected = switches(3, first) + switches(4, first + 1_000_000) + switches(5, first + 2_000_000)
    assert timeline[: len(expected)] == expected


def test_pause_stops_the_motor_at_once_and_resume_shifts(transcript: dict[str, Any]) -> None:
    first = at_us(transcript, "load 16") + 500_000
    paused_at = at_us(transcript, "pause")
    assert status(transcript, "pause").state is DeviceState.PAUSED
    timeline = transcript["timeline"]
    # Cue 4 (inhale) was in its first tap: on at its deadline, off at the pause.
    assert [first + 3_000_000, 150] in timeline
    assert [paused_at, 0] in timeline
    assert not [t for t, _ in timeline if paused_at < t < at_us(transcript, "resume")]
    assert answers(transcript, "paused") == []
    assert status(transcript, "resume").state is DeviceState.PLAYING
    # Shifted 0.5 s: cue 5 was then 0.52 s late (skipped, reported when found), cue 6 played.
    resumed = at_us(transcript, "resume")
    assert executed(transcript, "after resume") == [
        (5, resumed, CueOutcome.SKIPPED),
        (6, first + 5_500_000, CueOutcome.PLAYED),
    ]


def test_cues_play_on_while_the_link_is_down(transcript: dict[str, Any]) -> None:
    first = at_us(transcript, "load 16") + 500_000
    assert answers(transcript, "while dropped") == []
    onsets = [t for t, level in transcript["timeline"] if level]
    assert first + 6_500_000 in onsets  # cue 7, heard by nobody
    assert first + 7_500_000 in onsets  # cue 8
    (caps,) = answers(transcript, "hello again")
    assert isinstance(caps, Capabilities)
    again = status(transcript, "status")
    assert (again.state, again.free_cue_slots) == (DeviceState.PLAYING, 24)


def test_clear_reload_cue_now_and_stop(transcript: dict[str, Any]) -> None:
    cleared = status(transcript, "clear")
    assert (cleared.state, cleared.free_cue_slots) == (DeviceState.PLAYING, 32)
    reload_at = at_us(transcript, "reload")
    assert status(transcript, "reload").free_cue_slots == 29
    # Clear forgot the used ids: the reload starts at 1 again.
    assert executed(transcript, "reloaded cues played") == [
        (1, reload_at + 300_000, CueOutcome.PLAYED),
        (2, reload_at + 1_300_000, CueOutcome.PLAYED),
    ]
    now_at = at_us(transcript, "cue now")
    assert executed(transcript, "cue now") == [(900, now_at, CueOutcome.PLAYED)]
    timeline = transcript["timeline"]
    assert [now_at, 128] in timeline  # exhale's first 255 at intensity 128
    stopped_at = at_us(transcript, "stop")
    assert status(transcript, "stop").state is DeviceState.IDLE
    assert timeline[-1] == [stopped_at, 0]  # cut mid-exhale, and the third cue never played
    assert answers(transcript, "stopped") == []
