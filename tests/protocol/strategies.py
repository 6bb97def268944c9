"""Hypothesis strategies that build every valid protocol message."""

from __future__ import annotations

from hypothesis import strategies as st

from firmware_protocol import (
    Abort,
    ButtonKind,
    ButtonPress,
    Capabilities,
    Clear,
    CueEntry,
    CueExecuted,
    CueNow,
    CueOutcome,
    DeviceState,
    ErrorCode,
    ErrorReport,
    Hello,
    LoadCues,
    Message,
    MotorType,
    PatternEntry,
    PatternTable,
    Pause,
    RequestStatus,
    Resume,
    Segment,
    SetConnectionPreference,
    ShowText,
    Start,
    Status,
    TimeSyncPing,
    TimeSyncPong,
    fit_text,
)
from firmware_protocol.messages import MAX_SEGMENT_MS, MAX_SEGMENTS, MESSAGE_CLASSES

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
u64 = st.integers(0, 0xFFFF_FFFF_FFFF_FFFF)


@st.composite
def segments(draw: st.DrawFn) -> Segment:
    on = draw(st.integers(0, MAX_SEGMENT_MS))
    off = draw(st.integers(0 if on else 1, MAX_SEGMENT_MS - on))
    return Segment(on_ms=on, off_ms=off, intensity=draw(u8))


pattern_entries = st.builds(
    PatternEntry,
    pattern_id=st.integers(1, 0xFF),
    segments=st.lists(segments(), min_size=1, max_size=MAX_SEGMENTS).map(tuple),
)
cue_entries = st.builds(CueEntry, cue_id=u16, deadline_us=u64, pattern_id=u8, intensity=u8)


@st.composite
def connection_preferences(draw: st.DrawFn) -> SetConnectionPreference:
    lo = draw(st.integers(6, 3200))
    hi = draw(st.integers(lo, 3200))
    latency = draw(st.integers(0, 499))
    floor = (1 + latency) * hi // 4 + 1
    timeout = draw(st.integers(max(10, floor), 3200)) if floor <= 3200 else None
    if timeout is None:
        latency, timeout = 0, 3200
    return SetConnectionPreference(
        seq=draw(u16), min_interval=lo, max_interval=hi, latency=latency, timeout=timeout
    )


STRATEGIES: dict[type[Message], st.SearchStrategy[Message]] = {
    Hello: st.builds(Hello, seq=u16),
    TimeSyncPing: st.builds(TimeSyncPing, seq=u16, hub_timestamp_us=u64),
    PatternTable: st.builds(
        PatternTable,
        seq=u16,
        replace=st.booleans(),
        patterns=st.lists(pattern_entries, max_size=6, unique_by=lambda p: p.pattern_id).map(tuple),
    ),
    LoadCues: st.builds(
        LoadCues, seq=u16, cues=st.lists(cue_entries, min_size=1, max_size=20).map(tuple)
    ),
    Start: st.builds(Start, seq=u16),
    Pause: st.builds(Pause, seq=u16),
    Resume: st.builds(Resume, seq=u16, shift_us=u64),
    Abort: st.builds(Abort, seq=u16),
    Clear: st.builds(Clear, seq=u16),
    CueNow: st.builds(CueNow, seq=u16, cue_id=u16, pattern_id=u8, intensity=u8),
    ShowText: st.builds(ShowText, seq=u16, text=st.text(max_size=120).map(fit_text)),
    SetConnectionPreference: connection_preferences(),
    RequestStatus: st.builds(RequestStatus, seq=u16),
    Capabilities: st.builds(
        Capabilities,
        seq=u16,
        protocol_version=u8,
        cue_buffer_size=st.integers(1, 0xFFFF),
        max_message_size=st.integers(32, 0xFFFF),
        motor=st.sampled_from(MotorType),
        intensity_levels=st.integers(1, 0xFF),
        has_display=st.booleans(),
        has_button=st.booleans(),
        clock_resolution_us=st.integers(1, 0xFFFF_FFFF),
    ),
    TimeSyncPong: st.builds(TimeSyncPong, seq=u16, hub_timestamp_us=u64, device_time_us=u64),
    CueExecuted: st.builds(
        CueExecuted,
        seq=u16,
        cue_id=u16,
        device_time_us=u64,
        outcome=st.sampled_from(CueOutcome),
    ),
    ButtonPress: st.builds(
        ButtonPress, seq=u16, kind=st.sampled_from(ButtonKind), device_time_us=u64
    ),
    Status: st.builds(
        Status,
        seq=u16,
        battery_percent=st.one_of(st.integers(0, 100), st.just(255)),
        free_cue_slots=u16,
        state=st.sampled_from(DeviceState),
        ack_seq=u16,
    ),
    ErrorReport: st.builds(
        ErrorReport, seq=u16, code=st.sampled_from(ErrorCode), ref_seq=u16, detail=u16
    ),
}
assert set(STRATEGIES) == set(MESSAGE_CLASSES)

any_message: st.SearchStrategy[Message] = st.one_of(*STRATEGIES.values())
