"""What the device does with each hub message (SPEC.md section 7), sans-IO.

Frames come in through `receive` with the device time they arrived; the fragments to
notify on the event characteristic collect in `outbox`. The cue timeline is asked, not
run here: `next_deadline()` says when the next cue is due, `fire(now_us)` takes the due
cues and reports them. Whoever drives the motor (the board's player, the simulator's
virtual motor) plays what `fire` and `take_cue_now` hand out.
"""

from . import codec, cues, framing, patterns, wire
from .errors import ProtocolError


class Config:
    """What the hardware can do; announced in Capabilities."""

    def __init__(
        self,
        *,
        cue_buffer_size: int = 32,
        max_message_size: int = 256,
        max_patterns: int = 16,
        motor: int = wire.ERM,
        intensity_levels: int = 255,
        has_display: bool = False,
        has_button: bool = True,
        clock_resolution_us: int = 1,
        late_limit_us: int = wire.LATE_LIMIT_US,
    ) -> None:
        self.cue_buffer_size = cue_buffer_size
        self.max_message_size = max_message_size
        self.max_patterns = max_patterns
        self.motor = motor
        self.intensity_levels = intensity_levels
        self.has_display = has_display
        self.has_button = has_button
        self.clock_resolution_us = clock_resolution_us
        self.late_limit_us = late_limit_us


# The state after each message that changes it (SPEC.md 7.1); None: not allowed (BAD_STATE).
_IDLE, _LOADED, _PLAYING, _PAUSED = wire.IDLE, wire.LOADED, wire.PLAYING, wire.PAUSED
_TRANSITIONS = {
    wire.LOAD_CUES: (_LOADED, _LOADED, _PLAYING, _PAUSED),
    wire.START: (_PLAYING, _PLAYING, None, None),
    wire.PAUSE: (None, None, _PAUSED, None),
    wire.RESUME: (None, None, None, _PLAYING),
    wire.ABORT: (_IDLE, _IDLE, _IDLE, _IDLE),
    wire.CLEAR: (_IDLE, _IDLE, _PLAYING, _PAUSED),
}


def transition(state: int, kind: int) -> int:
    """The state after accepting a message of type `kind`, or BAD_STATE."""
    row = _TRANSITIONS.get(kind)
    if row is None:
        return state
    after = row[state]
    if after is None:
        raise ProtocolError("not allowed in this state", wire.BAD_STATE)
    return after


def channel_of(kind: int) -> int:
    """The characteristic a hub message belongs on."""
    return wire.DATA if kind in (wire.LOAD_CUES, wire.CUE_NOW) else wire.CONTROL


