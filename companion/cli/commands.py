"""The registry of subcommands. Each module registers its parser and imports lazily."""

from __future__ import annotations

import argparse

from companion.cli import (
    config_commands,
    demo_command,
    devices_commands,
    history_command,
    mqtt_commands,
    routines_commands,
    run_command,
    session_command,
    sim_command,
    tui_command,
)


def register_all(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo_command.register(subparsers)
    routines_commands.register(subparsers)
    session_command.register(subparsers)
    sim_command.register(subparsers)
    devices_commands.register(subparsers)
    run_command.register(subparsers)
    config_commands.register(subparsers)
    history_command.register(subparsers)
    tui_command.register(subparsers)
    mqtt_commands.register(subparsers)
