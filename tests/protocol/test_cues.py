"""The device-side rules: cue buffer, states, characteristics, pattern table."""

from __future__ import annotations

import pytest

from firmware_protocol import (
    LATE_LIMIT_US,
    PATTERNS,
    CueBuffer,
    CueEntry,
    CueNow,
    CueOutcome,
    ErrorCode,
    ErrorReport,
    Hello,
    HubMessage,
    LoadCues,
    PatternEntry,
    PatternTable,
    ProtocolError,
    Reply,
    Start,
    TimeSyncPing,
    apply_pattern_table,
    characteristic_for,
    check_characteristic,
    cue_batches,
    encode,
    reply_for,
    scaled_intensity,
)
from firmware_protocol.gatt import CONTROL_CHAR_UUID, DATA_CHAR_UUID, EVENT_CHAR_UUID

NOW = 50_000_000


def cue(cue_id: int, at_us: int, pattern: int = 3) -> CueEntry:
    return CueEntry(cue_id=cue_id, deadline_us=at_us, pattern_id=pattern)


def test_cues_come_out_in_deadline_order_whatever_the_load_order() -> None:
    buffer = CueBuffer(8)
    buffer.load([cue(1, NOW + 300), cue(2, NOW + 100), cue(3, NOW + 200)], NOW)
    assert buffer.next_deadline_us() == NOW + 100
    assert buffer.pop_due(NOW + 99) == []
    due = buffer.pop_due(NOW + 250)
    assert [(c.cue_id, outcome) for c, outcome in due] == [
        (2, CueOutcome.PLAYED),
        (3, CueOutcome.PLAYED),
    ]
    assert buffer.free_slots == 7


def test_a_cue_found_past_the_late_limit_is_skipped_not_played() -> None:
    buffer = CueBuffer(4)
    buffer.load([cue(1, NOW + 10), cue(2, NOW + 20)], NOW)
    due = buffer.pop_due(NOW + 20 + LATE_LIMIT_US)
    assert [outcome for _, outcome in due] == [CueOutcome.SKIPPED, CueOutcome.PLAYED]


def test_a_refused_batch_changes_nothing() -> None:
    buffer = CueBuffer(4)
    buffer.load([cue(1, NOW + 10)], NOW)
    with pytest.raises(ProtocolError) as caught:
        buffer.load([cue(2, NOW + 20), cue(3, NOW - 5)], NOW)
    assert caught.value.code is ErrorCode.DEADLINE_PASSED
    assert caught.value.detail == 3
    assert [c.cue_id for c in buffer.pending] == [1]
    buffer.load([cue(2, NOW + 20)], NOW)  # id 2 was not used up by the refused batch


def test_clear_forgets_used_ids_so_a_session_can_be_reloaded() -> None:
    buffer = CueBuffer(4)
    buffer.load([cue(1, NOW + 10), cue(2, NOW + 20)], NOW)
    with pytest.raises(ProtocolError) as caught:
        buffer.load([cue(2, NOW + 30)], NOW)
    assert caught.value.code is ErrorCode.CUE_ID_REUSED
    buffer.clear()
    assert buffer.highest_cue_id is None
    buffer.load([cue(1, NOW + 40), cue(2, NOW + 50)], NOW)
    assert len(buffer) == 2


def test_a_full_buffer_refuses_and_reports_the_batch_size() -> None:
    buffer = CueBuffer(2)
    with pytest.raises(ProtocolError) as caught:
        buffer.load([cue(1, NOW + 1), cue(2, NOW + 2), cue(3, NOW + 3)], NOW)
    assert caught.value.code is ErrorCode.BUFFER_FULL
    report = ErrorReport.of(caught.value, ref_seq=7)
    assert (report.code, report.ref_seq, report.detail) == (ErrorCode.BUFFER_FULL, 7, 3)


def test_unknown_patterns_are_refused_when_the_table_is_given() -> None:
    buffer = CueBuffer(2)
    with pytest.raises(ProtocolError) as caught:
        buffer.load([cue(1, NOW + 1, pattern=77)], NOW, known_patterns={3, 4})
    assert caught.value.code is ErrorCode.UNKNOWN_PATTERN


