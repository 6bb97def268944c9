"""The `backstretch` command.

Only argparse is imported at start-up so that `backstretch --help` stays quick; each
command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import cast

from companion import __version__
from companion.cli import commands
from companion.cli.parsing import CommandParser, parse_command_line


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="backstretch",
        description="Coach short back-stretching routines with haptic breath cues on a wearable.",
    )
    parser.add_argument("--version", action="version", version=f"backstretch {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-vv for debug)"
    )
    # Subcommands are built with the parser's own class: CommandParser, all the way down.
    subparsers = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser.add_subparsers(dest="command", metavar="COMMAND"),
    )
    commands.register_all(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parse_command_line(parser, argv)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return 2
    from companion.cli.logs import configure_logging

    configure_logging(args.verbose)
    try:
        code: int = run(args)
    except KeyboardInterrupt:
        print("backstretch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as other tools do.
        sys.stderr.close()
        return 141
    except Exception as exc:
        from companion.cli.errors import user_message

        message = user_message(exc)
        if message is None:
            raise
        print(f"backstretch: error: {message}", file=sys.stderr)
        return 1
    return code
