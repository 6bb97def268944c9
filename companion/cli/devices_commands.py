"""`backstretch devices scan`: list the wearables (and other BLE devices) in range."""

from __future__ import annotations

import argparse
import asyncio
import json

from companion.cli.sim_options import add_adapter_argument, add_sim_arguments, sim_options_from_args


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("devices", help="find wearables")
    commands = parser.add_subparsers(dest="devices_command", metavar="COMMAND")
    scan = commands.add_parser("scan", help="list the BLE devices in range")
    radio = scan.add_mutually_exclusive_group()
    radio.add_argument("--sim", action="store_true", help="scan an in-process simulator")
    add_adapter_argument(radio)  # type: ignore[arg-type]
    scan.add_argument(
        "--timeout", type=float, default=3.0, metavar="S", help="scan time (default 3)"
    )
    scan.add_argument("--json", action="store_true", help="print one JSON object per device")
    add_sim_arguments(scan)
    scan.set_defaults(run=run_scan)

    def usage(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(run=usage)


def run_scan(args: argparse.Namespace) -> int:
    found = asyncio.run(_scan(args))
    if args.json:
        for row in found:
            print(json.dumps(row))
        return 0
    if not found:
        print("no device found")
        return 0
    print(f"{'ADDRESS':<20} {'RSSI':>8}  {'PROFILE':<9}  NAME")
    for row in found:
        profile = row["profile"] or "-"
        print(f"{row['address']:<20} {row['rssi']:>4} dBm  {profile:<9}  {row['name'] or '?'}")
    wearables = sum(1 for row in found if row["profile"])
    others = len(found) - wearables
    print(f"{_count(wearables, 'wearable')}, {_count(others, 'other device')}")
    return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


async def _scan(args: argparse.Namespace) -> list[dict[str, object]]:
    from companion.devices.radio import scan

    sim = sim_options_from_args(args) if args.sim else None
    devices = await scan(timeout=args.timeout, sim=sim, adapter=args.adapter)
    return [
        {
            "name": d.name,
            "address": d.address,
            "rssi": d.rssi,
            "profile": d.profile,
            "backstretch": d.is_backstretch,
        }
        for d in devices
    ]
