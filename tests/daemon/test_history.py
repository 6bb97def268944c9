"""History: the SQLite store, the day counts, the bus service, and the files that go wrong."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from companion.devices.capabilities import Timing
from companion.events import SessionEnded, SessionStarted
from companion.history import (
    INTERRUPTED_REASON,
    SCHEMA_VERSION,
    DayCounts,
    HistoryError,
    HistoryStore,
    open_history,
)
from companion.hub import Hub
from routines import RoutineLibrary
from tests.session.links import RecordingLink

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)


def dead_pid() -> int:
    """The pid of a process that has exited (a hub killed mid-session)."""
    process = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(process.stdout)


def start_row(store: HistoryStore, session_id: str, at: datetime = T0) -> None:
    store.record_started(
        session_id=session_id,
        routine="one-minute-back",
        exercises=("knee-rolls", "sphinx"),
        pace_bpm=10.0,
        started_at=at,
        hub_id="desk",
    )


def end_row(store: HistoryStore, session_id: str, outcome: str, at: datetime) -> None:
    store.record_ended(
        session_id=session_id,
        routine="one-minute-back",
        outcome=outcome,
        reason=outcome,
        ended_at=at,
        cues_planned=48,
        cues_executed=47,
        onset_error_ms={"p50": 0.8, "p99": 2.5, "max": 3.1},
    )


def test_a_session_is_recorded_at_start_and_completed_at_end(tmp_path: Path) -> None:
    path = tmp_path / "state" / "backstretch" / "history.sqlite3"
    store = HistoryStore.open(path)
    start_row(store, "s1")
    [running] = store.recent()
    assert (running.outcome, running.ended_at) == ("running", None)
    end_row(store, "s1", "completed", T0 + timedelta(seconds=62))
    [done] = store.recent()
    assert done.outcome == "completed"
    assert done.exercises == ("knee-rolls", "sphinx")
    assert done.duration_s == 62
    assert (done.cues_planned, done.cues_executed, done.onset_p99_ms) == (48, 47, 2.5)
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT max(version) FROM schema_version").fetchone() == (SCHEMA_VERSION,)


def test_a_running_row_of_a_dead_hub_becomes_interrupted_on_the_next_open(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    store = HistoryStore.open(path)
    start_row(store, "ours")
    start_row(store, "killed", T0 - timedelta(minutes=5))
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE sessions SET pid = ? WHERE session_id = 'killed'", (dead_pid(),))
    store = HistoryStore.open(path)
    outcomes = {r.session_id: (r.outcome, r.reason) for r in store.recent()}
    store.close()
    # This process is alive: its session is still running.
    assert outcomes == {
        "ours": ("running", ""),
        "killed": ("interrupted", INTERRUPTED_REASON),
    }


def test_a_damaged_file_is_reported_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    garbage = b"this is not SQLite, but somebody's notes\n" * 200
    path.write_bytes(garbage)
    with pytest.raises(HistoryError, match=r"damaged .* move it aside"):
        HistoryStore.open(path)
    assert path.read_bytes() == garbage


def test_a_locked_database_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    HistoryStore.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryError, match="locked by another program"):
            HistoryStore.open(path, timeout=0.05)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_an_unwritable_state_directory_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the directory should be", encoding="utf-8")
    with pytest.raises(HistoryError, match="cannot create the state directory"):
        HistoryStore.open(blocker / "backstretch" / "history.sqlite3")


def test_a_newer_schema_is_refused_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    HistoryStore.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO schema_version VALUES (99)")
    with pytest.raises(HistoryError, match="newer backstretch"):
        HistoryStore.open(path)


# What backstretch 0.1 wrote (schema 1), so the migration is tested from a real old file.
SCHEMA_1 = [
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "INSERT INTO schema_version (version) VALUES (1)",
    (
        "CREATE TABLE sessions (session_id TEXT PRIMARY KEY, routine TEXT NOT NULL, "
        "exercises TEXT NOT NULL, pace_bpm REAL, started_at TEXT NOT NULL, ended_at TEXT, "
        "outcome TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', cues_planned INTEGER, "
        "cues_executed INTEGER, onset_p50_ms REAL, onset_p99_ms REAL, onset_max_ms REAL, "
        "hub_id TEXT NOT NULL DEFAULT '', host TEXT NOT NULL DEFAULT '', pid INTEGER)"
    ),
    "CREATE INDEX sessions_by_start ON sessions (started_at)",
    (
        "INSERT INTO sessions (session_id, routine, exercises, started_at, ended_at, outcome, "
        "cues_planned, cues_executed) VALUES ('old', 'one-minute-back', '[]', "
        "'2025-03-03T09:00:00.000+00:00', '2025-03-03T09:01:11.000+00:00', 'completed', 25, 25)"
    ),
]


def test_a_schema_1_file_is_migrated_and_keeps_its_sessions(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as db:
        for statement in SCHEMA_1:
            db.execute(statement)
    db.close()
    store = HistoryStore.open(path)
    store.record_started(
        session_id="new",
        routine="desk-breathing",
        exercises=("paced-breathing",),
        pace_bpm=6.0,
        started_at=T0,
        screen_only=True,
    )
    store.record_ended(
        session_id="new",
        routine="desk-breathing",
        outcome="completed",
        reason="completed",
        ended_at=T0,
        cues_planned=12,
        cues_executed=None,
        onset_error_ms={},
        timing="host-timed",
    )
    records = {r.session_id: r for r in store.recent()}
    store.close()
    assert records["old"].screen_only is False
    assert (records["old"].outcome, records["old"].cues_executed) == ("completed", 25)
    # Sessions from before anyone recorded it: how they were timed is not known.
    assert records["old"].timing is None
    assert records["new"].screen_only is True
    assert records["new"].to_dict()["screen_only"] is True
    assert records["new"].to_dict()["timing"] == "host-timed"
    with sqlite3.connect(path) as db:
        versions = db.execute("SELECT version FROM schema_version").fetchall()
        assert versions == [(1,), (2,), (3,)]
    db.close()


# -- counts ------------------------------------------------------------------------------


def counts_at(now: datetime, days: list[date]) -> DayCounts:
    return DayCounts(BERLIN, lambda: now, Counter(days))


def test_sessions_today_follow_the_local_day() -> None:
    # 23:30 UTC on June 2 is already June 3 in Berlin.
    late = datetime(2025, 6, 2, 23, 30, tzinfo=UTC)
    counts = counts_at(late, [date(2025, 6, 3), date(2025, 6, 3), date(2025, 6, 2)])
    assert counts.sessions_today() == 2


def test_the_streak_counts_days_in_a_row_and_survives_until_the_day_is_over() -> None:
    days = [date(2025, 6, d) for d in (1, 3, 4, 5)]
    noon = datetime(2025, 6, 5, 10, 0, tzinfo=UTC)
    assert counts_at(noon, days).streak_days() == 3
    # No session yet on the 6th: the streak is still 3 until the 6th is over.
    assert counts_at(noon + timedelta(days=1), days).streak_days() == 3
    assert counts_at(noon + timedelta(days=2), days).streak_days() == 0


# -- the service -------------------------------------------------------------------------


async def test_the_service_records_what_the_hub_does(
    tmp_path: Path, library: RoutineLibrary
) -> None:
    path = tmp_path / "history.sqlite3"
    hub = Hub(library)
    hub.links.append(RecordingLink())
    async with open_history(path, zone=BERLIN, hub_id="desk") as history:
        history.attach(hub)
        assert hub.counts is history
        engine = hub.start("one-minute-back")
        engine.stop("stopped by the test")
        # A completed session as the engine reports it.
        history.handle(
            SessionStarted(
                session_id="done1",
                routine="one-minute-back",
                exercises=("sphinx",),
                pace_bpm=10.0,
                duration_s=20.0,
            )
        )
        history.handle(
            SessionEnded(
                session_id="done1",
                routine="one-minute-back",
                status="completed",
                reason="completed",
                cues_planned=10,
                cues_executed=10,
                onset_error_ms={"p50": 1.0, "p99": 2.0, "max": 2.0},
            )
        )
        assert hub.snapshot().sessions_today == 1
        assert hub.snapshot().streak_days == 1
    store = HistoryStore.open(path)
    records = {r.session_id: r for r in store.recent()}
    store.close()
    assert records[engine.session_id].outcome == "stopped"
    assert records[engine.session_id].reason == "stopped by the test"
    assert records["done1"].outcome == "completed"
    assert records["done1"].hub_id == "desk"


async def test_a_damaged_history_never_stops_coaching(
    tmp_path: Path, library: RoutineLibrary, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"\x00garbage" * 100)
    hub = Hub(library)
    hub.links.append(RecordingLink())
    async with open_history(path, zone=BERLIN) as history:
        history.attach(hub)
        assert not history.available
        assert "damaged" in history.problem
        engine = hub.start()
        assert engine.active
        engine.stop()
        assert hub.snapshot().sessions_today == 0
    assert "history is unavailable" in caplog.text
    assert path.read_bytes() == b"\x00garbage" * 100


def test_the_history_command_shows_sessions_today_and_the_streak(
    xdg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from companion.cli import main
    from companion.config import default_history_path

    now = datetime.now(UTC)
    store = HistoryStore.open(default_history_path())
    for number, days_ago in enumerate((0, 1, 2)):
        start_row(store, f"s{number}", now - timedelta(days=days_ago, minutes=2))
        end_row(store, f"s{number}", "completed", now - timedelta(days=days_ago, minutes=1))
    start_row(store, "s9", now - timedelta(seconds=30))
    end_row(store, "s9", "aborted", now)
    store.close()
    assert main(["history", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [s["session_id"] for s in summary["sessions"]] == ["s9", "s0", "s1", "s2"]
    assert summary["sessions_today"] >= 1
    assert summary["streak_days"] == 3
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    assert "aborted" in out
    assert "streak: 3 days" in out


def test_the_history_command_reports_a_damaged_file_in_one_line(
    xdg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from companion.cli import main
    from companion.config import default_history_path

    path = default_history_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 300)
    assert main(["history"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"backstretch: error: {path}: the history database is damaged")
    assert path.read_bytes() == b"garbage" * 300


async def test_a_device_that_cannot_report_is_never_shown_as_having_played_nothing(
    xdg: Path, library: RoutineLibrary, capsys: pytest.CaptureFixture[str]
) -> None:
    from companion.cli import main
    from companion.config import default_history_path
    from companion.session.engine import SessionState
    from companion.tui.presenter import summary_rows

    hub = Hub(library)
    band = RecordingLink(name="band")
    band.caps = replace(band.caps, timing=Timing.HOST, reports_played=False)
    hub.links.append(band)
    events = hub.bus.subscribe()
    async with open_history(default_history_path(), zone=BERLIN, hub_id="desk") as history:
        history.attach(hub)
        engine = hub.start("one-minute-back", exercises=["sphinx"], speed=40.0)
        result = await asyncio.wait_for(engine.wait(), 20)
        ended = None
        while ended is None:
            event = await asyncio.wait_for(events.get(), 5)
            if isinstance(event, SessionEnded):
                ended = event
        history.handle(ended)
    assert result.status is SessionState.COMPLETED
    assert result.figures.planned == len(result.planned) > 0
    assert (result.figures.felt(), result.figures.errors()) == ("not reported", "not reported")
    # MQTT's session_ended and the trace summary: null, not zero.
    payload = ended.to_dict()
    assert payload["cues_executed"] is None
    assert payload["onset_error_ms"] is None
    rows = {row.label: row.value for row in summary_rows(result, 1, 1, 1)}
    assert rows["Cues felt"] == rows["Cue timing"] == "not reported"

    assert main(["history", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)["sessions"]
    assert row["cues_planned"] == len(result.planned)
    assert row["cues_executed"] is None
    assert main(["history"]) == 0
    assert "cues, host-timed, felt: not reported" in capsys.readouterr().out


def test_history_lines_use_the_outcome_words_and_plurals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from companion.cli import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = tmp_path / "history.sqlite3"
    store = HistoryStore.open(path)
    start_row(store, "done")
    end_row(store, "done", "completed", T0 + timedelta(seconds=71))
    store.record_started(
        session_id="screen",
        routine="one-minute-back",
        exercises=("sphinx",),
        pace_bpm=None,
        started_at=T0 + timedelta(minutes=5),
        screen_only=True,
    )
    store.record_ended(
        session_id="screen",
        routine="one-minute-back",
        outcome="stopped",
        reason="stopped from the terminal",
        ended_at=T0 + timedelta(minutes=6),
        cues_planned=6,
        cues_executed=None,
        onset_error_ms={},
    )
    store.close()
    assert main(["history", "--file", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "stopped" in lines[0]
    assert "screen only, no wearable (stopped from the terminal)" in lines[0]
    assert "47 of 48 cues felt" in lines[1]
    assert lines[-1].startswith("today: ")
    assert "session(s)" not in lines[-1]
