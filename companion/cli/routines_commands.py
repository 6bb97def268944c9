"""`backstretch routines list | show ID | validate FILE`.

Exit codes: 0 on success; 1 for a routine error (unknown id, bad file, pace out of range),
printed as one line on stderr; 2 for a usage error. `list` exits 0 even when some user
routine files are broken: it names each broken file on stderr and lists everything else,
because one bad file should not stop a person from seeing (and running) the rest.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from companion.cli import values

if TYPE_CHECKING:
    from routines import RoutineLibrary

LIST_EPILOG = (
    "User routines live in $XDG_CONFIG_HOME/backstretch/routines/*.toml (default "
    "~/.config/...). A user routine with a bundled routine's id replaces it. Broken user "
    "files are reported on stderr and skipped; the exit code stays 0."
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "routines",
        help="list, show and validate routines",
        description="List, show and validate stretching routines.",
    )
    parser.set_defaults(run=lambda _args: _usage(parser))
    actions = parser.add_subparsers(dest="routines_command", metavar="ACTION")

    listing = actions.add_parser(
        "list", help="list the bundled and user routines", epilog=LIST_EPILOG
    )
    listing.set_defaults(run=run_list)

    show = actions.add_parser(
        "show",
        help="show a routine's timed steps and cues",
        description="Show a routine as the timed cue plan a session would play.",
    )
    show.add_argument("routine", metavar="ID", help="routine id (see `backstretch routines list`)")
    show.add_argument("--json", action="store_true", help="print the compiled cue plan as JSON")
    show.add_argument(
        "--exercise",
        dest="exercises",
        action="append",
        metavar="ID",
        help="only this exercise (repeatable; the routine's order is kept)",
    )
    show.add_argument(
        "--pace", type=values.pace_bpm, metavar="BPM", help="breaths per minute, 3 to 12"
    )
    show.add_argument(
        "--rounds",
        action="append",
        type=values.rounds,
        metavar="EXERCISE=N",
        help="rounds for one exercise, within what it allows (repeatable)",
    )
    show.set_defaults(run=run_show)

    validate = actions.add_parser(
        "validate",
        help="check a routine file",
        description="Check a routine file; prints 'ok: ...' or the problem (exit code 1).",
    )
    validate.add_argument("file", type=Path, metavar="FILE")
    validate.set_defaults(run=run_validate)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _warn(problem: Exception) -> None:
    print(f"backstretch: warning: skipped {problem}", file=sys.stderr)


def warn_about_problems(library: RoutineLibrary) -> None:
    """Each routine file that could not be loaded, named once on stderr (one line each)."""
    for problem in library.problems:
        _warn(problem)


def run_list(_args: argparse.Namespace) -> int:
    from routines import compile_plan, format_clock, load_library

    library = load_library()
    warn_about_problems(library)
    rows = [("ID", "TITLE", "DURATION", "EXERCISES", "ORIGIN")]
    for entry in library.entries:
        plan = compile_plan(entry.routine)
        origin: str = entry.origin
        if entry.overrides_bundled:
            origin += f" (overrides the bundled routine; {entry.source})"
        elif entry.origin == "user":
            origin += f" ({entry.source})"
        rows.append(
            (
                entry.routine.id,
                entry.routine.title,
                format_clock(plan.duration_s),
                str(len(entry.routine.exercises)),
                origin,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    if len(rows) == 1:
        print("(no routines)")
    return 0


def run_show(args: argparse.Namespace) -> int:
    import json

    from routines import PlanOptions, compile_plan, load_library, plan_summary, plan_to_dict

    library = load_library()
    if args.routine not in library.routines:
        warn_about_problems(library)
    routine = library.get(args.routine)
    options = PlanOptions(
        exercises=tuple(args.exercises) if args.exercises else None,
        pace_bpm=args.pace,
        rounds=dict(args.rounds) if args.rounds else None,
    )
    plan = compile_plan(routine, options)
    if args.json:
        print(json.dumps(plan_to_dict(plan), indent=2))
    else:
        print(plan_summary(plan))
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from companion.plurals import count_of
    from routines import RoutineError, compile_plan, format_clock, load_routine

    try:
        routine = load_routine(args.file)
    except RoutineError as exc:
        if len(exc.problems) == 1:
            raise
        # Every problem at once, one line each: a person fixes the file in one go.
        for problem in exc.problems:
            print(f"backstretch: error: {problem}", file=sys.stderr)
        return 1
    plan = compile_plan(routine)
    print(
        f"ok: {routine.id} ({routine.title}): {count_of(len(routine.exercises), 'exercise')}, "
        f"{format_clock(plan.duration_s)} at {plan.pace_bpm:g} breaths per minute"
    )
    return 0
