"""`backstretch config init | check`: write a commented example, validate a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "config",
        help="write or check the hub's configuration",
        description="Write a commented example configuration, or check one.",
    )
    parser.set_defaults(run=lambda _args: _usage(parser))
    actions = parser.add_subparsers(dest="config_command", metavar="ACTION")

    init = actions.add_parser(
        "init",
        help="write a commented example configuration",
        description=(
            "Write a commented example to FILE (default: "
            "$XDG_CONFIG_HOME/backstretch/config.toml, or - for stdout). An existing file "
            "is kept unless --force."
        ),
    )
    init.add_argument("file", nargs="?", metavar="FILE", help="where to write it")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    init.set_defaults(run=run_init)

    check = actions.add_parser(
        "check",
        help="validate a configuration file",
        description=(
            "Validate FILE (default: the XDG configuration file) with the environment's "
            "BACKSTRETCH_* overrides; exit 0 if it is usable, 1 with the problem if not."
        ),
    )
    check.add_argument("file", nargs="?", type=Path, metavar="FILE", help="the file to check")
    check.set_defaults(run=run_check)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def run_init(args: argparse.Namespace) -> int:
    from companion.config import EXAMPLE_CONFIG, default_config_path
    from companion.errors import ConfigError

    if args.file == "-":
        sys.stdout.write(EXAMPLE_CONFIG)
        return 0
    path = Path(args.file) if args.file else default_config_path()
    if path.exists() and not args.force:
        raise ConfigError(f"{path}: already exists; use --force to replace it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(EXAMPLE_CONFIG, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {path}; check it with `backstretch config check`")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from companion.cli.routines_commands import warn_about_problems
    from companion.config import default_config_path, load_config
    from routines import load_library

    path = args.file or default_config_path()
    # The routines are checked with the configuration; a broken one is said, not fatal.
    library = load_library()
    warn_about_problems(library)
    config = load_config(path, required=True, library=library)
    from companion.plurals import count_of
    from companion.redact import redact_url

    mqtt = redact_url(config.mqtt.url) if config.mqtt.url else "off"
    print(
        f"{path}: ok (hub '{config.hub_id}', routine {config.routine}, "
        f"{count_of(len(config.schedules), 'schedule')}, time zone {config.time_zone or 'local'}, "
        f"MQTT {mqtt})"
    )
    return 0
