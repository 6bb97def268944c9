"""The `--sim-*` fault options and `--adapter`, shared by every command that talks to a device.

Only argparse is imported here; the simulator is imported when options are turned into
`SimOptions`, i.e. when a command runs.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator import SimOptions

__all__ = [
    "add_adapter_argument",
    "add_device_arguments",
    "add_sim_arguments",
    "sim_options_from_args",
]

FIRST_FOUND = "the first backstretch wearable found"


def add_device_arguments(parser: argparse.ArgumentParser, default: str = FIRST_FOUND) -> None:
    """How a command finds its wearables: `--sim` (+ `--sim-*`), `--device`, `--adapter`."""
    parser.add_argument(
        "--sim", action="store_true", help="use in-process simulated wearable(s) (--sim-* options)"
    )
    parser.add_argument(
        "--device",
        action="append",
        default=[],
        metavar="NAME_OR_ADDRESS",
        help=f"wearable to use (repeatable); default: {default}",
    )
    add_adapter_argument(parser)
    add_sim_arguments(parser)


def _drop(text: str) -> tuple[float, float]:
    from simulator import SimOptionError, parse_drop

    try:
        return parse_drop(text)
    except SimOptionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"needs 1 or more, got {value}")
    return value


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulated wearable's options (README), accepted wherever `--sim` is."""
    group = parser.add_argument_group("simulated wearable")
    group.add_argument(
        "--sim-devices", type=_positive_int, default=1, metavar="N", help="how many (default 1)"
    )
    group.add_argument(
        "--sim-latency",
        type=float,
        default=0.0,
        metavar="MS",
        help="delay added to every write and notification, each way (default 0)",
    )
    group.add_argument(
        "--sim-jitter",
        type=float,
        default=0.0,
        metavar="MS",
        help="extra random delay, uniform in 0..MS; order is kept (default 0)",
    )
    group.add_argument(
        "--sim-link",
        choices=("jitter", "ble"),
        default="jitter",
        help="the air: jitter (latency + jitter per message, default) or ble (BLE's link "
        "layer: connection events, losses, retransmission, supervision timeout)",
    )
    group.add_argument(
        "--sim-interval",
        type=float,
        default=30.0,
        metavar="MS",
        help="ble: connection interval, 7.5-4000 ms in 1.25 ms steps (default 30)",
    )
    group.add_argument(
        "--sim-peripheral-latency",
        type=int,
        default=0,
        metavar="N",
        help="ble: events the device may skip in a row while it has nothing to send (default 0)",
    )
    group.add_argument(
        "--sim-per",
        type=float,
        default=0.0,
        metavar="PCT",
        help="ble: packet error rate; a lost packet is sent again at the next event (default 0)",
    )
    group.add_argument(
        "--sim-packets-per-event",
        type=int,
        default=4,
        metavar="N",
        help="ble: packet exchanges one connection event holds at most (default 4)",
    )
    group.add_argument(
        "--sim-supervision-timeout",
        type=float,
        default=2000.0,
        metavar="MS",
        help="ble: the link drops after this long with no event heard (default 2000)",
    )
    group.add_argument(
        "--sim-central-ppm",
        type=float,
        default=20.0,
        metavar="PPM",
        help="ble: the hub radio's crystal, which times the events, against the host clock "
        "(default 20)",
    )
    group.add_argument(
        "--sim-clock-ppm",
        type=float,
        default=0.0,
        metavar="PPM",
        help="device clock drift in parts per million (default 0)",
    )
    group.add_argument(
        "--sim-clock-offset",
        type=float,
        default=0.0,
        metavar="S",
        help="device clock reading at start, in seconds (default 0)",
    )
    group.add_argument(
        "--sim-drop",
        type=_drop,
        action="append",
        default=[],
        metavar="AT_S:FOR_S",
        help="drop the link AT_S seconds after start for FOR_S seconds (repeatable)",
    )
    group.add_argument(
        "--sim-battery", type=int, default=100, metavar="PCT", help="battery level (default 100)"
    )
    group.add_argument(
        "--sim-max-mtu",
        type=int,
        default=247,
        metavar="BYTES",
        help="largest ATT MTU the device accepts (default 247)",
    )
    group.add_argument(
        "--sim-seed", type=int, default=0, metavar="N", help="seed of names and jitter (default 0)"
    )
    group.add_argument(
        "--sim-profile",
        default="native",
        metavar="PROFILE[,PROFILE...]",
        help=(
            "what to simulate: native (our protocol), banglejs (a Bangle.js watch running "
            "JavaScript) or ias (an InfiniTime-like band with the Immediate Alert service); a "
            "comma list gives the devices their profiles in turn (default native)"
        ),
    )
    group.add_argument(
        "--sim-held",
        action="store_true",
        help="the device is held by another central (a phone) and does not advertise",
    )
    group.add_argument(
        "--sim-muted",
        action="store_true",
        help="a band with its notifications switched off: alerts show but do not buzz",
    )


def sim_options_from_args(args: argparse.Namespace) -> list[SimOptions]:
    """One SimOptions per `--sim-devices`, each with its own name, address and derived seed."""
    from companion.errors import ConfigError
    from simulator import SimOptionError, SimOptions

    profiles = [p.strip() for p in str(args.sim_profile).split(",") if p.strip()] or ["native"]
    try:
        base = SimOptions(
            latency_ms=args.sim_latency,
            jitter_ms=args.sim_jitter,
            clock_ppm=args.sim_clock_ppm,
            clock_offset_s=args.sim_clock_offset,
            drops=tuple(args.sim_drop),
            battery_pct=args.sim_battery,
            max_mtu=args.sim_max_mtu,
            seed=args.sim_seed,
            held=args.sim_held,
            muted=args.sim_muted,
            link=args.sim_link,
            interval_ms=args.sim_interval,
            peripheral_latency=args.sim_peripheral_latency,
            per_pct=args.sim_per,
            packets_per_event=args.sim_packets_per_event,
            supervision_timeout_ms=args.sim_supervision_timeout,
            central_ppm=args.sim_central_ppm,
        )
        # A device of another profile is named as that kind names itself.
        return [
            dataclasses.replace(base.derived(index), profile=profile, name="")
            if (profile := profiles[index % len(profiles)]) != "native"
            else base.derived(index)
            for index in range(args.sim_devices)
        ]
    except SimOptionError as exc:
        raise ConfigError(str(exc)) from None


def add_adapter_argument(parser: argparse.ArgumentParser) -> None:
    """`--adapter TRANSPORT`: absent, the OS's Bluetooth; else a bumble transport."""
    parser.add_argument(
        "--adapter",
        metavar="TRANSPORT",
        help=(
            "Bluetooth adapter as a bumble transport: usb:0 (a USB dongle), serial:PORT,SPEED, "
            "tcp-client:HOST:PORT (a `backstretch sim` process); default: the OS's Bluetooth"
        ),
    )
