"""The daemon in-process: it keeps looking for wearables, and stops cleanly when asked."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from companion.config import HubConfig
from companion.daemon import Daemon, DaemonContext
from companion.history import HistoryStore
from routines import RoutineLibrary
from simulator import SimOptions


async def next_event(context: DaemonContext, event_type: str) -> None:
    subscription = context.hub.bus.subscribe()
    try:
        async with asyncio.timeout(10):
            while (await subscription.get()).event_type != event_type:
                pass
    finally:
        subscription.close()


async def test_with_no_wearable_in_reach_it_keeps_trying_and_still_stops_cleanly(
    tmp_path: Path, library: RoutineLibrary, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    config = HubConfig.model_validate({"hub_id": "test", "devices": ["BackStretch-NOPE"]})
    daemon = Daemon(
        config,
        library,
        sims=[SimOptions()],
        history_path=tmp_path / "history.sqlite3",
        scan_s=0.2,
        retry_first_s=0.01,
    )
    looked_twice = asyncio.Event()

    class Counter(logging.Handler):
        looks = 0

        def emit(self, record: logging.LogRecord) -> None:
            if "still looking for 'BackStretch-NOPE'" in record.getMessage():
                Counter.looks += 1
                if Counter.looks >= 2:
                    looked_twice.set()

    handler = Counter()
    logging.getLogger("companion").addHandler(handler)
    try:
        run = asyncio.create_task(daemon.run(handle_signals=False))
        context = await daemon.ready()
        await asyncio.wait_for(looked_twice.wait(), 10)
        assert context.hub.links == []
        daemon.request_stop()
        assert await asyncio.wait_for(run, 5) == 0
    finally:
        logging.getLogger("companion").removeHandler(handler)
    # What was seen instead is named: the simulated wearable, which is not the one asked for.
    assert "seen: BackStretch-SIM-" in caplog.text


async def test_extra_services_get_the_context_and_are_cancelled_at_shutdown(
    tmp_path: Path, library: RoutineLibrary
) -> None:
    seen: list[DaemonContext] = []
    cancelled = asyncio.Event()

    async def mirror(context: DaemonContext) -> None:
        seen.append(context)
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    config = HubConfig.model_validate({"hub_id": "test", "mqtt": {"url": "mqtt://localhost"}})
    daemon = Daemon(
        config,
        library,
        sims=[SimOptions()],
        services=[mirror],
        history_path=tmp_path / "history.sqlite3",
        start_now="one-minute-back",
    )
    run = asyncio.create_task(daemon.run(handle_signals=False))
    context = await daemon.ready()
    await next_event(context, "session_started")
    assert seen == [context]
    assert context.config.mqtt.url == "mqtt://localhost"
    daemon.request_stop()
    assert await asyncio.wait_for(run, 5) == 0
    assert cancelled.is_set()
    store = HistoryStore.open(tmp_path / "history.sqlite3")
    [record] = store.recent()
    store.close()
    assert (record.outcome, record.reason) == ("aborted", "the hub is shutting down")


async def test_an_unwritable_state_directory_leaves_the_hub_coaching(
    tmp_path: Path, library: RoutineLibrary, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("not a directory", encoding="utf-8")
    daemon = Daemon(
        HubConfig.model_validate({"hub_id": "test"}),
        library,
        sims=[SimOptions()],
        history_path=blocker / "backstretch" / "history.sqlite3",
        start_now="one-minute-back",
    )
    run = asyncio.create_task(daemon.run(handle_signals=False))
    context = await daemon.ready()
    await next_event(context, "session_started")
    assert not context.history.available
    daemon.request_stop()
    assert await asyncio.wait_for(run, 5) == 0
    assert "history is unavailable: cannot create the state directory" in caplog.text


async def test_a_service_that_crashes_is_logged_and_restarted(
    tmp_path: Path, library: RoutineLibrary, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    calls = 0
    running_again = asyncio.Event()

    async def flaky(_context: DaemonContext) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the mirror tripped over its own feet")
        running_again.set()
        await asyncio.Event().wait()

    daemon = Daemon(
        HubConfig.model_validate({"hub_id": "test"}),
        library,
        sims=[SimOptions()],
        services=[flaky],
        history_path=tmp_path / "history.sqlite3",
        restart_first_s=0.01,
    )
    run = asyncio.create_task(daemon.run(handle_signals=False))
    await asyncio.wait_for(running_again.wait(), 10)
    assert calls == 2
    daemon.request_stop()
    assert await asyncio.wait_for(run, 5) == 0
    assert daemon.failed is None
    assert "flaky failed: RuntimeError: the mirror tripped over its own feet" in caplog.text
    assert "restarting flaky" in caplog.text


async def test_a_service_that_keeps_crashing_ends_the_hub_with_status_1(
    tmp_path: Path, library: RoutineLibrary, caplog: pytest.LogCaptureFixture
) -> None:
    calls = 0

    async def broken(_context: DaemonContext) -> None:
        nonlocal calls
        calls += 1
        raise ValueError("bad data")

    daemon = Daemon(
        HubConfig.model_validate({"hub_id": "test"}),
        library,
        sims=[SimOptions()],
        services=[broken],
        history_path=tmp_path / "history.sqlite3",
        restart_first_s=0.01,
    )
    assert await asyncio.wait_for(daemon.run(handle_signals=False), 20) == 1
    assert daemon.failed == "broken"
    assert calls == 6  # the first run and five restarts
    assert "broken failed 6 times within 60 s; the hub stops" in caplog.text
    assert "Traceback" not in caplog.text
