"""The haptic vocabulary's design rules, and its adaptation to a device."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_protocol import (
    PATTERNS,
    Capabilities,
    ErrorCode,
    MotorType,
    ProtocolError,
    Segment,
    decode,
    encode,
    pattern_id,
    pattern_table_messages,
)
from firmware_protocol.patterns import (
    ERM_MIN_INTENSITY,
    LONG_MIN_MS,
    MIN_GAP_MS,
    MIN_PULSE_MS,
    adapt_segments,
    looks_like_ring,
    pulse_class,
    pulses,
)

# The routines package emits these names in its cue plans without importing us.
ROUTINE_NAMES = {
    "countdown_tick",
    "go",
    "inhale",
    "exhale",
    "hold",
    "step_change",
    "side_switch",
    "session_end",
    "reminder",
}


def caps(motor: MotorType, levels: int, max_message_size: int = 512) -> Capabilities:
    return Capabilities(
        cue_buffer_size=16,
        max_message_size=max_message_size,
        motor=motor,
        intensity_levels=levels,
        has_display=False,
        has_button=False,
        clock_resolution_us=1,
    )


def classes(name: str) -> list[str | None]:
    return [pulse_class(p.on_ms) for p in pulses(PATTERNS[name].segments)]


def test_the_vocabulary_has_exactly_the_names_routines_use_with_distinct_ids() -> None:
    assert set(PATTERNS) == ROUTINE_NAMES
    ids = [pattern_id(name) for name in PATTERNS]
    assert len(set(ids)) == len(ids)
    assert all(1 <= i <= 255 for i in ids)


@pytest.mark.parametrize("name", sorted(ROUTINE_NAMES))
def test_pulses_and_gaps_suit_the_weakest_motor(name: str) -> None:
    found = pulses(PATTERNS[name].segments)
    assert found
    for pulse in found:
        assert pulse.on_ms >= MIN_PULSE_MS
        assert pulse.gap_after_ms >= MIN_GAP_MS  # the trailing gap too: patterns never merge
        assert pulse_class(pulse.on_ms) is not None, f"{name}: {pulse.on_ms} ms is in no class"
    for segment in PATTERNS[name].segments:
        assert segment.off_ms == 0 or segment.off_ms >= MIN_GAP_MS


def test_every_pattern_is_told_apart_by_pulse_lengths_alone() -> None:
    signatures = [tuple(classes(name)) for name in PATTERNS]
    assert len(set(signatures)) == len(signatures)


@pytest.mark.parametrize("name", sorted(ROUTINE_NAMES))
def test_no_pattern_resembles_a_phone_ring(name: str) -> None:
    assert not looks_like_ring(PATTERNS[name].segments)


def test_the_ring_detector_can_fire() -> None:
    ring = [Segment(on_ms=50, off_ms=950)] * 3
    assert looks_like_ring(ring)


def test_inhale_is_three_taps_with_shrinking_gaps_and_rising_strength() -> None:
    found = pulses(PATTERNS["inhale"].segments)
    assert classes("inhale") == ["tap"] * 3
    gaps = [p.gap_after_ms for p in found[:-1]]
    assert gaps == sorted(gaps, reverse=True)
    assert gaps[0] > gaps[1]
    strengths = [p.intensities[0] for p in found]
    assert strengths == sorted(strengths)
    assert strengths[0] < strengths[-1]


def test_exhale_is_one_long_fading_pulse() -> None:
    (pulse,) = pulses(PATTERNS["exhale"].segments)
    assert pulse.on_ms >= LONG_MIN_MS
    assert list(pulse.intensities) == sorted(pulse.intensities, reverse=True)
    assert pulse.intensities[0] > pulse.intensities[-1]


def test_hold_is_one_soft_tap() -> None:
    (pulse,) = pulses(PATTERNS["hold"].segments)
    assert pulse_class(pulse.on_ms) == "tap"
    assert max(pulse.intensities) < 255


def test_step_change_is_two_pairs_of_medium_pulses() -> None:
    found = pulses(PATTERNS["step_change"].segments)
    assert classes("step_change") == ["medium"] * 4
    within, between, within_again = (p.gap_after_ms for p in found[:3])
    assert between > within
    assert between > within_again


def test_session_end_is_three_longer_pulses() -> None:
    assert classes("session_end") == ["long"] * 3
    assert all(p.on_ms > LONG_MIN_MS for p in pulses(PATTERNS["session_end"].segments))


def test_an_unknown_name_says_which_names_exist() -> None:
    with pytest.raises(ProtocolError, match="inhale") as caught:
        pattern_id("breathe")
    assert caught.value.code is ErrorCode.UNKNOWN_PATTERN


@pytest.mark.parametrize(
    "device",
    [
        caps(MotorType.ERM, 1),
        caps(MotorType.ERM, 2, max_message_size=64),
        caps(MotorType.ERM, 8, max_message_size=32),
        caps(MotorType.LRA, 255),
        caps(MotorType.LRA, 4, max_message_size=100),
    ],
    ids=["erm-onoff", "erm-2-small", "erm-8-tiny", "lra-full", "lra-4"],
)
def test_the_upload_fits_the_device_and_keeps_every_rule(device: Capabilities) -> None:
    messages = pattern_table_messages(device, first_seq=0xFFFE)
    assert [m.replace for m in messages] == [True] + [False] * (len(messages) - 1)
    assert [m.seq for m in messages][:2] == [0xFFFE, 0][: len(messages)]
    assert all(len(encode(m)) <= device.max_message_size for m in messages)
    uploaded = {p.pattern_id: p for m in messages for p in m.patterns}
    assert set(uploaded) == {p.pattern_id for p in PATTERNS.values()}
    allowed = {round(step * 255 / device.intensity_levels) for step in range(1, 256)}
    for pattern in PATTERNS.values():
        adapted = uploaded[pattern.pattern_id].segments
        # Timing is untouched: the classes still tell the patterns apart.
        assert [p.on_ms for p in pulses(adapted)] == [p.on_ms for p in pulses(pattern.segments)]
        assert sum(s.duration_ms for s in adapted) == pattern.duration_ms
        for segment in adapted:
            if device.motor is MotorType.ERM:
                assert segment.intensity >= ERM_MIN_INTENSITY
            if device.intensity_levels < 255:
                assert segment.intensity in allowed or segment.intensity == ERM_MIN_INTENSITY
    for message in messages:
        assert decode(encode(message)) == message


def test_a_one_level_motor_plays_everything_at_full_strength() -> None:
    adapted = adapt_segments(PATTERNS["exhale"].segments, caps(MotorType.ERM, 1))
    assert adapted == (Segment(on_ms=800, off_ms=100, intensity=255),)


def test_a_device_too_small_for_one_pattern_is_refused_clearly() -> None:
    # 32 bytes hold the largest default pattern (4 segments) but not a 5-segment one.
    big = PATTERNS["step_change"]
    wide = type(big)(
        name="wide", pattern_id=99, segments=big.segments + big.segments, description="test"
    )
    with pytest.raises(ProtocolError, match="max message size") as caught:
        pattern_table_messages(caps(MotorType.LRA, 255, max_message_size=32), patterns=[wide])
    assert caught.value.code is ErrorCode.MESSAGE_TOO_LARGE


@given(st.integers(0, 255), st.integers(1, 255), st.sampled_from(MotorType))
def test_adapted_intensity_is_off_only_when_it_was_off(
    intensity: int, levels: int, motor: MotorType
) -> None:
    (segment,) = adapt_segments(
        [Segment(on_ms=60, off_ms=100, intensity=intensity)], caps(motor, levels)
    )
    assert (segment.intensity == 0) == (intensity == 0)
