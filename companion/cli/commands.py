"""The registry of subcommands. Each module registers its parser and imports lazily."""

from __future__ import annotations

import argparse

from companion.cli import (
    demo_command,
    devices_commands,
    routines_commands,
    session_command,
    sim_command,
)


def register_all(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo_command.register(subparsers)
    routines_commands.register(subparsers)
    session_command.register(subparsers)
    sim_command.register(subparsers)
    devices_commands.register(subparsers)
