"""`backstretch routines ...` (placeholder until the routines issue lands)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    subparsers.add_parser("routines", help="list, show and validate routines")
