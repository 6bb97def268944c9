"""`backstretch tui`: the terminal UI on real wearables (or `--sim`); `demo` reuses it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from companion.cli import values
from companion.cli.sim_options import add_device_arguments

if TYPE_CHECKING:
    import contextlib

    from companion.config import HubConfig
    from companion.history.store import SessionRecord as StoredRecord
    from companion.hub import Hub
    from companion.tui.app import BackstretchApp
    from companion.tui.providers import SessionRecord
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
        "--speed",
        type=values.speed,
        default=1.0,
        metavar="X",
        help="run sessions X times faster (demos)",
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

    return asyncio.run(_tui(args, sims, mqtt_url))


async def _tui(
    args: argparse.Namespace, sims: list[SimOptions] | None, mqtt_url: str | None
) -> int:
    import asyncio
    import logging

    from companion.cli.recording import open_recording_history, terminal_config
    from companion.devices.radio import open_radio
    from companion.hub import Hub
    from companion.schedule import Scheduler
    from companion.tui.app import BackstretchApp
    from companion.tui.connector import RadioConnector
    from companion.tui.logs import logs_to_file_and_notifications
    from companion.tui.notice import default_state_dir
    from companion.tui.providers import ScheduledReminders, StoredHistory
    from routines import load_library

    config = terminal_config()
    library = load_library()
    # Said before the app takes the screen, as a broken configuration is; the others load.
    for problem in library.problems:
        logging.getLogger("companion.routines").warning("skipped %s", problem)
    hub = Hub(library, routine=config.routine, pace_bpm=config.pace_bpm)
    hub.schedule_enabled = config.reminders.enabled
    # Sessions started here are recorded like the daemon's, and reminders play here too.
    async with (
        open_recording_history(config) as history,
        open_radio(sim=sims, adapter=args.adapter) as radio,
    ):
        history.attach(hub)
        earlier = [_record(r) for r in await history.recent(20)] if history.available else []
        scheduler = Scheduler(hub, config, last_completed=history.last_completed)
        connector = RadioConnector(
            hub,
            radio,
            args.device,
            count=len(sims) if sims else 1,
            timeout=args.connect_timeout,
        )
        app = BackstretchApp(
            hub,
            connector=connector,
            history=StoredHistory(hub.bus, earlier, history, hub.wall_clock),
            schedule=ScheduledReminders(scheduler, lambda: hub.routine),
            speed=args.speed,
            mqtt_url=mqtt_url,
        )
        reminders = asyncio.create_task(scheduler.run(), name="scheduler")
        try:
            with logs_to_file_and_notifications(app, default_state_dir() / "tui.log"):
                async with mirror(hub, mqtt_url, app, config):
                    await app.run_async()
        finally:
            reminders.cancel()
            await hub.close()
    return 0 if app.return_code in (None, 0) else app.return_code


def _record(stored: StoredRecord) -> SessionRecord:
    """A history-store row as the TUI's history screen lists it."""
    from companion.tui.providers import SessionRecord

    return SessionRecord(
        ended=stored.ended_at or stored.started_at,
        routine=stored.routine,
        status=stored.outcome,
        duration_s=stored.duration_s or 0.0,
        cues_planned=stored.cues_planned or 0,
        cues_executed=stored.cues_executed,
        reason=stored.reason,
        screen_only=stored.screen_only,
        timing=stored.timing,
    )


def mirror(
    hub: Hub, url: str | None, app: BackstretchApp, config: HubConfig
) -> contextlib.AbstractAsyncContextManager[object]:
    """The MQTT mirror of the hub's state while the TUI runs (`--mqtt URL`)."""
    import contextlib

    if url is None:
        return contextlib.nullcontext()
    from companion.cli.mqtt_commands import mqtt_settings_from_config
    from companion.mqtt import MqttMirror

    # The configuration's hub id, credentials and topics: the TUI and `run` are one hub.
    settings = mqtt_settings_from_config(config, url)
    app.mirroring = True
    return MqttMirror(hub, settings)
