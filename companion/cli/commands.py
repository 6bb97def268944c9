"""The registry of subcommands. Each module registers its parser and imports lazily."""

from __future__ import annotations

import argparse

from companion.cli import devices_commands, routines_commands, sim_command


def register_all(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    routines_commands.register(subparsers)
    sim_command.register(subparsers)
    devices_commands.register(subparsers)
