"""Session history: the SQLite store, the in-memory day counts and the bus service."""

from companion.history.counts import DayCounts
from companion.history.service import History, open_history
from companion.history.store import (
    INTERRUPTED_REASON,
    SCHEMA_VERSION,
    HistoryError,
    HistoryStore,
    SessionRecord,
)

__all__ = [
    "INTERRUPTED_REASON",
    "SCHEMA_VERSION",
    "DayCounts",
    "History",
    "HistoryError",
    "HistoryStore",
    "SessionRecord",
    "open_history",
]
