"""`backstretch session ROUTINE ...`: run one session headless and report how it went."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from companion.cli import values
from companion.cli.mqtt_commands import add_mqtt_arguments
from companion.cli.sim_options import add_device_arguments

if TYPE_CHECKING:
    from companion.cli.progress import ProgressLine
    from companion.hub import Hub
    from companion.session.engine import SessionResult
    from routines import CuePlan
    from simulator import SimOptions
    from simulator.devices import SimulatedDevice


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "session",
        help="run one session headless",
        description="Run one session of ROUTINE on the wearable(s) and exit 0 when it completes.",
    )
    parser.add_argument("routine", metavar="ROUTINE", help="routine id (see `routines list`)")
    add_device_arguments(parser)
    parser.add_argument(
        "--exercise",
        action="append",
        default=[],
        metavar="ID",
        help="run only these exercises (repeatable), in the routine's order",
    )
    parser.add_argument(
        "--rounds",
        action="append",
        default=[],
        type=values.rounds,
        metavar="EXERCISE=N",
        help="rounds for one exercise, within what it allows (repeatable; e.g. cat-cow=4)",
    )
    parser.add_argument(
        "--pace", type=values.pace_bpm, metavar="BPM", help="breaths per minute (3-12)"
    )
    parser.add_argument(
        "--speed", type=values.speed, default=1.0, metavar="X", help="run X times faster (demos)"
    )
    parser.add_argument(
        "--delivery",
        choices=("scheduled", "immediate"),
        default="scheduled",
        help="scheduled: cues loaded ahead on the device clock (default); "
        "immediate: each cue written at its moment",
    )
    parser.add_argument("--trace", type=Path, metavar="FILE", help="write the JSON Lines trace")
    parser.add_argument("--json", action="store_true", help="print one JSON summary at the end")
    parser.add_argument(
        "--connect-timeout", type=float, default=15.0, metavar="S", help=argparse.SUPPRESS
    )
    # How often links ping for clock sync (companion.devices.clock_sync): for the benchmark.
    parser.add_argument(
        "--ping-policy",
        choices=("adaptive", "dense", "sparse"),
        default="adaptive",
        help=argparse.SUPPRESS,
    )
    add_mqtt_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_session(args))


async def _session(args: argparse.Namespace) -> int:
    import contextlib

    from companion.cli.mqtt_commands import mqtt_settings_from_args
    from companion.cli.recording import open_recording_history
    from companion.cli.routines_commands import warn_about_problems
    from companion.cli.sim_options import sim_options_from_args
    from companion.hub import Hub
    from routines import load_library

    library = load_library()
    warn_about_problems(library)
    hub = Hub(library)
    # Compile first: a wrong routine, exercise or pace fails before any radio work.
    plan = hub.plan(
        args.routine,
        exercises=args.exercise,
        pace_bpm=args.pace,
        speed=args.speed,
        rounds=dict(args.rounds),
    )
    sims = sim_options_from_args(args) if args.sim else None
    mqtt = mqtt_settings_from_args(args)
    async with contextlib.AsyncExitStack() as stack:
        # Recorded like the daemon's sessions; a broken history never stops a session.
        history = await stack.enter_async_context(open_recording_history())
        history.attach(hub)
        if mqtt is not None:
            from companion.mqtt import MqttMirror

            # Closed after the hub: the last state goes out, then `offline`.
            await stack.enter_async_context(MqttMirror(hub, mqtt, speed=args.speed))
        result, interrupted = await _coach(hub, plan, args, sims)
    return _report(args, result, interrupted)


async def _coach(
    hub: Hub, plan: CuePlan, args: argparse.Namespace, sims: list[SimOptions] | None
) -> tuple[SessionResult, bool]:
    """Connect, run the session to its end (or Ctrl+C), close; the result and if interrupted."""
    import asyncio
    import signal
    import sys

    from companion.cli.progress import ProgressLine
    from companion.devices.link import Delivery
    from companion.devices.link_options import LinkOptions
    from companion.devices.radio import open_radio

    options = LinkOptions(
        delivery=Delivery(args.delivery), max_attempts=3, ping_policy=args.ping_policy
    )
    interrupted = False
    async with open_radio(sim=sims, adapter=args.adapter) as radio:
        try:
            count = len(sims) if sims else 1
            await hub.connect(
                radio, args.device, count=count, options=options, timeout=args.connect_timeout
            )
            engine = hub.start_session(plan)

            def interrupt() -> None:
                nonlocal interrupted
                interrupted = True
                if engine.active:
                    engine.stop("stopped by a signal (Ctrl+C or SIGTERM)")

            loop = asyncio.get_running_loop()
            # Ctrl+C and SIGTERM both stop the session cleanly: the devices are told.
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, interrupt)
            progress = ProgressLine(sys.stderr) if sys.stderr.isatty() and not args.json else None
            watcher = asyncio.create_task(_show_progress(hub, progress)) if progress else None
            result = await engine.wait()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            if watcher is not None:
                watcher.cancel()
            if radio.devices:
                result = _with_motor_traces(result, radio.devices)
        finally:
            await hub.close()
    return result, interrupted


def _report(args: argparse.Namespace, result: SessionResult, interrupted: bool) -> int:
    import json
    import sys

    from companion.session.outcome import SessionOutcome, outcome_words
    from companion.session.trace import summary, write_trace

    if args.trace:
        write_trace(args.trace, result)
    if args.json:
        print(json.dumps(summary(result)))
    else:
        print(_human_summary(result))
    if interrupted:
        print(
            "backstretch: session stopped; the wearable was told to stop.",
            file=sys.stderr,
        )
        return 130
    outcome = result.outcome
    if outcome is SessionOutcome.COMPLETED:
        return 0
    # Partial (exercises skipped), stopped or aborted: a script can tell it did not all run.
    print(f"backstretch: session {outcome_words(outcome, result.reason)}", file=sys.stderr)
    return 1


def _with_motor_traces(result: SessionResult, devices: list[SimulatedDevice]) -> SessionResult:
    """With a simulator, `executed` is what its motor really did, read in the host clock.

    A band told only "buzz now" cannot tie a buzz to a cue: its buzzes are matched against
    the plan for the trace, and, as the hub could not know them, left out of the figures.
    """
    import dataclasses

    from companion.session.engine import ExecutedCue
    from companion.session.figures import first_in_windows, onset_figures, unreported
    from simulator.motor import NO_CUE

    reporting: list[ExecutedCue] = []
    matched: list[ExecutedCue] = []
    patterns = {cue.cue_id: cue.cue for cue in result.planned}
    reporters = 0
    for device in devices:
        pulses = device.trace
        if not device.reports_cues:
            times = [pulse.t for pulse in pulses if pulse.cue_id == NO_CUE]
            onsets = first_in_windows(result.planned, times)
            matched += [
                ExecutedCue(cue_id, patterns[cue_id], t, device.name, None)
                for cue_id, t in onsets.items()
            ]
            continue
        reporters += 1
        reporting += [
            ExecutedCue(pulse.cue_id, pulse.pattern, pulse.t, device.name, pulse.deadline)
            for pulse in pulses
        ]
    figures = (
        onset_figures(result.planned, reporting, reporters)
        if reporters
        else unreported(len(result.planned))
    )
    executed = tuple(sorted([*reporting, *matched], key=lambda cue: cue.t))
    return dataclasses.replace(
        result, executed=executed, figures=figures, onset_source="simulated motor"
    )


async def _show_progress(hub: Hub, progress: ProgressLine) -> None:
    import asyncio

    try:
        while True:
            progress.show(hub.snapshot(), hub.engine.plan.duration_s if hub.engine else 0.0)
            await asyncio.sleep(0.25)
    finally:
        progress.clear()


def _human_summary(result: SessionResult) -> str:
    minutes, seconds = divmod(round(result.ended - result.started), 60)
    figures = result.figures
    timing = f" ({result.timing})" if result.timing else ""
    return (
        f"{result.routine}: {result.outcome} in {minutes}:{seconds:02d}{timing}; "
        f"cues felt: {figures.felt()}; onset error: {figures.errors()}"
    )
