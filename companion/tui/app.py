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
from textual.binding import Binding, BindingType
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
from companion.session.outcome import DONE_OUTCOMES
from companion.tui.connector import Connector
from companion.tui.devices_screen import DevicesScreen
from companion.tui.dialogs import ConfirmStop, HelpScreen, SafetyNotice
from companion.tui.history_screen import HistoryScreen
from companion.tui.home import HomeScreen
from companion.tui.keys import KEYS
from companion.tui.notice import NoticeStore
from companion.tui.providers import HistoryView, MemoryHistory, NoSchedule, ScheduleView
from companion.tui.session_screen import SessionScreen
from firmware_protocol import ProtocolError
from routines import RoutineError

log = logging.getLogger(__name__)

T = TypeVar("T")

# Errors a person can act on: their message is the notification.
USER_ERRORS = (HubError, RoutineError, ProtocolError)
SESSION_ACTIONS = frozenset({"pause_resume", "skip", "stop"})


class BackstretchApp(App[None]):
    """Pick a routine, run it, follow it; see the wearables and the history."""

    TITLE = "backstretch"
    SUB_TITLE = "breathe with your back"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key.keys, key.action, key.label, show=key.action != "help")
        for key in KEYS
        if key.action != "start"  # the screens bind enter, ahead of their lists
    ]

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
        refresh_hz: float = 20.0,
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
        # The exercises picked per routine (absent: all of them).
        self.chosen: dict[str, tuple[str, ...]] = {}
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
            self.notify(f"Session stopped: {event.reason}")
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
            self.notify(
                f"Bluetooth is not available ({exc}); try --sim, or --adapter for a dongle",
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

    def check_action(
        self,
        action: str,
        parameters: tuple[object, ...],  # noqa: ARG002 - Textual's signature
    ) -> bool | None:
        if action in SESSION_ACTIONS:
            # Shown dimmed while there is no session: the keys stay discoverable.
            return True if self.session_active else None
        return True

    def action_start(self) -> None:
        if self.session_active:
            self.notify("A session is already running: x stops it", severity="warning")
            return
        routine = self.hub.routine
        exercises = self.chosen.get(routine)
        engine = self.call_hub(lambda: self.hub.start(exercises=exercises, speed=self.speed))
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
        if self.session_active:
            self.call_hub(lambda: self.hub.stop("the terminal UI was closed"))
        self.exit()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key in KEYS:
            if key.action == "quit":
                continue  # Textual's own "Quit" is already in the palette.
            yield SystemCommand(
                key.label if key.action != "pause_resume" else "Pause or resume",
                f"{key.help} ({key.shown})",
                functools.partial(self.run_action, key.action),
            )
