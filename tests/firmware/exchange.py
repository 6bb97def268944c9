"""A scripted session against the firmware's runtime on an injected ticks clock.

Runs in MicroPython and in CPython. The hub's side is written with the core's own codec;
the tests decode every answer with the hub's codec and check the motor timeline. The
ticks start 1.5 s before they wrap, so the session crosses the wrap.
"""

from firmware_protocol.micropython.core import codec, device, framing, runtime, wire

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

START_US = 5_000_000_000  # the device clock at power-on: past 2**32, as after days of uptime
ATT_PAYLOAD = 20  # the default MTU: longer messages travel in several fragments
# The vocabulary's patterns the session uses: (on_ms, off_ms, intensity) per segment.
PATTERNS = {
    3: ((55, 250, 150), (55, 150, 200), (55, 100, 255)),  # inhale
    4: ((200, 0, 255), (200, 0, 200), (200, 0, 150), (200, 100, 110)),  # exhale
    5: ((60, 100, 130),),  # hold
}


def segment_bytes(segments: "tuple[tuple[int, int, int], ...]") -> bytes:
    raw = b""
    for on_ms, off_ms, level in segments:
        raw += bytes((on_ms & 0xFF, on_ms >> 8, off_ms & 0xFF, off_ms >> 8, level))
    return raw


class Session:
    """The hub's writes and the board's loop, on a perfect timer over injected ticks."""

    def __init__(
        self,
        ticks_diff: "Callable[[int, int], int]",
        ticks_add: "Callable[[int, int], int]",
        start_ticks: int,
    ) -> None:
        self.diff = ticks_diff
        self.add = ticks_add
        self.ticks = start_ticks
        config = device.Config(cue_buffer_size=32, max_message_size=256, motor=wire.ERM)
        self.runtime = runtime.Runtime(
            device.Device(config, 80), ticks_diff, ticks_add, start_ticks, START_US
        )
        self.runtime.device.link_up(ATT_PAYLOAD)
        self.level = 0
        self.timeline: list[list[int]] = []  # [device us, motor level] at every change
        self.steps: list[dict[str, Any]] = []
        self._seq = 100
        self._transfers = [0, 0]
        self._joiner = framing.Reassembler(512)

    def now_us(self) -> int:
        return self.runtime.now_us(self.ticks)

    def _motor(self, level: int, at_ticks: int) -> None:
        if level != self.level:
            self.level = level
            self.timeline.append([self.runtime.now_us(at_ticks), level])

    def wait(self, seconds: float) -> None:
        """Lets `seconds` pass, waking exactly when the runtime asked to."""
        end = self.add(self.ticks, int(seconds * 1_000_000))
        rt = self.runtime
        while rt.wake != runtime.NOTHING and self.diff(rt.wake_at, end) <= 0:
            at = rt.wake_at
            if self.diff(at, self.ticks) < 0:
                at = self.ticks  # due while the loop was busy (a message): now, late
            self.ticks = at
            level = rt.onset(at)
            if level >= 0:
                self._motor(level, at)
            rt.commit(at)
            self._motor(rt.level, at)
        self.ticks = end
        rt.arm(end)

    def write(self, name: str, message: codec.Message) -> None:
        """The hub writes `message` now; records what the device notified back."""
        message.seq = self._seq
        self._seq += 1
        channel = device.channel_of(message.kind)
        transfer = self._transfers[channel]
        self._transfers[channel] = (transfer + 1) & 0xFF
        for value in framing.fragments(codec.encode(message), ATT_PAYLOAD, transfer):
            self.runtime.receive(channel, value, self.ticks)
        self._motor(self.runtime.level, self.ticks)
        self.record(name, message.seq)

    def record(self, name: str, seq: int = wire.NO_SEQ) -> None:
        answers = []
        for value in self.runtime.device.take_outbox():
            whole = self._joiner.feed(value, 0)
            if whole is not None:
                answers.append("".join(f"{b:02x}" for b in whole))
        self.steps.append({"step": name, "seq": seq, "at_us": self.now_us(), "answers": answers})


def cues(first_id: int, count: int, first_us: int, pattern_ids: "list[int]") -> "list[Any]":
    """`count` cues a second apart, cycling through `pattern_ids`."""
    return [
        (first_id + i, first_us + i * 1_000_000, pattern_ids[i % len(pattern_ids)], 255)
        for i in range(count)
    ]


def run(
    ticks_diff: "Callable[[int, int], int]",
    ticks_add: "Callable[[int, int], int]",
    start_ticks: int,
) -> "dict[str, Any]":
    s = Session(ticks_diff, ticks_add, start_ticks)
    s.write("hello", codec.Message(wire.HELLO, 0))
    for hub_us in (7_000_000, 7_250_000, 7_500_000):
        s.write("ping", codec.Message(wire.TIME_SYNC_PING, 0, (hub_us,)))
        s.wait(0.25)
    table = [(pid, segment_bytes(segments)) for pid, segments in PATTERNS.items()]
    s.write("patterns", codec.Message(wire.PATTERN_TABLE, 0, (1,), patterns=table))
    first = s.now_us() + 500_000
    s.write("load 16", codec.Message(wire.LOAD_CUES, 0, cues=cues(1, 16, first, [3, 4, 5])))
    s.write("start", codec.Message(wire.START, 0))
    s.wait(3.52)  # cues 1-4 play; the 4th is in its first tap when the pause comes
    s.record("played 1-4")
    s.write("pause", codec.Message(wire.PAUSE, 0))
    s.wait(2.0)  # cues 5 and 6 fall due while paused
    s.record("paused")
    # Shifted by 0.5 s of the 2 s pause: cue 5 is then 0.52 s late (skipped), cue 6 plays.
    s.write("resume", codec.Message(wire.RESUME, 0, (500_000,)))
    s.wait(1.0)
    s.record("after resume")
    s.runtime.device.link_down()  # the link drops; the device plays on
    s.wait(2.0)
    s.record("while dropped")
    s.runtime.device.link_up(ATT_PAYLOAD)
    s._transfers = [0, 0]  # a new connection: transfer ids start again
    s._joiner = framing.Reassembler(512)
    s.write("hello again", codec.Message(wire.HELLO, 0))
    s.write("status", codec.Message(wire.REQUEST_STATUS, 0))
    s.write("clear", codec.Message(wire.CLEAR, 0))
    reload = cues(1, 3, s.now_us() + 300_000, [5])
    s.write("reload", codec.Message(wire.LOAD_CUES, 0, cues=reload))
    s.wait(1.5)
    s.record("reloaded cues played")
    s.write("cue now", codec.Message(wire.CUE_NOW, 0, (900, 4, 128)))
    s.wait(0.3)
    s.write("stop", codec.Message(wire.ABORT, 0))
    s.wait(1.0)
    s.record("stopped")
    return {"steps": s.steps, "timeline": s.timeline, "start_us": START_US}
