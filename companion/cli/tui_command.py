"""`backstretch tui`: the terminal UI on real wearables (or `--sim`); `demo` reuses it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from companion.cli.sim_options import add_device_arguments

if TYPE_CHECKING:
    import contextlib

    from companion.hub import Hub
    from companion.tui.app import BackstretchApp
    from simulator import SimOptions


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "tui",
        help="the terminal UI: pick a routine, start it, follow it",
        description="Open the terminal UI on the wearable(s); it opens even when none is found.",
    )
    add_device_arguments(parser)
    parser.add_argument(
        "--mqtt", metavar="URL", help="mirror state to this MQTT broker, as `run` does"
    )
    add_common_arguments(parser)
    parser.set_defaults(run=run)


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Options `tui` and `demo` share."""
    parser.add_argument(
        "--speed", type=float, default=1.0, metavar="X", help="run sessions X times faster (demos)"
    )
    parser.add_argument(
        "--connect-timeout", type=float, default=15.0, metavar="S", help=argparse.SUPPRESS
    )


def run(args: argparse.Namespace) -> int:
    from companion.cli.sim_options import sim_options_from_args

    sims = sim_options_from_args(args) if args.sim else None
    return run_tui(args, sims, mqtt_url=args.mqtt)


def run_tui(args: argparse.Namespace, sims: list[SimOptions] | None, mqtt_url: str | None) -> int:
    import asyncio

    from companion.errors import HubError

    if args.speed <= 0:
        raise HubError(f"--speed must be above 0, not {args.speed:g}")
    return asyncio.run(_tui(args, sims, mqtt_url))


async def _tui(
    args: argparse.Namespace, sims: list[SimOptions] | None, mqtt_url: str | None
) -> int:
    from companion.cli.recording import open_recording_history
    from companion.devices.radio import open_radio
    from companion.hub import Hub
    from companion.tui.app import BackstretchApp
    from companion.tui.connector import RadioConnector
    from companion.tui.logs import logs_to_file_and_notifications
    from companion.tui.notice import default_state_dir
    from routines import load_library

    hub = Hub(load_library())
    # Sessions started here are recorded like the daemon's; today's count and the streak
    # come from that history.
    async with (
        open_recording_history() as history,
        open_radio(sim=sims, adapter=args.adapter) as radio,
    ):
        history.attach(hub)
        connector = RadioConnector(
            hub,
            radio,
            args.device,
            count=len(sims) if sims else 1,
            timeout=args.connect_timeout,
        )
        app = BackstretchApp(hub, connector=connector, speed=args.speed, mqtt_url=mqtt_url)
        try:
            with logs_to_file_and_notifications(app, default_state_dir() / "tui.log"):
                async with mirror(hub, mqtt_url, app):
                    await app.run_async()
        finally:
            await hub.close()
    return 0 if app.return_code in (None, 0) else app.return_code


def mirror(
    hub: Hub, url: str | None, app: BackstretchApp
) -> contextlib.AbstractAsyncContextManager[object]:
    """The MQTT mirror of the hub's state while the TUI runs (`--mqtt URL`)."""
    import contextlib

    if url is None:
        return contextlib.nullcontext()
    from companion.mqtt import MqttMirror, MqttSettings

    settings = MqttSettings.from_url(url)
    app.mirroring = True
    return MqttMirror(hub, settings)
