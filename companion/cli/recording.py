"""What commands run from a terminal (`session`, `tui`, `demo`) share with the daemon: the
configuration (or its defaults, when it cannot be read) and the history they record to."""

from __future__ import annotations

import contextlib
import logging

from companion.config import HubConfig, load_config
from companion.errors import ConfigError
from companion.history import History, open_history

log = logging.getLogger(__name__)


def terminal_config() -> HubConfig:
    """The configuration; a broken one is said once and its defaults used, since a person
    at the terminal still wants their session."""
    try:
        return load_config()
    except ConfigError as exc:
        log.warning("%s; using the default configuration", exc)
        return HubConfig()


def open_recording_history(
    config: HubConfig | None = None,
) -> contextlib.AbstractAsyncContextManager[History]:
    """History where the configuration says. A broken history never stops a session."""
    config = config or terminal_config()
    return open_history(config.history_file, zone=config.zone, hub_id=config.hub_id)
