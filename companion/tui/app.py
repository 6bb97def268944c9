"""The Textual app: a front end on the hub's API and event bus, nothing more.

The app is given a hub (already built, maybe already connected); the commands that run it
create the radio. Every call into the hub goes through `call_hub`, so a hub error becomes a
notification and never takes the UI down.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar, TypeVar

from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.screen import Screen

from companion.clocks import Clock
from companion.errors import HubError
from companion.events import (
    DeviceConnected,
    DeviceLost,
    HubEvent,
    SessionEnded,
    SessionPaused,
    SessionResumed,
    SessionStarted,
)
from companion.hub import Hub
from companion.redact import redact_url
from companion.session.engine import SessionState
from companion.session.outcome import DONE_OUTCOMES, outcome_words
from companion.tui.connector import Connector
from companion.tui.devices_screen import DevicesScreen
from companion.tui.dialogs import ConfirmStop, HelpScreen, SafetyNotice, ScreenOnlyOffer
from companion.tui.exercise_list import ExerciseChoice
from companion.tui.history_screen import HistoryScreen
from companion.tui.home import HomeScreen
from companion.tui.keys import APP_KEYS, HOME_KEYS, SESSION_KEYS
from companion.tui.notice import NoticeStore
from companion.tui.providers import HistoryView, MemoryHistory, NoSchedule, ScheduleView
from companion.tui.session_screen import SessionScreen
from firmware_protocol import ProtocolError
from routines import RoutineError

log = logging.getLogger(__name__)

T = TypeVar("T")

# Errors a person can act on: their message is the notification.
USER_ERRORS = (HubError, RoutineError, ProtocolError)
# The breath indicator's redraws per second: smooth to the eye at half-cell steps, and cheap
# enough for a Raspberry Pi Zero beside the hub (bench/tui_cpu.py).
DEFAULT_REFRESH_HZ = 12.0


class BackstretchApp(App[None]):
    """Pick a routine, run it, follow it; see the wearables and the history."""

    TITLE = "backstretch"
    SUB_TITLE = "breathe with your back"
    BINDINGS: ClassVar[list[BindingType]] = [key.binding() for key in APP_KEYS]

    def __init__(
        self,
        hub: Hub,
        *,
        connector: Connector | None = None,
        history: HistoryView | None = None,
        schedule: ScheduleView | None = None,
        notice: NoticeStore | None = None,
        speed: float = 1.0,
        clock: Clock | None = None,
        refresh_hz: float = DEFAULT_REFRESH_HZ,
        mqtt_url: str | None = None,
    ) -> None:
        super().__init__()
        self.hub = hub
        self.connector = connector
        if history is None:
            # No history store given: what happened in this run.
            history = MemoryHistory(hub.bus, hub.wall_clock)
            if hub.counts is None:
                hub.counts = history
        # A history that learns from the bus follows it while the app runs.
        self._own_history = history if isinstance(history, MemoryHistory) else None
        self.history: HistoryView = history
        self.schedule: ScheduleView = schedule or NoSchedule()
        self.notice = notice or NoticeStore()
        self.speed = speed
        self.clock: Clock = clock or hub.clock
        self.refresh_interval = 1.0 / refresh_hz
        # The MQTT mirror is started by whoever runs the app (the tui command), which sets
        # `mirroring` once it does.
        self.mqtt_url = mqtt_url
        self.mirroring = False
        # The exercises and rounds picked per routine (absent: all, at their own rounds).
        self.choices: dict[str, ExerciseChoice] = {}
        # Ring the terminal bell on each cue of a screen-only session.
        self.bell_on_cues = False
        self._subscription = hub.bus.subscribe()

    # -- life cycle ------------------------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(HomeScreen())
        self.run_worker(self._pump(), name="hub events", exit_on_error=False)
        if self._own_history is not None:
            self.run_worker(self._own_history.follow(), name="history", exit_on_error=False)
        if self.connector is not None:
            self.run_worker(self._connect(), name="connect", exit_on_error=False)
        if self.mqtt_url and not self.mirroring:
            self.notify(
                f"--mqtt {redact_url(self.mqtt_url)}: the MQTT mirror is not wired into the "
                "TUI yet",
                severity="warning",
            )
        if not self.notice.dismissed():
            routine = self.hub.library.get(self.hub.routine)
            self.push_screen(SafetyNotice(routine.title, routine.safety_notes), self._noticed)

    def _noticed(self, _result: None) -> None:
        self.notice.dismiss()

    def on_unmount(self) -> None:
        self._subscription.close()

    async def _connect(self) -> None:
        assert self.connector is not None
        self.notify("Looking for your wearable…", timeout=3)
        await self.call_hub_async(self.connector.connect)

    async def _pump(self) -> None:
        async for event in self._subscription:
            try:
                self._on_hub_event(event)
            except Exception:  # A display bug must not stop the events.
                log.exception("the TUI could not show %s", event.event_type)

    def _on_hub_event(self, event: HubEvent) -> None:
        if isinstance(event, DeviceLost):
            self.notify(
                f"{event.name or event.device_id} dropped ({event.reason}); reconnecting…",
                severity="warning",
            )
        elif isinstance(event, DeviceConnected):
            self.notify(f"{event.name or event.device_id} connected")
        elif isinstance(event, SessionPaused) and event.reason != "paused":
            self.notify(f"Session paused: {event.reason}", severity="warning")
        elif isinstance(event, SessionEnded) and event.status not in DONE_OUTCOMES:
            self.notify(f"Session {outcome_words(event.status, event.reason)}")
        if isinstance(event, SessionStarted | SessionPaused | SessionResumed | SessionEnded):
            self.refresh_bindings()
        for screen in self.screen_stack:
            if isinstance(screen, SessionScreen):
                screen.on_hub_event(event)

    # -- calling the hub -------------------------------------------------------------

    def call_hub(self, call: Callable[[], T]) -> T | None:
        """Run a hub call; a person's mistake or a device problem becomes a notification."""
        try:
            return call()
        except USER_ERRORS as exc:
            self.notify(str(exc), severity="error")
        except Exception as exc:  # A hub bug is logged, the UI stays up.
            log.exception("hub call failed")
            self.notify(f"unexpected error: {exc}", severity="error")
        return None

    async def call_hub_async(self, call: Callable[[], Awaitable[str]]) -> None:
        """Await a device call (connect, scan); its outcome is a notification."""
        try:
            result = await call()
        except USER_ERRORS as exc:
            self.notify(str(exc), severity="error", timeout=8)
        except OSError as exc:
            why = (exc.strerror or str(exc)).lower()
            self.notify(
                f"Bluetooth is not available ({why}); enter starts a session on the screen "
                "alone, or use --sim, or --adapter for a dongle",
                severity="error",
                timeout=8,
            )
        except Exception as exc:  # Any radio failure is shown, never raised into Textual.
            log.exception("device call failed")
            self.notify(f"device error: {exc}", severity="error", timeout=8)
        else:
            self.notify(result[:1].upper() + result[1:])

    @property
    def session_active(self) -> bool:
        engine = self.hub.engine
        return engine is not None and engine.active

    # -- actions ---------------------------------------------------------------------

    def chosen_exercises(self, routine_id: str) -> tuple[str, ...] | None:
        """The exercises picked for `routine_id`, in its order (None: every one)."""
        choice = self.choices.get(routine_id)
        if choice is None:
            return None
        routine = self.hub.library.get(routine_id)
        return tuple(e.id for e in routine.exercises if e.id in choice.included)

    def action_start(self) -> None:
        if self.session_active:
            self.notify("A session is already running: x stops it", severity="warning")
            return
        if not any(device.connected for device in self.hub.snapshot().devices):

            def answered(bell: bool | None) -> None:
                if bell is not None:
                    self.bell_on_cues = bell
                    self._start(screen_only=True)

            self.push_screen(ScreenOnlyOffer(self.bell_on_cues), answered)
            return
        self._start(screen_only=False)

    def _start(self, *, screen_only: bool) -> None:
        routine = self.hub.routine
        exercises = self.chosen_exercises(routine)
        if exercises == ():
            self.notify("Choose at least one exercise (space on the list)", severity="warning")
            return
        choice = self.choices.get(routine)
        engine = self.call_hub(
            lambda: self.hub.start(
                exercises=exercises,
                rounds=choice.rounds if choice else None,
                speed=self.speed,
                screen_only=screen_only,
            )
        )
        if engine is None:
            return
        self.refresh_bindings()
        while isinstance(self.screen, SessionScreen | DevicesScreen | HistoryScreen):
            self.pop_screen()
        self.push_screen(SessionScreen(engine))

    def action_pause_resume(self) -> None:
        engine = self.hub.engine
        if engine is None or not engine.active:
            return
        if engine.state is SessionState.PAUSED:
            self.call_hub(self.hub.resume)
        else:
            self.call_hub(self.hub.pause)
        self.refresh_bindings()

    def action_skip(self) -> None:
        if self.session_active:
            self.call_hub(self.hub.skip)

    def action_stop(self) -> None:
        if not self.session_active:
            return

        def answered(stop: bool | None) -> None:
            if stop and self.session_active:
                self.call_hub(lambda: self.hub.stop("stopped from the terminal"))

        self.push_screen(ConfirmStop(), answered)

    def _toggle(self, kind: type[Screen[None]]) -> None:
        if isinstance(self.screen, kind):
            self.pop_screen()
            return
        while isinstance(self.screen, DevicesScreen | HistoryScreen):
            self.pop_screen()
        self.push_screen(kind())

    def action_devices(self) -> None:
        self._toggle(DevicesScreen)

    def action_history(self) -> None:
        self._toggle(HistoryScreen)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Quit; during a session, only once the person said so (the session is stopped)."""
        if not self.session_active:
            self.exit()
            return

        def answered(stop: bool | None) -> None:
            if not stop:
                return
            if self.session_active:
                self.call_hub(lambda: self.hub.stop("the terminal UI was closed"))
            self.exit()

        if not isinstance(self.screen, ConfirmStop):
            self.push_screen(ConfirmStop(quitting=True), answered)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = [(key, key.action) for key in APP_KEYS if key.action != "quit"]
        commands.append((HOME_KEYS[0], "start"))
        if self.session_active:
            actions = {
                "pause": "pause_resume",
                "skip": "skip",
                "stop": "stop",
                "bell": "toggle_bell",
            }
            commands += [(key, actions[key.action]) for key in SESSION_KEYS]
        for key, action in commands:
            title = "Pause or resume" if action == "pause_resume" else key.label
            yield SystemCommand(
                title, f"{key.help} ({key.shown})", functools.partial(self.run_action, action)
            )

    def action_toggle_bell(self) -> None:
        """Ring the terminal bell on each cue (or stop ringing it)."""
        self.bell_on_cues = not self.bell_on_cues
        self.notify(f"Bell on each cue: {'on' if self.bell_on_cues else 'off'}")
