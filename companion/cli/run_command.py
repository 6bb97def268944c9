"""`backstretch run`: the headless hub daemon. SIGTERM and SIGINT shut it down cleanly."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from companion.cli.sim_options import add_device_arguments

if TYPE_CHECKING:
    from companion.config import HubConfig
    from companion.daemon import DaemonContext, Service

EPILOG = (
    "Configuration: --config FILE, else $XDG_CONFIG_HOME/backstretch/config.toml if it "
    "exists (see `backstretch config init`); BACKSTRETCH_* environment variables override "
    "the file and these options override both. History: "
    "$XDG_STATE_HOME/backstretch/history.sqlite3. Logs go to stderr: what the hub does by "
    "default, debug with -v, the Bluetooth stack too with -vv."
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the headless hub (schedules, history, reconnects)",
        description=(
            "Run the hub until SIGTERM or SIGINT: keep the wearables connected, play "
            "scheduled reminders, record sessions."
        ),
        epilog=EPILOG,
    )
    add_device_arguments(parser, "the config's devices, else the first found")
    parser.add_argument("--mqtt", metavar="URL", help="MQTT broker, e.g. mqtt://localhost:1883")
    parser.add_argument(
        "--mqtt-ca", type=Path, metavar="FILE", help="CA certificate file for an mqtts:// broker"
    )
    parser.add_argument("--hub-id", metavar="ID", help="the hub's id in MQTT topics")
    parser.add_argument("--config", type=Path, metavar="FILE", help="configuration file (TOML)")
    parser.add_argument(
        "-v",
        "--verbose",
        dest="run_verbose",
        action="count",
        default=0,
        help="log more (-vv: the Bluetooth stack too)",
    )
    # Tests: start a session as soon as a wearable is ready.
    parser.add_argument("--start-now", metavar="ROUTINE", help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The command-line values that override the configuration."""
    overrides: dict[str, Any] = {}
    if args.device:
        overrides["devices"] = list(args.device)
    if args.hub_id is not None:
        overrides["hub_id"] = args.hub_id
    mqtt: dict[str, Any] = {}
    if args.mqtt is not None:
        mqtt["url"] = args.mqtt
    if args.mqtt_ca is not None:
        mqtt["ca_file"] = args.mqtt_ca
    if mqtt:
        overrides["mqtt"] = mqtt
    return overrides


def run(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from companion.cli.logs import configure_logging
    from companion.cli.sim_options import sim_options_from_args
    from companion.config import load_config
    from companion.daemon import Daemon
    from routines import load_library

    # A daemon tells what it does by default; -v (before or after `run`) adds debug lines,
    # -vv the Bluetooth stack's too.
    verbosity = args.verbose + args.run_verbose
    configure_logging(verbosity)
    # bumble logs some debug lines on the root logger: keep it at INFO below -vv.
    logging.getLogger().setLevel(logging.DEBUG if verbosity >= 2 else logging.INFO)
    for ours in ("companion", "simulator", "routines", "firmware_protocol"):
        logging.getLogger(ours).setLevel(logging.DEBUG if verbosity >= 1 else logging.INFO)
    library = load_library()
    for problem in library.problems:
        logging.getLogger("companion.routines").warning("%s", problem)
    config = load_config(args.config, overrides=overrides_from_args(args), library=library)
    if args.start_now is not None:
        library.get(args.start_now)
    sims = sim_options_from_args(args) if args.sim else None
    services = [mirror_service(config)] if config.mqtt.url else []
    daemon = Daemon(
        config,
        library,
        sims=sims,
        adapter=args.adapter,
        start_now=args.start_now,
        services=services,
    )
    return asyncio.run(daemon.run())


def mirror_service(config: HubConfig) -> Service:
    """The MQTT mirror as a daemon service, from the configuration's [mqtt] section."""
    from companion.cli.mqtt_commands import mqtt_settings_from_config
    from companion.mqtt import MqttMirror

    settings = mqtt_settings_from_config(config)

    async def serve(context: DaemonContext) -> None:
        import asyncio

        async with MqttMirror(context.hub, settings):
            await asyncio.Event().wait()

    return serve
