"""Home Assistant latency: `backstretch run` starting to every entity available there, and
a Start press there to the countdown state there.

Runs the real Home Assistant of `make test-ha` (its Debian root is built on first use, which
needs root and takes minutes), a mosquitto on a free loopback port and `backstretch run
--sim` processes. Times are taken on this side from Home Assistant's own WebSocket stream
of state changes:

- startup: from launching `backstretch run` (a hub id Home Assistant has not seen, so its
  discovery creates the device) to the last of its enabled entities being available; and
  the same for a hub Home Assistant already knows (stopped, then started again);
- press: from the REST call that presses Start to the Session sensor showing `countdown`
  (the hub's answer on `session/result` and its `countdown` state on MQTT timed too, to
  show where the time goes), then Stop, N times.

Prints one JSON object.

    .venv/bin/python bench/ha_latency.py [--startups 3] [--presses 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.ha.hass import HaSocket, HomeAssistant, StateLog, eventually
from tests.ha.hub import DISABLED_BY_DEFAULT, HubProcess, entity_ids
from tests.ha.root import RootSpec, RootUnavailableError, ensure_root
from tests.mqtt.conftest import Broker, mosquitto_binary, watching


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(values: list[float], unit: str, digits: int) -> dict[str, Any]:
    return {
        "n": len(values),
        f"p50_{unit}": round(percentile(values, 0.5), digits),
        f"max_{unit}": round(max(values), digits),
        f"min_{unit}": round(min(values), digits),
    }


async def startup(socket: HaSocket, hub: HubProcess) -> float:
    """Seconds from launching the hub to every enabled entity available in Home Assistant."""
    states = await socket.follow_states()
    wanted = {e for key, e in entity_ids(hub.hub_id).items() if key not in DISABLED_BY_DEFAULT}
    hub.start()
    available: dict[str, float] = {}
    start = 0
    while set(available) != wanted:
        change = await states.wait_for(lambda c: c.entity_id in wanted, 60.0, start)
        start = states.changes.index(change) + 1
        if change.state not in (None, "unavailable"):
            available.setdefault(change.entity_id, change.at)
        else:
            available.pop(change.entity_id, None)
    # Entities restored as available from an earlier run do not count until they change.
    return max(available.values()) - hub.started_at


async def presses(
    home: HomeAssistant, states: StateLog, broker: Broker, hub_id: str, count: int
) -> tuple[list[float], list[float], list[float]]:
    """Press Start, time the countdown in Home Assistant (and the hub's answer), Stop."""
    ids = entity_ids(hub_id)
    to_countdown: list[float] = []
    to_answer: list[float] = []
    to_published: list[float] = []
    result = f"backstretch/{hub_id}/session/result"

    async def wearable_connected() -> bool:
        return (await home.state(ids["wearable"]) or {}).get("state") == "on"

    # A session needs the wearable, which connects after the hub is on MQTT.
    await eventually(wearable_connected, 30.0, "the wearable connected")
    state = f"backstretch/{hub_id}/state"
    async with watching(broker, result, state) as mqtt:
        for _ in range(count):
            mark, seen = len(states.changes), len(mqtt.seen)
            pressed = time.monotonic()
            await home.call_service("button", "press", entity_id=ids["start"])
            answer = await mqtt.wait_for(lambda m: m.topic == result, 15.0, seen)
            published = await mqtt.wait_for(
                lambda m: m.topic == state and m.json()["session"] == "countdown", 15.0, seen
            )
            countdown = await states.wait_state(ids["session"], "countdown", 15.0, mark)
            if answer.json()["status"] != "ok":
                raise RuntimeError(f"the hub refused Start: {answer.json()}")
            to_countdown.append(countdown.at - pressed)
            to_answer.append(answer.received - pressed)
            to_published.append(published.received - pressed)
            mark = len(states.changes)
            await home.call_service("button", "press", entity_id=ids["stop"])
            await states.wait_state(ids["session"], "stopped", 15.0, mark)
    return to_countdown, to_answer, to_published


async def measure(
    home: HomeAssistant, broker: Broker, directory: Path, args: argparse.Namespace
) -> dict[str, Any]:
    hubs: list[HubProcess] = []
    try:
        fresh: list[float] = []
        known: list[float] = []
        async with home.socket() as socket:
            for _ in range(args.startups):
                hub_id = f"bench{uuid.uuid4().hex[:6]}"
                hubs.append(HubProcess(broker.url, hub_id, directory / hub_id))
                fresh.append(await startup(socket, hubs[-1]))
                assert await hubs[-1].terminate() == 0
                hubs.append(HubProcess(broker.url, hub_id, directory / f"{hub_id}-again"))
                known.append(await startup(socket, hubs[-1]))
            states = await socket.follow_states()
            to_countdown, to_answer, to_published = await presses(
                home, states, broker, hubs[-1].hub_id, args.presses
            )
    finally:
        for hub in hubs:
            hub.close()
    return {
        "run_to_all_entities_available_s": {
            "new_hub": summary(fresh, "s", 2),
            "known_hub": summary(known, "s", 2),
        },
        "start_press_to_countdown_ms": summary([t * 1000 for t in to_countdown], "ms", 1),
        "start_press_to_hub_answer_ms": summary([t * 1000 for t in to_answer], "ms", 1),
        "start_press_to_countdown_on_mqtt_ms": summary([t * 1000 for t in to_published], "ms", 1),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    spec = RootSpec.from_environment()
    try:
        root = ensure_root(spec, progress=lambda message: print(message, file=sys.stderr))
    except RootUnavailableError as exc:
        # `make bench` goes on with the others on a machine that cannot run it.
        return {"benchmark": "home_assistant_latency", "skipped": str(exc)}
    with tempfile.TemporaryDirectory(prefix="ha-latency-") as temporary:
        directory = Path(temporary)
        (directory / "broker").mkdir()
        broker = Broker(mosquitto_binary(), directory / "broker")
        broker.start()
        home = HomeAssistant(root, directory / "home-assistant", broker.port)
        try:
            started = await home.start()
            figures = await measure(home, broker, directory, args)
        finally:
            try:
                await home.stop()
            finally:
                home.kill()
                broker.stop()
    return {
        "benchmark": "home_assistant_latency",
        "home_assistant": spec.ha_version,
        "debian": spec.suite,
        "home_assistant_start_s": round(started, 1),
        **figures,
        "machine": {
            "python": platform.python_version(),
            "system": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--startups", type=int, default=3, help="hub startups of each kind")
    parser.add_argument("--presses", type=int, default=20, help="Start presses")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