class Device:
    def __init__(self, config: Config, battery_percent: int = wire.BATTERY_UNKNOWN) -> None:
        self.config = config
        self.state = wire.IDLE
        self.patterns: dict[int, bytes] = {}
        self.cues = cues.CueBuffer(config.cue_buffer_size, config.late_limit_us)
        self.battery_percent = battery_percent
        self._battery_told = battery_percent  # the level in the last Status sent
        self.display_text = ""
        # The last SetConnectionPreference (min, max, latency, timeout) for the radio to ask.
        self.connection_preference: tuple[int, ...] | None = None
        self.outbox: list[bytes] = []
        # Set by Pause and Abort: whatever the motor plays must stop at once.
        self.silence = False
        self._cue_now: tuple[int, int, bytes, int] | None = None
        self._seq = 0
        self._transfer = 0
        self._att_payload = wire.DEFAULT_ATT_PAYLOAD
        self._linked = False
        self._reassemblers = (
            framing.Reassembler(config.max_message_size),
            framing.Reassembler(config.max_message_size),
        )

    # ----------------------------------------------------------------- link

    def link_up(self, att_payload: int) -> None:
        """A hub connected, or the MTU changed (`att_payload` = MTU - 3)."""
        if not self._linked:
            self._transfer = 0
        self._linked = True
        self._att_payload = att_payload

    def link_down(self) -> None:
        """The hub is gone: partial messages dropped; the cue timeline plays on."""
        self._linked = False
        self._att_payload = wire.DEFAULT_ATT_PAYLOAD
        self.outbox = []
        for reassembler in self._reassemblers:
            reassembler.reset()

    def capabilities(self, seq: int = 0) -> bytes:
        """The Capabilities message (also the value of the info characteristic, seq 0)."""
        c = self.config
        features = (1 if c.has_display else 0) | (2 if c.has_button else 0)
        values = (
            wire.PROTOCOL_VERSION,
            c.cue_buffer_size,
            c.max_message_size,
            c.motor,
            c.intensity_levels,
            features,
            c.clock_resolution_us,
        )
        return codec.encode_fixed(wire.CAPABILITIES, seq, values)

    # ----------------------------------------------------------------- input

    def receive(self, channel: int, value: bytes, now_us: int) -> None:
        """One ATT value the hub wrote on `channel` (CONTROL or DATA), at device time `now_us`."""
        try:
            data = self._reassemblers[channel].feed(value, now_us)
        except ProtocolError as error:
            self._report(error, wire.NO_SEQ)
            return
        if data is None:
            return
        try:
            message = codec.decode(data)
        except ProtocolError as error:
            self._report(error, codec.seq_of(data))
            return
        try:
            self._handle(message, channel, now_us)
        except ProtocolError as error:
            self._report(error, message.seq)

    def press(self, kind: int, at_us: int) -> None:
        """The button was pressed (SHORT, LONG or DOUBLE) at device time `at_us`."""
        self._send(wire.BUTTON_PRESS, (kind, at_us))

    def set_battery(self, percent: int) -> None:
        """A new battery reading; the hub hears unasked of a change of 5 points or more
        since the last Status it had."""
        self.battery_percent = percent
        told = self._battery_told
        if told != percent and (told == wire.BATTERY_UNKNOWN or abs(percent - told) >= 5):
            self._status(wire.NO_SEQ)

    # ----------------------------------------------------------------- messages

    def _handle(self, message: codec.Message, channel: int, now_us: int) -> None:
        kind = message.kind
        if kind & wire.DEVICE_TO_HUB or channel_of(kind) != channel:
            raise ProtocolError("message on the wrong characteristic", wire.WRONG_CHARACTERISTIC)
        after = transition(self.state, kind)
        self._apply(message, now_us)
        self.state = after
        if kind in (wire.PAUSE, wire.ABORT):
            self.silence = True
        if kind == wire.HELLO:
            self.outbox.extend(self._fragments(self.capabilities(self._next_seq())))
        elif kind == wire.TIME_SYNC_PING:
            self._send(wire.TIME_SYNC_PONG, (message.ints[0], now_us))
        elif kind != wire.CUE_NOW:  # answered by CueExecuted once it plays
            self._status(message.seq)

    def _apply(self, message: codec.Message, now_us: int) -> None:
        kind = message.kind
        if kind == wire.PATTERN_TABLE:
            self.patterns = patterns.apply_table(
                self.patterns, message.ints[0], message.patterns, self.config.max_patterns
            )
        elif kind == wire.LOAD_CUES:
            self.cues.load(message.cues, now_us, self.patterns)
        elif kind == wire.CUE_NOW:
            cue_id, pattern_id, intensity = message.ints
            segments = self.patterns.get(pattern_id)
            if segments is None:
                raise ProtocolError("pattern not in the table", wire.UNKNOWN_PATTERN, cue_id)
            self._cue_now = (cue_id, pattern_id, segments, intensity)
        elif kind == wire.RESUME:
            self.cues.shift(message.ints[0])
        elif kind in (wire.ABORT, wire.CLEAR):
            self.cues.clear()
        elif kind == wire.SHOW_TEXT:
            if not self.config.has_display:
                raise ProtocolError("this device has no display", wire.NOT_SUPPORTED)
            self.display_text = message.text
        elif kind == wire.SET_CONNECTION_PREFERENCE:
            self.connection_preference = message.ints

    # ----------------------------------------------------------------- timeline

    def next_deadline(self) -> int | None:
        """When the next cue is due (device microseconds), while playing; None otherwise."""
        return self.cues.next_deadline() if self.state == wire.PLAYING else None

    def fire(self, now_us: int) -> list[tuple[int, int, int, bytes, int]]:
        """Takes every cue due at `now_us`, when the motor starts: (cue id, deadline,
        pattern id, segments, intensity) for each one to play, in order (the last one due
        wins the motor).

        Each is reported as PLAYED at `now_us`; one more than the late limit past its
        deadline, or whose pattern has since left the table, is reported SKIPPED.
        """
        played: list[tuple[int, int, int, bytes, int]] = []
        if self.state != wire.PLAYING:
            return played
        for deadline_us, cue_id, pattern_id, intensity in self.cues.pop_due(now_us):
            segments = self.patterns.get(pattern_id)
            if segments is None or self.cues.is_late(deadline_us, now_us):
                self._send(wire.CUE_EXECUTED, (cue_id, now_us, wire.SKIPPED))
            else:
                played.append((cue_id, deadline_us, pattern_id, segments, intensity))
                self._send(wire.CUE_EXECUTED, (cue_id, now_us, wire.PLAYED))
        return played

    def take_cue_now(self) -> tuple[int, int, bytes, int] | None:
        """The CueNow just accepted (cue id, pattern id, segments, intensity), to start at
        once; report
        it with `cue_now_started` when the motor started."""
        cue, self._cue_now = self._cue_now, None
        return cue

    def cue_now_started(self, cue_id: int, at_us: int) -> None:
        self._send(wire.CUE_EXECUTED, (cue_id, at_us, wire.PLAYED))

    # ----------------------------------------------------------------- output

    def _status(self, ack_seq: int) -> None:
        self._battery_told = self.battery_percent
        values = (self.battery_percent, self.cues.free_slots, self.state, ack_seq)
        self._send(wire.STATUS, values)

    def _report(self, error: ProtocolError, ref_seq: int) -> None:
        self._send(wire.ERROR_REPORT, (error.code, ref_seq, error.detail & 0xFFFF))

    def _send(self, kind: int, values: tuple[int, ...]) -> None:
        seq = self._next_seq()  # counted even unlinked, as the hub only needs them distinct
        if self._linked:
            self.outbox.extend(self._fragments(codec.encode_fixed(kind, seq, values)))

    def _fragments(self, message: bytes) -> list[bytes]:
        transfer = self._transfer
        self._transfer = (transfer + 1) & 0xFF
        return framing.fragments(message, self._att_payload, transfer)

    def _next_seq(self) -> int:
        seq = self._seq
        self._seq = 0 if seq >= wire.NO_SEQ - 1 else seq + 1
        return seq

    def take_outbox(self) -> list[bytes]:
        """The fragments to notify, oldest first; the outbox is empty afterwards."""
        out, self.outbox = self.outbox, []
        return out
