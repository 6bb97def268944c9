"""Espruino's console over the Nordic UART service, as the hub speaks it (sans-IO).

What the hub writes is JavaScript: each line starts with DLE (0x10) so that the console does
not echo it, and one Ctrl+C first clears whatever a person left on the line. What comes back
is everything the console prints: prompts, echoes, escape sequences, errors and the player's
answers. Only lines that are JSON objects tagged ``"bs"`` are the player's; the rest is kept
for the log, never parsed.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any, Final

# The Nordic UART service Espruino's console runs on.
NUS_SERVICE_UUID: Final = "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
NUS_RX_UUID: Final = "6e400002-b5a3-f393-e0a9-e50e24dcca9e"  # the hub writes here
NUS_TX_UUID: Final = "6e400003-b5a3-f393-e0a9-e50e24dcca9e"  # console output notifies here

DLE: Final = b"\x10"
# Ctrl+C clears the console's input line (" " first wakes a console that lost a byte).
CLEAR_LINE: Final = b" \x03"
# The longest console line we keep looking for an answer in.
MAX_LINE: Final = 4096

_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def command(source: str) -> bytes:
    """One line of JavaScript for the console, without echo."""
    if "\n" in source or "\r" in source:
        raise ValueError("a console command is one line")
    return DLE + source.encode() + b"\n"


def player_source(version: str) -> str:
    """The player, as one line of JavaScript (comments dropped, lines joined)."""
    text = resources.files(__package__).joinpath("player.js").read_text(encoding="utf-8")
    lines = (line.strip() for line in text.splitlines())
    body = "".join(line for line in lines if line and not line.startswith("//"))
    # A player already there (an older version) lets go of its timers and handlers first.
    cleanup = (
        'if(typeof BS=="object"){BS.c();clearWatch();'
        'NRF.removeAllListeners("connect");NRF.removeAllListeners("disconnect");}'
    )
    return cleanup + body.replace("@VERSION@", version)


def version_query() -> str:
    """Asks which player version runs (null when none: a reset watch)."""
    return 'Bluetooth.println(JSON.stringify({bs:"v",v:typeof BS=="object"?BS.v:null}))'


class ConsoleReader:
    """Splits console output into lines and picks out the player's answers."""

    def __init__(self) -> None:
        self._partial = ""
        # The last few lines that were not ours (errors the console printed), for logs.
        self.other: list[str] = []
        # The console reported an uncaught error since the link last looked: after a reset
        # the player is gone and every call to it fails so.
        self.errors = 0

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """The player's messages completed by `data`, in order."""
        self._partial += data.decode("utf-8", errors="replace")
        *lines, self._partial = self._partial.split("\n")
        if len(self._partial) > MAX_LINE:
            self._partial = ""
        found = []
        for raw in lines:
            message = parse_line(raw)
            if message is not None:
                found.append(message)
            else:
                text = _ESCAPES.sub("", raw).strip().lstrip(">").strip()
                if text:
                    self.other = [*self.other[-9:], text]
                    if text.startswith("Uncaught"):
                        self.errors += 1
        return found


def parse_line(raw: str) -> dict[str, Any] | None:
    """A player's message from one console line, or None for anything else."""
    text = _ESCAPES.sub("", raw).strip()
    # A prompt may precede our line when the console redraws it.
    text = text.lstrip(">").strip()
    if not text.startswith('{"bs":'):
        return None
    try:
        message = json.loads(text)
    except ValueError:
        return None
    return message if isinstance(message, dict) and isinstance(message.get("bs"), str) else None
