"""`backstretch demo`: try the coach with a simulated wearable, no hardware, no broker."""

from __future__ import annotations

import argparse

DEMO_ROUTINE = "one-minute-back"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the coach with an in-process simulated wearable",
        description="Show the one-minute back routine, then coach it on a simulated wearable.",
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, metavar="X", help="run X times faster (default 1)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from companion.cli import main

    shown = main(["routines", "show", DEMO_ROUTINE])
    if shown != 0:
        return shown
    print("\nStarting on a simulated wearable; Ctrl+C stops.\n")
    return main(["session", DEMO_ROUTINE, "--sim", "--speed", str(args.speed)])