def test_resume_shifts_every_pending_deadline() -> None:
    buffer = CueBuffer(4)
    buffer.load([cue(1, NOW + 100), cue(2, NOW + 200)], NOW)
    buffer.shift(4_000_000)
    assert [c.deadline_us for c in buffer.pending] == [NOW + 4_000_100, NOW + 4_000_200]
    assert buffer.pop_due(NOW + 200) == []


def test_error_report_of_an_uncoded_error_is_internal() -> None:
    assert ErrorReport.of(ProtocolError("boom")).code is ErrorCode.INTERNAL


@pytest.mark.parametrize(
    ("message", "uuid"),
    [
        (Hello(), CONTROL_CHAR_UUID),
        (TimeSyncPing(hub_timestamp_us=1), CONTROL_CHAR_UUID),
        (LoadCues(cues=(cue(1, 1),)), DATA_CHAR_UUID),
        (CueNow(cue_id=1, pattern_id=3), DATA_CHAR_UUID),
        (Start(), CONTROL_CHAR_UUID),
    ],
)
def test_each_message_has_its_characteristic(message: HubMessage, uuid: str) -> None:
    assert characteristic_for(message) == uuid
    check_characteristic(message, uuid.upper())
    wrong = DATA_CHAR_UUID if uuid == CONTROL_CHAR_UUID else CONTROL_CHAR_UUID
    with pytest.raises(ProtocolError) as caught:
        check_characteristic(message, wrong)
    assert caught.value.code is ErrorCode.WRONG_CHARACTERISTIC


def test_device_messages_written_to_the_device_are_on_the_wrong_characteristic() -> None:
    report = ErrorReport(code=ErrorCode.BAD_STATE)
    assert characteristic_for(ErrorReport) == EVENT_CHAR_UUID
    with pytest.raises(ProtocolError) as caught:
        check_characteristic(report, CONTROL_CHAR_UUID)
    assert caught.value.code is ErrorCode.WRONG_CHARACTERISTIC


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        (Hello(), Reply.CAPABILITIES),
        (TimeSyncPing(hub_timestamp_us=5), Reply.PONG),
        (CueNow(cue_id=1, pattern_id=3), Reply.CUE_EXECUTED),
        (Start(), Reply.STATUS),
        (LoadCues(cues=(cue(1, 1),)), Reply.STATUS),
    ],
)
def test_replies(message: HubMessage, reply: Reply) -> None:
    assert reply_for(message) is reply


def test_a_pattern_table_over_capacity_is_refused_and_replace_starts_empty() -> None:
    first = PatternTable(replace=True, patterns=tuple(p.entry() for p in PATTERNS.values()))
    table = apply_pattern_table({}, first, capacity=9)
    assert set(table) == {p.pattern_id for p in PATTERNS.values()}
    extra = PatternTable(patterns=(PatternEntry(pattern_id=200, segments=PATTERNS["go"].segments),))
    with pytest.raises(ProtocolError) as caught:
        apply_pattern_table(table, extra, capacity=9)
    assert caught.value.code is ErrorCode.PATTERN_TABLE_FULL
    replaced = apply_pattern_table(table, PatternTable(replace=True, patterns=extra.patterns), 9)
    assert set(replaced) == {200}


@pytest.mark.parametrize(
    ("segment", "cue_level", "expected"),
    [(255, 255, 255), (255, 0, 0), (0, 255, 0), (200, 128, 100), (1, 1, 1)],
)
def test_scaled_intensity(segment: int, cue_level: int, expected: int) -> None:
    assert scaled_intensity(segment, cue_level) == expected


def test_cue_batches_fit_the_device_and_keep_the_order() -> None:
    cues = [cue(i, NOW + i) for i in range(40)]
    batches = cue_batches(cues, max_message_size=64)  # (64 - 5) // 12 = 4 per message
    assert [len(b) for b in batches] == [4] * 10
    assert [c for b in batches for c in b] == cues
    assert all(len(encode(LoadCues(cues=b))) <= 64 for b in batches)
    assert [len(b) for b in cue_batches(cues, 512, max_cues=16)] == [16, 16, 8]


def test_cue_batches_with_no_free_slot_say_to_wait() -> None:
    with pytest.raises(ProtocolError, match="wait") as caught:
        cue_batches([cue(1, NOW)], 244, max_cues=0)
    assert caught.value.code is ErrorCode.BUFFER_FULL
