"""Home: the routine library, the chosen routine's exercises and timing, and the pace."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from companion.tui.presenter import device_line, exercise_timing, routine_row
from routines import MAX_PACE_BPM, MIN_PACE_BPM, CuePlan, RoutineError, format_clock

if TYPE_CHECKING:
    from companion.tui.app import BackstretchApp

PACE_STEP = 1.0


class HomeScreen(Screen[None]):
    DEFAULT_CSS = """
    HomeScreen #home { height: 1fr; }
    HomeScreen #library { width: 46%; max-width: 50; border: round $primary; }
    HomeScreen #library DataTable { height: 1fr; }
    HomeScreen #detail { width: 1fr; border: round $secondary; padding: 0 1; }
    HomeScreen #about { margin-bottom: 1; }
    HomeScreen .heading { text-style: bold; color: $text-primary; }
    HomeScreen #exercises { height: auto; max-height: 8; border: none; padding: 0; }
    HomeScreen #exercise-info { margin: 1 0; }
    HomeScreen #pace { margin-bottom: 1; }
    HomeScreen #safety { color: $text-muted; }
    HomeScreen #status { height: 1; padding: 0 1; background: $panel; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority, so enter starts even when a list has the focus.
        Binding("enter", "app.start", "Start", priority=True),
        Binding("minus", "pace(-1)", "Slower", key_display="-"),
        Binding("plus,equals_sign", "pace(1)", "Faster", key_display="+"),
        Binding("0", "pace(0)", "Own pace", show=False),
    ]

    @property
    def bs_app(self) -> BackstretchApp:
        return cast("BackstretchApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="home"):
            with Vertical(id="library") as library:
                library.border_title = "Routines"
                yield DataTable(id="routines", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="detail") as detail:
                detail.border_title = "Routine"
                detail.can_focus = False  # tab goes from the routines to the exercises
                yield Static(id="about")
                yield Label("Exercises (space: include or skip)", classes="heading")
                yield SelectionList[str](id="exercises")
                yield Static(id="exercise-info")
                yield Static(id="pace")
                yield Static(id="safety")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#routines", DataTable)
        table.add_column("Routine", key="title")
        table.add_column("Length", key="length")
        table.add_column("Exercises", key="count")
        self._fill_routines()
        table.focus()
        self._show_routine()
        self.show_status()
        self.set_interval(1.0, self.show_status)

    # -- the library -----------------------------------------------------------------

    def _fill_routines(self) -> None:
        hub = self.bs_app.hub
        table = self.query_one("#routines", DataTable)
        table.clear()
        for routine in hub.library.routines.values():
            duration = self._plan_or_none(routine.id, None)
            row = routine_row(routine, duration.duration_s if duration else 0.0)
            table.add_row(row.title, row.length, str(row.exercises), key=row.id)
        ids = list(hub.library.routines)
        if hub.routine in ids:
            table.move_cursor(row=ids.index(hub.routine))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        routine_id = event.row_key.value
        hub = self.bs_app.hub
        if routine_id is None or routine_id == hub.routine:
            return
        self.bs_app.call_hub(lambda: hub.select_routine(routine_id))
        self._show_routine()

    def _plan_or_none(self, routine_id: str, exercises: tuple[str, ...] | None) -> CuePlan | None:
        hub = self.bs_app.hub
        try:
            return hub.plan(routine_id, exercises=exercises, pace_bpm=hub.pace_bpm)
        except RoutineError:
            return None

    # -- the chosen routine ----------------------------------------------------------

    def _show_routine(self) -> None:
        app = self.bs_app
        routine = app.hub.library.get(app.hub.routine)
        chosen = app.chosen.get(routine.id)
        full = self._plan_or_none(routine.id, None)
        timing = exercise_timing(full) if full else {}
        self.query_one("#detail").border_title = routine.title
        self.query_one("#about", Static).update(" ".join(routine.summary.split()))
        exercises = self.query_one("#exercises", SelectionList)
        with self.prevent(SelectionList.SelectedChanged):
            exercises.clear_options()
            exercises.add_options(
                Selection(
                    f"{exercise.title}  [dim]{timing.get(exercise.id, '')}[/]",
                    exercise.id,
                    chosen is None or exercise.id in chosen,
                )
                for exercise in routine.exercises
            )
        exercises.highlighted = 0
        self._show_exercise(routine.exercises[0].id)
        self._show_pace()
        notes = "\n".join(f"• {note}" for note in routine.safety_notes)
        self.query_one("#safety", Static).update(f"[b]Safety[/b]\n{notes}")

    def on_selection_list_selection_highlighted(
        self, event: SelectionList.SelectionHighlighted[str]
    ) -> None:
        self._show_exercise(event.selection.value)

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        app = self.bs_app
        routine = app.hub.library.get(app.hub.routine)
        picked = set(event.selection_list.selected)
        in_order = tuple(e.id for e in routine.exercises if e.id in picked)
        if len(in_order) == len(routine.exercises):
            app.chosen.pop(routine.id, None)
        else:
            app.chosen[routine.id] = in_order
        self._show_pace()

    def _show_exercise(self, exercise_id: str) -> None:
        routine = self.bs_app.hub.library.get(self.bs_app.hub.routine)
        exercise = next(e for e in routine.exercises if e.id == exercise_id)
        phases = ", then ".join(
            f"{p.direction.value} ({p.movement.replace('{side}', 'side')})" for p in exercise.phases
        )
        note = f"\n[i]{exercise.note}[/i]" if exercise.note else ""
        self.query_one("#exercise-info", Static).update(
            f"[b]{exercise.title}[/b]: {exercise.setup}.\n"
            f"{' '.join(exercise.instructions.split())}\n[dim]Breathing: {phases}[/]{note}"
        )

    def _show_pace(self) -> None:
        app = self.bs_app
        routine = app.hub.library.get(app.hub.routine)
        chosen = app.chosen.get(routine.id)
        pace = app.hub.pace_bpm
        whose = "the routine's own" if pace is None else f"routine's own is {routine.pace_bpm:g}"
        plan = self._plan_or_none(routine.id, chosen)
        if plan is None:
            length = "choose at least one exercise"
        else:
            count = len(plan.steps)
            length = (
                f"{count} of {len(routine.exercises)} exercises, "
                f"{format_clock(plan.duration_s)} with the 3-2-1 countdown"
            )
        self.query_one("#pace", Static).update(
            f"[b]Pace[/b] {pace or routine.pace_bpm:g} breaths per minute ({whose}; - / +)\n"
            f"[b]Session[/b] {length}"
        )

    def action_pace(self, step: int) -> None:
        app = self.bs_app
        hub = app.hub
        if step == 0:
            pace: float | None = None
        else:
            current = hub.pace_bpm or hub.library.get(hub.routine).pace_bpm
            pace = min(MAX_PACE_BPM, max(MIN_PACE_BPM, current + step * PACE_STEP))
        app.call_hub(lambda: hub.set_pace(pace))
        self._fill_lengths()
        self._show_routine()

    def _fill_lengths(self) -> None:
        table = self.query_one("#routines", DataTable)
        for routine_id in self.bs_app.hub.library.routines:
            plan = self._plan_or_none(routine_id, None)
            if plan is not None:
                table.update_cell(routine_id, "length", format_clock(plan.duration_s))

    # -- status ----------------------------------------------------------------------

    def show_status(self) -> None:
        app = self.bs_app
        snapshot = app.hub.snapshot()
        days = f"{snapshot.streak_days} day{'s' if snapshot.streak_days != 1 else ''}"
        self.query_one("#status", Static).update(
            f"{device_line(snapshot)}   │   today {snapshot.sessions_today} · streak {days}"
        )
