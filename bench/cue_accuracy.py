"""Cue onset accuracy: the one-minute-back routine at real speed on a hostile radio.

Each session is `backstretch session one-minute-back` as a user runs it, against a
simulator in its own process (`backstretch sim` over HCI on TCP, so the hub's event loop
cannot delay the simulated motor) restarted for every session, on either link model:

- jitter: every message 40 ms late plus 0-30 ms, each way;
- ble: BLE's link layer, 30 ms connection interval, 5 % of packets lost and sent again;

both with a device clock 80 ppm fast and a 3 s drop 25 s after the simulator starts.
Onset errors (motor start minus plan) come from the simulator's own trace on the host's
clock, joined with the hub's planned lines; each splits into clock sync and the motor.
Messages are the packets each connection carried, from the simulator's link lines, per
connected minute, with the pings among them (three packets each) from what the simulated
wearables received. Scheduled delivery runs once per ping policy; immediate delivery (each
cue written at its moment: the baseline) in the same run gives the ratio. Prints JSON.

    .venv/bin/python bench/cue_accuracy.py                          # 8 sessions per link model
    .venv/bin/python bench/cue_accuracy.py --devices 8 --modes scheduled --sessions 2
    .venv/bin/python bench/cue_accuracy.py --policies adaptive dense sparse --sessions 4
    .venv/bin/python bench/cue_accuracy.py --in-process             # hub and simulator share a loop
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.onset import messages_per_minute, onsets, read_lines, summarise
from bench.sim_process import backstretch, sim_process

ROUTINE = "one-minute-back"
CUES = 25
LINKS = {
    "jitter": ["--sim-latency", "40", "--sim-jitter", "30"],
    "ble": ["--sim-link", "ble", "--sim-interval", "30", "--sim-per", "5"],
}
FAULTS = ["--sim-clock-ppm", "80", "--sim-drop", "25:3"]
TARGET = {"p99_ms": 1.0, "max_ms": 3.0, "lost": 0, "ratio": 25.0, "device_p99_ms_8": 1.5}


def load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def session_command(mode: str, policy: str, trace: Path) -> list[str]:
    return [
        *backstretch(),
        "-v",  # connects, drops and pauses in the session's log
        "session",
        ROUTINE,
        "--delivery",
        mode,
        "--ping-policy",
        policy,
        "--trace",
        str(trace),
        "--json",
    ]


def run(command: list[str], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run one session; its log goes to `log` (kept with the traces under --keep)."""
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    log.write_text(done.stderr)
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise SystemExit(f"session failed ({done.returncode}): {done.stderr.strip()}")
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if summary.get("status") != "completed":
        # Say why at once: a session that did not complete is a finding, not noise.
        last = done.stderr.strip().splitlines()[-3:]
        print(f"# {summary.get('status')}: {' | '.join(last)}", file=sys.stderr)
    return summary


def one_session(
    link: str, mode: str, policy: str, args: argparse.Namespace, index: int, directory: Path
) -> dict[str, Any]:
    """One session; its onsets (as dicts), messages per minute and the hub's own summary."""
    env = {**os.environ, "XDG_STATE_HOME": str(directory), "XDG_CONFIG_HOME": str(directory)}
    hub_trace = directory / f"hub-{link}-{mode}-{policy}-{index}.jsonl"
    hub_log = hub_trace.with_suffix(".log")
    sim_options = [
        *LINKS[link],
        *FAULTS,
        "--sim-devices",
        str(args.devices),
        "--sim-seed",
        str(args.seed + index),
        "--sim-profile",
        args.profile,
    ]
    if args.in_process:
        summary = run(
            [*session_command(mode, policy, hub_trace), "--sim", *sim_options], env, hub_log
        )
        lines = read_lines(hub_trace)
        found = onsets(lines, lines)
        messages = None
    else:
        sim_trace = directory / f"sim-{link}-{mode}-{policy}-{index}.jsonl"
        with sim_process(sim_options, sim_trace, env) as sim:
            devices = [option for name in sim.names for option in ("--device", name)]
            command = [*session_command(mode, policy, hub_trace), "--adapter", sim.adapter]
            summary = run([*command, *devices], env, hub_log)
        simulated = read_lines(sim_trace)
        found = onsets(read_lines(hub_trace), simulated)
        messages = messages_per_minute(simulated)
    return {"onsets": found, "messages": messages, "summary": summary}


