"""The history database: one SQLite file, WAL journal, a schema version table.

Synchronous and single-threaded on purpose: the history service runs every call on its
own thread, so a slow disk never reaches the event loop. A session's row is written when
it starts (outcome "running") and completed when it ends; a row still "running" whose
hub process is gone is marked "interrupted" the next time the file is opened. The file
is never deleted or rewritten wholesale: a damaged or newer file is reported and left.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any

from companion.errors import HubError

SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    routine TEXT NOT NULL,
    exercises TEXT NOT NULL,          -- JSON list of exercise ids
    pace_bpm REAL,
    started_at TEXT NOT NULL,         -- ISO 8601, UTC
    ended_at TEXT,
    outcome TEXT NOT NULL,            -- running, completed, partial, stopped, aborted, interrupted
    reason TEXT NOT NULL DEFAULT '',
    cues_planned INTEGER,
    cues_executed INTEGER,
    onset_p50_ms REAL,
    onset_p99_ms REAL,
    onset_max_ms REAL,
    hub_id TEXT NOT NULL DEFAULT '',
    host TEXT NOT NULL DEFAULT '',    -- who wrote a running row, to tell if it is stale
    pid INTEGER
);
CREATE INDEX sessions_by_start ON sessions (started_at);
"""

# Each step takes a file from the version before it to its own; run in order, in the
# transaction that opens the file, so a file is never left half-migrated.
_MIGRATIONS: dict[int, str] = {
    # 2: sessions followed on the screen alone, with no wearable (no cue was felt).
    2: "ALTER TABLE sessions ADD COLUMN screen_only INTEGER NOT NULL DEFAULT 0",
    # 3: how the cues reached the skin (device-timed, host-timed, mixed; NULL before).
    3: "ALTER TABLE sessions ADD COLUMN timing TEXT",
}

INTERRUPTED_REASON = "the hub stopped during the session (killed or crashed)"


class HistoryError(HubError):
    """The history file cannot be used; coaching goes on without it."""


