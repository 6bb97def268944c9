"""Where the hub keeps its files (XDG base directories) and what it assumes of its host."""

from __future__ import annotations

import os
import re
import socket
from datetime import tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

APP_DIR = "backstretch"
CONFIG_FILE = "config.toml"
HISTORY_FILE = "history.sqlite3"


def _xdg(variable: str, fallback: str) -> Path:
    # The XDG spec says relative values are invalid and must be ignored.
    value = os.environ.get(variable, "")
    return Path(value) if value and Path(value).is_absolute() else Path.home() / fallback


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/backstretch/config.toml`` (``~/.config`` when unset)."""
    return _xdg("XDG_CONFIG_HOME", ".config") / APP_DIR / CONFIG_FILE


def default_history_path() -> Path:
    """``$XDG_STATE_HOME/backstretch/history.sqlite3`` (``~/.local/state`` when unset)."""
    return _xdg("XDG_STATE_HOME", ".local/state") / APP_DIR / HISTORY_FILE


def hostname_slug() -> str:
    """The host's name made safe for an MQTT topic level: the default hub id."""
    slug = re.sub(r"[^a-z0-9]+", "-", socket.gethostname().split(".")[0].lower()).strip("-")
    return slug[:64] or "hub"


def local_zone() -> tzinfo:
    """The host's time zone with its DST rules (a fixed offset would be wrong half the year)."""
    key = os.environ.get("TZ", "").removeprefix(":")
    if key:
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        with Path("/etc/localtime").open("rb") as handle:
            return ZoneInfo.from_file(handle, key="localtime")
    except (OSError, ValueError):
        return ZoneInfo("UTC")
