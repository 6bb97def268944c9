"""SPEC.md states what the code does: its tables are checked against the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from firmware_protocol import PATTERNS, ErrorCode, Message, MessageType
from firmware_protocol.messages import MESSAGE_CLASSES
from firmware_protocol.patterns import pulse_class, pulses
from tests.protocol.vectors import load_vectors

SPEC = (Path(__file__).resolve().parents[2] / "firmware_protocol" / "SPEC.md").read_text("utf-8")


def test_every_error_code_is_in_the_error_table_with_its_number() -> None:
    rows = dict(re.findall(r"^\| 0x([0-9A-F]{2}) \| ([A-Z_]+) \|", SPEC, re.MULTILINE))
    documented = {name: int(code, 16) for code, name in rows.items()}
    assert documented == {c.name: c.value for c in ErrorCode}


def test_every_message_type_is_in_the_message_table_with_its_number() -> None:
    rows = re.findall(r"^\| 0x([0-9A-F]{2}) \| ([A-Za-z]+) \| (hub|device) to", SPEC, re.MULTILINE)
    documented = {name: int(code, 16) for code, name, _ in rows}
    expected = {cls.__name__: int(cls.TYPE) for cls in MESSAGE_CLASSES}
    assert documented == expected
    assert set(expected.values()) == {int(t) for t in MessageType}


@pytest.mark.parametrize("cls", MESSAGE_CLASSES, ids=lambda c: c.__name__)
def test_each_message_section_gives_the_size_of_a_canonical_frame(cls: type[Message]) -> None:
    heading = re.search(rf"^### 0x{int(cls.TYPE):02X} .*?\(([^)]*)bytes", SPEC, re.MULTILINE)
    if heading is None:  # the empty messages share one heading
        heading = re.search(
            rf"^### .*0x{int(cls.TYPE):02X} {cls.__name__}.*\((\d+) bytes", SPEC, re.MULTILINE
        )
    assert heading is not None, cls.__name__
    size_text = heading.group(1).strip()
    frames = [bytes.fromhex(v["hex"]) for v in load_vectors()["valid"] if v["type"] == cls.__name__]
    if size_text.isdigit():
        assert {len(f) for f in frames} == {int(size_text)}
    else:  # variable length: the heading gives the fixed part first
        fixed = int(size_text.split("+")[0])
        assert all(len(f) >= fixed for f in frames)


def test_the_vocabulary_table_lists_every_pattern_exactly() -> None:
    for pattern in PATTERNS.values():
        segments = ", ".join(f"{s.on_ms}/{s.off_ms}@{s.intensity}" for s in pattern.segments)
        kinds = " ".join(str(pulse_class(p.on_ms)) for p in pulses(pattern.segments))
        row = (
            f"| `{pattern.name}` | {pattern.pattern_id} | {segments} | {pattern.duration_ms} "
            f"| {kinds} | {pattern.description} |"
        )
        assert row in SPEC


def test_the_16_cue_figure_in_the_spec_is_true() -> None:
    frame = next(v for v in load_vectors()["fragments"] if v["name"].startswith("16 cues"))
    assert f"16 cues make a {len(bytes.fromhex(frame['message']))}-byte message" in SPEC
    assert len(frame["fragments"]) == 1
