"""`backstretch demo`: the terminal UI with an in-process simulated wearable.

No broker, no hardware: the first thing a new user runs.
"""

from __future__ import annotations

import argparse

from companion.cli.sim_options import add_sim_arguments
from companion.cli.tui_command import add_common_arguments


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the terminal UI with an in-process simulated wearable",
        description=(
            "Open the terminal UI on a simulated wearable (no hardware, no broker): pick a "
            "routine, press enter, and follow the breath cues. The --sim-* options shape the "
            "simulated wearable (e.g. --sim-drop 20:5 drops its link 20 s in, for 5 s)."
        ),
    )
    add_common_arguments(parser)
    add_sim_arguments(parser)
    parser.set_defaults(run=run, adapter=None, device=[])


def run(args: argparse.Namespace) -> int:
    from companion.cli.sim_options import sim_options_from_args
    from companion.cli.tui_command import run_tui

    return run_tui(args, sim_options_from_args(args), mqtt_url=None)
