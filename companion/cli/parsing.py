"""The argument parser every `backstretch` command is built with.

argparse's own behaviour has two rough edges we smooth here: an unknown option after a
subcommand is reported by the top-level parser (with the top-level usage), and a usage
error prints the command's full usage, which for a command with the simulator's options
runs to a dozen lines. Here every mistake is one usage line of the command that was given,
then one line saying what is wrong, and exit code 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import NoReturn

# Where each parser puts itself in the namespace, so the deepest command given can report.
PARSER_KEY = "_command_parser"


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are short and come from the command that was used."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.set_defaults(**{PARSER_KEY: self})

    def short_usage(self) -> str:
        """`usage: backstretch session [options] ROUTINE`: one line, whatever the options."""
        positionals = []
        for action in self._actions:
            if action.option_strings or action.help == argparse.SUPPRESS:
                continue
            metavar = action.metavar or action.dest
            positionals.append(metavar if isinstance(metavar, str) else " ".join(metavar))
        has_options = any(action.option_strings for action in self._actions)
        words = [self.prog, *(["[options]"] if has_options else []), *positionals]
        return "usage: " + " ".join(words)

    def error(self, message: str) -> NoReturn:
        self.exit(
            2, f"{self.short_usage()}\n{self.prog}: error: {message} (see {self.prog} --help)\n"
        )


def parse_command_line(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None
) -> argparse.Namespace:
    """Parse `argv`; anything left over is an error of the command it was given to."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        owner = getattr(args, PARSER_KEY, parser)
        owner.error(f"unrecognized arguments: {' '.join(extras)}")
    return args
