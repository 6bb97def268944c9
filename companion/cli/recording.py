"""Where sessions started from the terminal (`session`, `tui`, `demo`) are recorded."""

from __future__ import annotations

import contextlib
import logging

from companion.config import load_config
from companion.errors import ConfigError
from companion.history import History, open_history


def open_recording_history() -> contextlib.AbstractAsyncContextManager[History]:
    """History where the configuration says, or in the default place if it cannot be read.

    A broken configuration or history file never stops a session: it is said once.
    """
    try:
        config = load_config()
    except ConfigError as exc:
        logging.getLogger(__name__).warning("%s; recording history in the default place", exc)
        return open_history()
    return open_history(config.history_file, zone=config.zone, hub_id=config.hub_id)
