"""History and schedule: recent sessions, today's count and streak, upcoming reminders."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, Static, Switch

from companion.plurals import count_of
from companion.tui.footer import KeyFooter
from companion.tui.providers import SessionRecord
from routines import format_clock

if TYPE_CHECKING:
    from companion.tui.app import BackstretchApp


class HistoryScreen(Screen[None]):
    DEFAULT_CSS = """
    HistoryScreen #counts { margin: 1 1 0 1; text-style: bold; }
    HistoryScreen .heading { margin: 1 1 0 1; text-style: bold; color: $text-primary; }
    HistoryScreen #recent { height: auto; max-height: 12; margin: 0 1; }
    HistoryScreen #schedule-row { height: 3; margin: 0 1; }
    HistoryScreen #schedule-row Label { padding: 1 1 0 0; }
    HistoryScreen #upcoming { margin: 0 1; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]

    @property
    def bs_app(self) -> BackstretchApp:
        return cast("BackstretchApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="counts")
        yield Label("Recent sessions", classes="heading")
        yield DataTable(id="recent", cursor_type="row")
        yield Label("Reminders", classes="heading")
        with Horizontal(id="schedule-row"):
            yield Label("Schedule on")
            yield Switch(value=self.bs_app.hub.schedule_enabled, id="schedule")
        yield Static(id="upcoming")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "History"
        table = self.query_one("#recent", DataTable)
        for column in ("When", "Routine", "Result", "Duration", "Cues felt"):
            table.add_column(column, key=column)
        self.show_history()
        self.set_interval(2.0, self.show_history)

    def show_history(self) -> None:
        app = self.bs_app
        today, streak = app.history.sessions_today(), app.history.streak_days()
        self.query_one("#counts", Static).update(
            f"Today: {count_of(today, 'session')} · streak: {count_of(streak, 'day')}"
        )
        table = self.query_one("#recent", DataTable)
        table.clear()
        records = app.history.recent(20)
        for record in records:
            table.add_row(
                record.ended.astimezone().strftime("%a %d %b %H:%M"),
                self._title(record.routine),
                record.status,
                format_clock(record.duration_s),
                _cues_felt(record),
            )
        if not records:
            table.add_row("—", "no session yet", "", "", "")
        upcoming = app.schedule.upcoming(5)
        lines = [
            f"{reminder.at.astimezone():%a %d %b %H:%M}  {self._title(reminder.routine)}"
            + (f"  {reminder.label}" if reminder.label else "")
            for reminder in upcoming
        ]
        if not app.hub.schedule_enabled:
            lines.insert(0, "The schedule is off: no reminder will play.")
        elif not upcoming:
            lines.append("No reminder is scheduled.")
        self.query_one("#upcoming", Static).update("\n".join(lines))
        switch = self.query_one("#schedule", Switch)
        if switch.value != app.hub.schedule_enabled:
            with self.prevent(Switch.Changed):
                switch.value = app.hub.schedule_enabled

    def _title(self, routine_id: str) -> str:
        """A routine's title; its id when the library no longer has it."""
        routine = self.bs_app.hub.library.routines.get(routine_id)
        return routine.title if routine is not None else routine_id

    def on_switch_changed(self, event: Switch.Changed) -> None:
        hub = self.bs_app.hub
        self.bs_app.call_hub(lambda: hub.set_schedule_enabled(event.value))
        self.show_history()

    def action_back(self) -> None:
        self.dismiss(None)


def _cues_felt(record: SessionRecord) -> str:
    if record.screen_only:
        return "screen only"
    if record.cues_executed is None:
        return f"not reported ({record.timing})" if record.timing else "not reported"
    return f"{record.cues_executed} of {record.cues_planned}"