@dataclass(frozen=True, slots=True)
class SessionRecord:
    session_id: str
    routine: str
    exercises: tuple[str, ...]
    pace_bpm: float | None
    started_at: datetime
    ended_at: datetime | None
    outcome: str
    reason: str
    cues_planned: int | None
    cues_executed: int | None
    onset_p50_ms: float | None
    onset_p99_ms: float | None
    onset_max_ms: float | None
    hub_id: str
    # Followed on the screen alone, with no wearable.
    screen_only: bool = False
    # How the cues reached the skin: device-timed, host-timed, mixed (None: not known).
    timing: str | None = None

    @property
    def duration_s(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["exercises"] = list(self.exercises)
        data["started_at"] = self.started_at.isoformat()
        data["ended_at"] = self.ended_at.isoformat() if self.ended_at else None
        data["duration_s"] = round(self.duration_s, 1) if self.duration_s is not None else None
        return data


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


class HistoryStore:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path, *, timeout: float = 2.0) -> HistoryStore:
        """Open (creating it and its directory if needed) and migrate; stale running rows
        become interrupted. Raises HistoryError with what to do."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(
                f"cannot create the state directory {path.parent}: {exc.strerror or exc} "
                "(set XDG_STATE_HOME or history_file to a writable place)"
            ) from None
        try:
            connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise HistoryError(f"{path}: cannot open the history database: {exc}") from None
        store = cls(connection, path)
        try:
            store._prepare()
        except sqlite3.Error as exc:
            connection.close()
            raise HistoryError(store.describe(exc)) from None
        except HistoryError:
            connection.close()
            raise
        return store

    def describe(self, exc: sqlite3.Error) -> str:
        """A message a person can act on for an SQLite error on this file."""
        text = str(exc)
        if "locked" in text or "busy" in text:
            return f"{self.path}: the history database is locked by another program ({text})"
        if isinstance(exc, sqlite3.DatabaseError) and (
            "not a database" in text or "malformed" in text or "corrupt" in text
        ):
            return (
                f"{self.path}: the history database is damaged ({text}); it was left as it is: "
                "move it aside to start a new history"
            )
        if "readonly" in text or "unable to open" in text:
            return f"{self.path}: cannot write the history database ({text})"
        return f"{self.path}: history database error: {text}"

    def _prepare(self) -> None:
        db = self._db
        # WAL: a reader (`backstretch history`) never blocks the hub, and a killed hub
        # leaves a consistent file. NORMAL sync is safe against a crashed process.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("BEGIN IMMEDIATE")
        try:
            self._migrate()
            self._mark_interrupted()
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise

    def _migrate(self) -> None:
        db = self._db
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = db.execute("SELECT max(version) FROM schema_version").fetchone()
        version = row[0] if row else None
        if version is not None and version > SCHEMA_VERSION:
            raise HistoryError(
                f"{self.path}: written by a newer backstretch (schema {version}; this one "
                f"knows {SCHEMA_VERSION}); upgrade backstretch to use it"
            )
        if version is None:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            version = 1
            db.execute("INSERT INTO schema_version (version) VALUES (1)")
        for step in range(version + 1, SCHEMA_VERSION + 1):
            db.execute(_MIGRATIONS[step])
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (step,))

    def _mark_interrupted(self) -> int:
        host = socket.gethostname()
        stale: list[str] = []
        for session_id, row_host, pid in self._db.execute(
            "SELECT session_id, host, pid FROM sessions WHERE outcome = 'running'"
        ).fetchall():
            if row_host and row_host != host:
                continue  # another machine's hub: only it can tell
            if pid is None or not _process_alive(pid):
                stale.append(session_id)
        for session_id in stale:
            self._db.execute(
                "UPDATE sessions SET outcome = 'interrupted', reason = ? WHERE session_id = ?",
                (INTERRUPTED_REASON, session_id),
            )
        return len(stale)

    # -- writes ----------------------------------------------------------------------

    def record_started(
        self,
        *,
        session_id: str,
        routine: str,
        exercises: tuple[str, ...],
        pace_bpm: float | None,
        started_at: datetime,
        hub_id: str = "",
        screen_only: bool = False,
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO sessions (session_id, routine, exercises, pace_bpm, "
            "started_at, outcome, hub_id, host, pid, screen_only) "
            "VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
            (
                session_id,
                routine,
                json.dumps(list(exercises)),
                pace_bpm,
                _iso(started_at),
                hub_id,
                socket.gethostname(),
                os.getpid(),
                int(screen_only),
            ),
        )

    def record_ended(
        self,
        *,
        session_id: str,
        routine: str,
        outcome: str,
        reason: str,
        ended_at: datetime,
        cues_planned: int,
        cues_executed: int | None,
        onset_error_ms: dict[str, float | None],
        timing: str | None = None,
    ) -> None:
        values = (
            outcome,
            reason,
            _iso(ended_at),
            cues_planned,
            cues_executed,
            onset_error_ms.get("p50"),
            onset_error_ms.get("p99"),
            onset_error_ms.get("max"),
            timing,
        )
        updated = self._db.execute(
            "UPDATE sessions SET outcome = ?, reason = ?, ended_at = ?, cues_planned = ?, "
            "cues_executed = ?, onset_p50_ms = ?, onset_p99_ms = ?, onset_max_ms = ?, "
            "timing = ? WHERE session_id = ?",
            (*values, session_id),
        ).rowcount
        if not updated:
            # The start was not recorded (history came back mid-session): keep the end.
            self._db.execute(
                "INSERT INTO sessions (outcome, reason, ended_at, cues_planned, cues_executed, "
                "onset_p50_ms, onset_p99_ms, onset_max_ms, timing, session_id, routine, "
                "exercises, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?)",
                (*values, session_id, routine, _iso(ended_at)),
            )

    # -- reads -----------------------------------------------------------------------

    def recent(self, limit: int = 10) -> list[SessionRecord]:
        rows = self._db.execute(
            "SELECT session_id, routine, exercises, pace_bpm, started_at, ended_at, outcome, "
            "reason, cues_planned, cues_executed, onset_p50_ms, onset_p99_ms, onset_max_ms, "
            "hub_id, screen_only, timing FROM sessions ORDER BY started_at DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            SessionRecord(
                session_id=row[0],
                routine=row[1],
                exercises=tuple(json.loads(row[2])),
                pace_bpm=row[3],
                started_at=datetime.fromisoformat(row[4]),
                ended_at=datetime.fromisoformat(row[5]) if row[5] else None,
                outcome=row[6],
                reason=row[7],
                cues_planned=row[8],
                cues_executed=row[9],
                onset_p50_ms=row[10],
                onset_p99_ms=row[11],
                onset_max_ms=row[12],
                hub_id=row[13],
                screen_only=bool(row[14]),
                timing=row[15],
            )
            for row in rows
        ]

    def completed_days(self, zone: tzinfo) -> Counter[date]:
        """Completed sessions per local day (by when they ended)."""
        days: Counter[date] = Counter()
        for (ended,) in self._db.execute(
            "SELECT ended_at FROM sessions "
            "WHERE outcome IN ('completed', 'partial') AND ended_at IS NOT NULL"
        ):
            days[datetime.fromisoformat(ended).astimezone(zone).date()] += 1
        return days

    def last_completed(self) -> datetime | None:
        row = self._db.execute(
            "SELECT max(ended_at) FROM sessions WHERE outcome IN ('completed', 'partial')"
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def close(self) -> None:
        self._db.close()
