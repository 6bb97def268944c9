"""`backstretch sim`: the simulated wearable as its own process."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from companion.cli.sim_options import add_sim_arguments, sim_options_from_args

DEFAULT_LISTEN = "tcp-server:127.0.0.1:5555"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sim",
        help="run simulated wearables as their own process",
        description=(
            "Run simulated wearables behind an HCI listener. A hub reaches them with "
            "--adapter tcp-client:HOST:PORT. SIGUSR1 presses every wearable's button "
            "(short), SIGUSR2 (long). Stop with Ctrl-C or SIGTERM."
        ),
    )
    parser.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        metavar="TRANSPORT",
        help=f"where hubs connect: tcp-server:HOST:PORT (default {DEFAULT_LISTEN})",
    )
    parser.add_argument(
        "--trace", type=Path, metavar="FILE", help="append executed-cue lines (JSON Lines)"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log every message the wearables handle"
    )
    add_sim_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from companion.errors import ConfigError
    from simulator.radio import parse_tcp_server_spec
    from simulator.standalone import configure_logging, serve

    options = sim_options_from_args(args)
    try:
        parse_tcp_server_spec(args.listen)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    configure_logging(args.verbose)

    def ready(spec: str) -> None:
        names = ", ".join(f"{o.name} ({o.address})" for o in options)
        print(f"simulating {names}; hubs connect with --adapter {spec}", flush=True)

    try:
        asyncio.run(serve(options, args.listen, args.trace, args.verbose, ready))
    except OSError as exc:
        raise ConfigError(f"cannot listen on {args.listen}: {exc.strerror or exc}") from None
    return 0
