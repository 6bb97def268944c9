"""`backstretch history [--json]`: recent sessions, sessions today and the streak."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from companion.history import SessionRecord


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "history",
        help="show recent sessions, sessions today and the streak",
        description=(
            "Show recent sessions from $XDG_STATE_HOME/backstretch/history.sqlite3 (or the "
            "config's history_file), sessions completed today and the streak in days."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--limit", type=int, default=10, metavar="N", help="how many sessions (default 10)"
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="configuration file (TOML)")
    parser.add_argument("--file", type=Path, metavar="DB", help="history database to read")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    from companion.config import default_history_path, load_config
    from companion.history import DayCounts, HistoryStore

    config = load_config(args.config)
    path = args.file or config.history_file or default_history_path()
    zone = config.zone
    counts = DayCounts(zone)
    records: list[SessionRecord] = []
    if path.exists():
        # Opening also marks sessions of a hub that died as interrupted.
        store = HistoryStore.open(path)
        try:
            records = store.recent(max(1, args.limit))
            counts.days = store.completed_days(zone)
        finally:
            store.close()
    summary: dict[str, Any] = {
        "sessions": [r.to_dict() for r in records],
        "sessions_today": counts.sessions_today(),
        "streak_days": counts.streak_days(),
    }
    if args.json:
        print(json.dumps(summary))
        return 0
    if not records:
        print(f"no sessions recorded yet ({path})")
        return 0
    for record in records:
        print(_line(record, zone))
    from companion.plurals import count_of

    today = count_of(summary["sessions_today"], "session")
    print(f"today: {today}; streak: {count_of(summary['streak_days'], 'day')}")
    return 0


def _line(record: SessionRecord, zone: Any) -> str:
    started = record.started_at.astimezone(zone)
    duration = record.duration_s
    length = f"{int(duration // 60)}:{int(duration % 60):02d}" if duration is not None else "-:--"
    if record.screen_only:
        cues = "screen only, no wearable"
    elif record.cues_planned is None:
        cues = "no cue figures"
    elif record.cues_executed is None:
        timed = f"{record.timing}, " if record.timing else ""
        cues = f"{record.cues_planned} cues, {timed}felt: not reported"
    else:
        cues = f"{record.cues_executed} of {record.cues_planned} cues felt"
    onset = f", onset p99 {record.onset_p99_ms:.1f} ms" if record.onset_p99_ms else ""
    reason = f" ({record.reason})" if record.outcome != "completed" and record.reason else ""
    return (
        f"{started:%Y-%m-%d %H:%M}  {record.routine:<18} {record.outcome:<11} {length}  "
        f"{cues}{onset}{reason}"
    )
