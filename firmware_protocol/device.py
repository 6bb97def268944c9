"""What a device does with each hub message: its characteristic, the state change, the reply.

Sans-IO rules from SPEC.md ("Device states", "Replies") in a form the simulated wearable and
Python firmware can call, so that every device behaves alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Final

from firmware_protocol.errors import ErrorCode, ProtocolError
from firmware_protocol.gatt import CONTROL_CHAR_UUID, DATA_CHAR_UUID, EVENT_CHAR_UUID
from firmware_protocol.messages import (
    Abort,
    ButtonPress,
    Capabilities,
    Clear,
    CueExecuted,
    CueNow,
    DeviceState,
    ErrorReport,
    Hello,
    HubMessage,
    LoadCues,
    Message,
    PatternEntry,
    PatternTable,
    Pause,
    RequestStatus,
    Resume,
    SetConnectionPreference,
    ShowText,
    Start,
    Status,
    TimeSyncPing,
    TimeSyncPong,
)


class Reply(Enum):
    """What the device sends back on the event characteristic after accepting a message."""

    CAPABILITIES = "capabilities"  # Hello
    PONG = "pong"  # TimeSyncPing
    STATUS = "status"  # everything else written to the control or data characteristic
    CUE_EXECUTED = "cue_executed"  # CueNow, once the pattern started


_CHARACTERISTICS: Final[dict[type[Message], str]] = {
    Hello: CONTROL_CHAR_UUID,
    TimeSyncPing: CONTROL_CHAR_UUID,
    PatternTable: CONTROL_CHAR_UUID,
    Start: CONTROL_CHAR_UUID,
    Pause: CONTROL_CHAR_UUID,
    Resume: CONTROL_CHAR_UUID,
    Abort: CONTROL_CHAR_UUID,
    Clear: CONTROL_CHAR_UUID,
    ShowText: CONTROL_CHAR_UUID,
    SetConnectionPreference: CONTROL_CHAR_UUID,
    RequestStatus: CONTROL_CHAR_UUID,
    LoadCues: DATA_CHAR_UUID,
    CueNow: DATA_CHAR_UUID,
    Capabilities: EVENT_CHAR_UUID,
    TimeSyncPong: EVENT_CHAR_UUID,
    CueExecuted: EVENT_CHAR_UUID,
    ButtonPress: EVENT_CHAR_UUID,
    Status: EVENT_CHAR_UUID,
    ErrorReport: EVENT_CHAR_UUID,
}


def characteristic_for(message: Message | type[Message]) -> str:
    """The UUID of the characteristic that carries this message (or message class)."""
    cls = message if isinstance(message, type) else type(message)
    return _CHARACTERISTICS[cls]


def check_characteristic(message: Message, characteristic_uuid: str) -> None:
    """Raises WRONG_CHARACTERISTIC if `message` arrived on the wrong characteristic."""
    expected = characteristic_for(message)
    if characteristic_uuid.lower() != expected:
        raise ProtocolError(
            f"{type(message).__name__} belongs on characteristic {expected}, "
            f"not {characteristic_uuid}",
            ErrorCode.WRONG_CHARACTERISTIC,
        )


def reply_for(message: HubMessage) -> Reply:
    """The reply a device sends after accepting `message` (refusals get an ErrorReport)."""
    if isinstance(message, Hello):
        return Reply.CAPABILITIES
    if isinstance(message, TimeSyncPing):
        return Reply.PONG
    if isinstance(message, CueNow):
        return Reply.CUE_EXECUTED
    return Reply.STATUS


def transition(state: DeviceState, message: HubMessage) -> DeviceState:  # noqa: PLR0911
    """The device state after accepting `message`, or BAD_STATE if it is not allowed now.

    IDLE --LoadCues--> LOADED; IDLE/LOADED --Start--> PLAYING; PLAYING --Pause--> PAUSED;
    PAUSED --Resume--> PLAYING; any --Abort--> IDLE; LOADED --Clear--> IDLE. Every other
    message leaves the state as it is.
    """
    if isinstance(message, LoadCues):
        return DeviceState.LOADED if state is DeviceState.IDLE else state
    if isinstance(message, Start):
        if state in (DeviceState.IDLE, DeviceState.LOADED):
            return DeviceState.PLAYING
        raise _bad_state(message, state)
    if isinstance(message, Pause):
        if state is DeviceState.PLAYING:
            return DeviceState.PAUSED
        raise _bad_state(message, state)
    if isinstance(message, Resume):
        if state is DeviceState.PAUSED:
            return DeviceState.PLAYING
        raise _bad_state(message, state)
    if isinstance(message, Abort):
        return DeviceState.IDLE
    if isinstance(message, Clear):
        return DeviceState.IDLE if state is DeviceState.LOADED else state
    return state


def apply_pattern_table(
    table: Mapping[int, PatternEntry], message: PatternTable, capacity: int
) -> dict[int, PatternEntry]:
    """The device's pattern table after `message`, or PATTERN_TABLE_FULL (table unchanged).

    `capacity` is how many patterns the device holds (at least the vocabulary's 9).
    """
    updated = {} if message.replace else dict(table)
    updated.update((p.pattern_id, p) for p in message.patterns)
    if len(updated) > capacity:
        raise ProtocolError(
            f"the pattern table would hold {len(updated)} patterns; this device holds {capacity}",
            ErrorCode.PATTERN_TABLE_FULL,
        )
    return updated


def _bad_state(message: HubMessage, state: DeviceState) -> ProtocolError:
    return ProtocolError(
        f"{type(message).__name__} is not allowed while the device is {state.name}",
        ErrorCode.BAD_STATE,
    )