def run_mode(
    link: str, mode: str, policy: str, args: argparse.Namespace, directory: Path
) -> dict[str, Any]:
    sessions = []
    everything = []
    rates = []
    for index in range(args.sessions):
        result = one_session(link, mode, policy, args, index, directory)
        everything.extend(result["onsets"])
        if result["messages"] is not None:
            rates.append(result["messages"])
        alone = summarise(result["onsets"], CUES * args.devices)
        sessions.append(
            {
                "onset_error_ms": alone["onset_error_ms"],
                "lost": alone["lost"],
                "messages_per_min": result["messages"],
                "hub_summary": result["summary"],
            }
        )
        print(
            f"# {link} {mode} {policy} session {index + 1}: {alone['onset_error_ms']}",
            file=sys.stderr,
        )
    pooled = summarise(everything, CUES * args.devices * args.sessions)
    pooled["messages_per_min"] = mean_rates(rates) if rates else None
    pooled["sessions"] = sessions
    return pooled


def mean_rates(rates: list[dict[str, Any]]) -> dict[str, float | None]:
    """Each figure's mean over the sessions (None where a session could not count it)."""
    means: dict[str, float | None] = {}
    for key in rates[0]:
        values = [rate[key] for rate in rates]
        means[key] = None if None in values else round(sum(values) / len(values), 1)
    return means


def verdict(
    scheduled: dict[str, Any], immediate: dict[str, Any] | None, devices: int
) -> dict[str, Any]:
    onset = scheduled["onset_error_ms"]
    checks: dict[str, Any] = {
        "p99": onset["p99"] is not None and onset["p99"] <= TARGET["p99_ms"],
        "max": onset["max"] is not None and onset["max"] <= TARGET["max_ms"],
        "none_lost": scheduled["lost"] == TARGET["lost"],
    }
    if devices > 1:
        checks["every_device_p99"] = (scheduled["worst_device_p99_ms"] or 0) <= TARGET[
            "device_p99_ms_8"
        ]
    if immediate is not None and onset["p99"]:
        ratio = immediate["onset_error_ms"]["p99"] / onset["p99"]
        checks["ratio"] = round(ratio, 1)
        checks["ratio_met"] = ratio >= TARGET["ratio"]
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--links", nargs="+", default=list(LINKS), choices=list(LINKS))
    parser.add_argument("--sessions", type=int, default=8, help="sessions per mode (default 8)")
    parser.add_argument("--devices", type=int, default=1, help="simulated wearables (default 1)")
    parser.add_argument(
        "--modes", nargs="+", default=["scheduled", "immediate"], choices=["scheduled", "immediate"]
    )
    parser.add_argument(
        "--policies",
        nargs="+",
        default=["adaptive"],
        choices=["adaptive", "dense", "sparse"],
        help="ping policies for scheduled delivery (default adaptive)",
    )
    parser.add_argument("--seed", type=int, default=1, help="simulator seed of the first session")
    parser.add_argument(
        "--profile",
        default="native",
        choices=["native", "banglejs", "ias"],
        help="what the simulated wearables are (default native)",
    )
    parser.add_argument(
        "--in-process", action="store_true", help="simulator in the hub's process (--sim)"
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the traces in DIR")
    args = parser.parse_args()
    load_before = load()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as name:
        directory = args.keep or Path(name)
        directory.mkdir(parents=True, exist_ok=True)
        for link in args.links:
            per_link: dict[str, Any] = {}
            if "scheduled" in args.modes:
                per_link["scheduled"] = {
                    policy: run_mode(link, "scheduled", policy, args, directory)
                    for policy in args.policies
                }
            if "immediate" in args.modes:
                per_link["immediate"] = run_mode(link, "immediate", "adaptive", args, directory)
            if "scheduled" in per_link:
                first = per_link["scheduled"][args.policies[0]]
                per_link["target_check"] = verdict(first, per_link.get("immediate"), args.devices)
            results[link] = per_link
    print(
        json.dumps(
            {
                "benchmark": "cue_accuracy",
                "routine": ROUTINE,
                "simulator": "in process" if args.in_process else "own process (HCI over TCP)",
                "profile": args.profile,
                "devices": args.devices,
                "sessions": args.sessions,
                "links": {link: " ".join([*LINKS[link], *FAULTS]) for link in args.links},
                "target": TARGET,
                "machine": {
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                    "load_before": load_before,
                    "load_after": load(),
                },
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
