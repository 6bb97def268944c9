"""Cue onset accuracy: the whole one-minute-back routine, at real speed, on the simulator.

Runs `backstretch session one-minute-back --sim` as a user would, with a hostile radio
(40 ms latency, 0-30 ms jitter each way, a device clock 80 ppm fast, a 3 s drop at 25 s),
once per delivery mode, then recomputes every figure from the trace it wrote: onset error
(motor start minus planned moment) p50, p99, max and lost cues, per device. For the
simulator the error splits in two: `sync` (the device's own deadline, in the host clock,
minus the plan: clock-sync error) and `motor` (motor start minus that deadline: the
device's timer). Prints one JSON object.

    .venv/bin/python bench/cue_accuracy.py                 # 1 device: scheduled, immediate
    .venv/bin/python bench/cue_accuracy.py --devices 8 --modes scheduled
    .venv/bin/python bench/cue_accuracy.py --profile banglejs   # the simulated Bangle.js
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

from companion.session.figures import onset_errors_ms, percentile
from companion.session.trace import read_trace

FAULTS = [
    "--sim-latency",
    "40",
    "--sim-jitter",
    "30",
    "--sim-clock-ppm",
    "80",
    "--sim-drop",
    "25:3",
]
TARGET = {"p99_ms": 5.0, "max_ms": 15.0, "lost": 0}


def run_session(mode: str, devices: int, trace: Path, seed: int, profile: str) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "companion",
        "session",
        "one-minute-back",
        "--sim",
        "--sim-devices",
        str(devices),
        "--sim-seed",
        str(seed),
        "--sim-profile",
        profile,
        *FAULTS,
        "--delivery",
        mode,
        "--trace",
        str(trace),
        "--json",
    ]
    env = {**os.environ, "XDG_STATE_HOME": str(trace.parent), "XDG_CONFIG_HOME": str(trace.parent)}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise SystemExit(f"session failed ({done.returncode}): {done.stderr.strip()}")
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def figures(values: list[float]) -> dict[str, float]:
    magnitudes = [abs(v) for v in values]
    return {
        "p50": round(percentile(magnitudes, 50), 3),
        "p99": round(percentile(magnitudes, 99), 3),
        "max": round(max(magnitudes, default=0.0), 3),
    }


def analyse(trace: Path) -> dict[str, Any]:
    planned, executed = read_trace(trace)
    plan = {cue.cue_id: cue.t for cue in planned}
    errors = onset_errors_ms(planned, executed)
    per_device: dict[str, Any] = {}
    for device, per_cue in sorted(errors.items()):
        runs = [e for e in executed if e.device == device and e.cue_id in per_cue]
        sync = [(e.meant - plan[e.cue_id]) * 1000 for e in runs if e.meant is not None]
        motor = [(e.t - e.meant) * 1000 for e in runs if e.meant is not None]
        per_device[device] = {
            "onset_error_ms": figures(list(per_cue.values())),
            "lost": len(planned) - len(per_cue),
            "sync_error_ms": figures(sync),
            "motor_lateness_ms": figures(motor),
        }
    all_errors = [e for per_cue in errors.values() for e in per_cue.values()]
    worst_p99 = max((d["onset_error_ms"]["p99"] for d in per_device.values()), default=0.0)
    return {
        "cues_planned": len(planned),
        "onset_error_ms": figures(all_errors),
        "worst_device_p99_ms": worst_p99,
        "lost": sum(d["lost"] for d in per_device.values()),
        "devices": per_device,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1, help="simulated wearables (default 1)")
    parser.add_argument(
        "--modes", nargs="+", default=["scheduled", "immediate"], choices=["scheduled", "immediate"]
    )
    parser.add_argument("--seed", type=int, default=1, help="simulator seed (default 1)")
    parser.add_argument(
        "--profile",
        default="native",
        choices=["native", "banglejs", "ias"],
        help="what the simulated wearables are (default native)",
    )
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as directory:
        for mode in args.modes:
            trace = Path(directory) / f"{mode}.jsonl"
            summary = run_session(mode, args.devices, trace, args.seed, args.profile)
            result = analyse(trace)
            result["summary"] = summary
            if mode == "scheduled":
                result["meets_target"] = (
                    result["worst_device_p99_ms"] <= TARGET["p99_ms"]
                    and result["onset_error_ms"]["max"] <= TARGET["max_ms"]
                    and result["lost"] == TARGET["lost"]
                )
            results[mode] = result
    print(
        json.dumps(
            {
                "benchmark": "cue_accuracy",
                "routine": "one-minute-back",
                "devices": args.devices,
                "profile": args.profile,
                "faults": " ".join(FAULTS),
                "target_scheduled": TARGET,
                "machine": {
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                },
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
