"""Memory the core takes in MicroPython, and the cue path that allocates nothing.

Measured with `gc.mem_alloc()` after `gc.collect()` (the heap a board's `gc.mem_free()`
loses), in MicroPython's WebAssembly port, a 32-bit build like an ESP32's or a Pico's.
The figures are in firmware_protocol/micropython/README.md; the bounds here keep them true.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.firmware.micropython import MicroPython

MEASURE = """
import gc, json, time
gc.collect()
start = gc.mem_alloc()
from firmware_protocol.micropython.core import battery, button, codec, device, framing
from firmware_protocol.micropython.core import runtime, wire
gc.collect()
imported = gc.mem_alloc()
from tests.firmware.exchange import PATTERNS, cues, segment_bytes

def write(message, transfer):
    (value,) = framing.fragments(codec.encode(message), 244, transfer)
    return value

table = [(pid, segment_bytes(s)) for pid, s in PATTERNS.items()]
patterns = write(codec.Message(wire.PATTERN_TABLE, 1, (1,), patterns=table), 0)
load = write(codec.Message(wire.LOAD_CUES, 2, cues=cues(1, 16, 1_000_000, [3, 4, 5])), 0)
start_frame = write(codec.Message(wire.START, 3), 1)
rt = level = late = before = allocated_by_load = at = None
onsets = [0] * 200
wakes = 0
gc.collect()
helpers = gc.mem_alloc()
rt = runtime.Runtime(device.Device(device.Config()), time.ticks_diff, time.ticks_add, 0, 0)
rt.device.link_up(244)
gc.collect()
idle = gc.mem_alloc()
rt.receive(wire.CONTROL, patterns, 0)
rt.device.take_outbox()
gc.collect()
with_patterns = gc.mem_alloc()
gc.disable()
before = gc.mem_alloc()
rt.receive(wire.DATA, load, 0)
allocated_by_load = gc.mem_alloc() - before
gc.enable()
rt.device.take_outbox()
gc.collect()
loaded = gc.mem_alloc()
rt.receive(wire.CONTROL, start_frame, 0)
rt.device.take_outbox()
while rt.wake != runtime.NOTHING and wakes < 200:
    at = rt.wake_at
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    level = rt.onset(at)
    late = time.ticks_diff(at, rt.wake_at)
    onsets[wakes] = gc.mem_alloc() - before
    gc.enable()
    rt.commit(at)
    wakes += 1
print(json.dumps({
    "imports": imported - start,
    "runtime_idle": idle - helpers,
    "pattern_table_3": with_patterns - idle,
    "cues_16_retained": loaded - with_patterns,
    "cues_16_allocated_while_loading": allocated_by_load,
    "onset_allocations": onsets[:wakes],
    "played": 16 - len(rt.device.cues.pending),
    "core_with_16_cues": (imported - start) + (loaded - helpers),
}))
"""


@pytest.fixture(scope="module")
def figures(micropython: MicroPython) -> dict[str, Any]:
    found: dict[str, Any] = micropython.result(MEASURE)
    print(found)  # the README's figures come from here (pytest -s shows them)
    return found


def test_the_cue_path_allocates_nothing(figures: dict[str, Any]) -> None:
    assert figures["played"] == 16
    wakes = figures["onset_allocations"]
    assert len(wakes) > 16  # every onset and every segment switch
    assert wakes == [0] * len(wakes)


def test_memory_for_a_16_cue_load_stays_small(figures: dict[str, Any]) -> None:
    # An ESP32 leaves about 100 KB of heap with Bluetooth on, a Pico W about 150 KB.
    assert figures["cues_16_retained"] < 2_500
    assert figures["cues_16_allocated_while_loading"] < 6_000
    assert figures["core_with_16_cues"] < 60_000
