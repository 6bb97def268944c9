"""A whole session seen from an MQTT subscriber, over a real mosquitto."""

from __future__ import annotations

import pytest

from companion.mqtt import Topics
from tests.mqtt.conftest import Broker, events_of, hub_rig, watching

pytestmark = pytest.mark.mqtt


async def test_a_fast_session_is_mirrored_from_discovery_to_completed(
    broker: Broker, hub_id: str
) -> None:
    async with watching(broker, "backstretch/#", "homeassistant/device/#") as watcher:
        async with hub_rig(broker, hub_id, speed=10.0) as rig:
            topics = Topics.of(rig.settings)
            await watcher.wait_for(lambda m: m.topic == topics.status and m.payload == b"online")
            config = await watcher.wait_for(lambda m: m.topic == topics.discovery)
            assert config.retain is False  # a live subscriber sees it as a live message
            assert "start" in config.json()["cmps"]
            idle = await watcher.wait_json(topics.state, session="idle")
            assert idle["sessions_today"] == 0
            (device,) = idle["devices"]
            assert device["name"] == "backstretch-sim"
            assert device["connected"] is True
            assert device["profile"] == "native"
            assert device["capabilities"]["timing"] == "device-timed"
            assert device["capabilities"]["reports_played"] is True

            mark = len(watcher.seen)
            await watcher.publish(
                topics.command("session"), '{"action": "start", "request_id": "go"}'
            )
            result = await watcher.wait_json(topics.result("session"), start=mark)
            assert result == {"request_id": "go", "status": "ok", "error": None}
            countdown = await watcher.wait_json(topics.state, start=mark, session="countdown")
            assert countdown["routine"] == "one-minute-back"
            assert countdown["ends_at"] is not None
            await watcher.wait_json(topics.state, 20.0, start=mark, session="completed")
            # The count follows the session's end event (a moment after its last cue).
            await watcher.wait_json(topics.state, 5.0, start=mark, sessions_today=1)

        states = [m.json() for m in watcher.on(topics.state)]
        sessions = [s["session"] for s in states]
        # Transitions in order, each published (none coalesced away).
        transitions = [s for i, s in enumerate(sessions) if i == 0 or s != sessions[i - 1]]
        assert transitions == ["idle", "countdown", "running", "completed"]
        running = [s for s in states if s["session"] == "running"]
        assert len({s["step"] for s in running}) >= 3
        assert {s["phase"] for s in running} >= {"inhale", "exhale"}
        events = events_of(watcher.on(topics.event))

        session_events = [e for e in events if e.startswith("session_")]
        assert session_events == ["session_started", "session_ended"]
        steps = [
            m.json()["step"]
            for m in watcher.on(topics.event)
            if m.json()["event_type"] == "step_changed"
        ]
        assert steps == ["knee-rolls", "sphinx", "belly-lift", "cat-cow"]
        assert events.index("session_started") < events.index("step_changed")
        assert events.index("breath_phase") < events.index("session_ended")
        assert "cue_executed" not in events
        ended = next(
            m.json() for m in watcher.on(topics.event) if m.json()["event_type"] == "session_ended"
        )
        assert ended["status"] == "completed"
        # The simulated wearable reports what it played: a count, not "not reported". (How
        # many were on time on a loaded machine is the benchmarks' business.)
        assert isinstance(ended["cues_executed"], int)
        assert 0 < ended["cues_executed"] <= ended["cues_planned"] == 25
        # A clean exit says goodbye: offline is the last word on status.
        assert watcher.on(topics.status)[-1].payload == b"offline"


async def test_a_transition_goes_out_at_once_while_other_changes_are_gathered(
    broker: Broker, hub_id: str
) -> None:
    """A change that is not a transition (the pace) waits for the next state message; a
    start arriving meanwhile must not wait with it (Home Assistant showed a Start pressed
    just after a Stop a quarter of a second late)."""
    async with (
        watching(broker, "backstretch/#") as watcher,
        hub_rig(broker, hub_id, state_interval_s=60.0) as rig,
    ):
        topics = Topics.of(rig.settings)
        await watcher.wait_json(topics.state, session="idle")
        await rig.mirror.wait_connected()
        mark = len(watcher.seen)
        await watcher.publish(topics.command("pace"), "7")
        await watcher.wait_json(topics.result("pace"), start=mark, status="ok")
        await watcher.publish(topics.command("session"), "start")
        # Well within the minute that the pace change waits for.
        countdown = await watcher.wait_json(topics.state, start=mark, session="countdown")
        assert countdown["pace_bpm"] == 7.0


async def test_a_screen_only_session_claims_no_cue_felt(broker: Broker, hub_id: str) -> None:
    async with watching(broker, "backstretch/#") as watcher:
        async with hub_rig(broker, hub_id, speed=20.0) as rig:
            topics = Topics.of(rig.settings)
            await watcher.wait_json(topics.state, session="idle")
            mark = len(watcher.seen)
            engine = rig.hub.start(speed=20.0, screen_only=True)
            await engine.wait()
            await watcher.wait_json(topics.state, 10.0, start=mark, session="completed")
        events = {m.json()["event_type"]: m.json() for m in watcher.on(topics.event)}
    assert events["session_started"]["screen_only"] is True
    ended = events["session_ended"]
    assert ended["status"] == "completed"
    # Nothing was felt, and the figures say "not reported" rather than "none".
    assert (ended["cues_planned"], ended["cues_executed"], ended["onset_error_ms"]) == (
        25,
        None,
        None,
    )
    # The wearable was there but not used: it played nothing.
    assert rig.wearables[0].trace == []
