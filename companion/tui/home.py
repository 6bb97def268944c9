"""Home: the routine library, the chosen routine's exercises and rounds, and the pace.

Focus starts on the exercise list (a routine is already chosen; what to include is the next
question), and the footer says where tab goes. In a small terminal the two panels stack and
the extras (header, routine notes) give way, so the list stays above the fold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, Static

from companion.plurals import count_of
from companion.tui.exercise_list import ExerciseChoice, ExerciseList
from companion.tui.footer import KeyFooter
from companion.tui.keys import HOME_KEYS
from companion.tui.presenter import device_line, exercise_timing, pace_words, routine_row
from routines import MAX_PACE_BPM, MIN_PACE_BPM, CuePlan, RoutineError, format_clock

if TYPE_CHECKING:
    from companion.tui.app import BackstretchApp

PACE_STEP = 1.0


class HomeScreen(Screen[None]):
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012 - Textual types it as an instance attribute
        (0, "-narrow"),
        (100, "-wide"),
    ]
    VERTICAL_BREAKPOINTS = [  # noqa: RUF012 - Textual types it as an instance attribute
        (0, "-short"),
        (20, "-tall"),
    ]
    DEFAULT_CSS = """
    HomeScreen #home { height: 1fr; layout: horizontal; }
    HomeScreen #library { width: 42; height: 1fr; border: round $primary; }
    HomeScreen #library:focus-within { border: round $accent; }
    HomeScreen #library DataTable { height: auto; max-height: 100%; }
    HomeScreen #detail { width: 1fr; border: round $secondary; padding: 0 1; }
    HomeScreen #detail:focus-within { border: round $accent; }
    HomeScreen .heading { text-style: bold; color: $text-primary; }
    HomeScreen .hint { color: $text-muted; }
    HomeScreen #exercises { border: none; padding: 0; margin-bottom: 1; }
    HomeScreen #pace { margin-bottom: 1; }
    HomeScreen #exercise-info { margin-bottom: 1; }
    HomeScreen #about { margin-bottom: 1; color: $text-muted; }
    HomeScreen #safety { color: $text-muted; }
    HomeScreen #status { height: 1; padding: 0 1; background: $panel; }

    /* Narrow: the panels stack, without borders (the table's header names the routines). */
    HomeScreen.-narrow #home { layout: vertical; }
    HomeScreen.-narrow #library {
        width: 1fr; max-width: 100%; height: auto; border: none; padding: 0 1;
    }
    HomeScreen.-narrow #detail { border: none; height: 1fr; }
    HomeScreen.-short Header { display: none; }
    HomeScreen.-short #exercises { margin-bottom: 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority, so enter starts even when a list has the focus.
        HOME_KEYS[0].binding(priority=True),
        Binding("tab", "focus_exercises", "Exercises"),
        Binding("tab", "focus_routines", "Routines"),
        HOME_KEYS[1].binding(),
        Binding("plus,equals_sign", "pace(1)", "Faster", show=False),
        Binding("0", "pace(0)", HOME_KEYS[2].label, show=False),
        Binding("g", "pace_for_all", HOME_KEYS[3].label, show=False),
    ]

    @property
    def bs_app(self) -> BackstretchApp:
        return cast("BackstretchApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with Container(id="home"):
            with Vertical(id="library") as library:
                library.border_title = "Routines"
                yield DataTable(id="routines", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="detail") as detail:
                detail.border_title = "Routine"
                detail.can_focus = False  # tab goes from the routines to the exercises
                yield Label(id="exercises-heading", classes="heading")
                yield ExerciseList(id="exercises")
                yield Static(id="pace")
                yield Static(id="exercise-info")
                yield Static(id="about")
                yield Static(id="safety")
        yield Static(id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#routines", DataTable)
        table.add_column("Routine", key="title")
        table.add_column("Length", key="length")
        self._fill_routines()
        self._show_routine()
        self.query_one("#exercises", ExerciseList).focus()
        self.show_status()
        self.set_interval(1.0, self.show_status)

    # -- focus -----------------------------------------------------------------------

    def check_action(
        self,
        action: str,
        parameters: tuple[object, ...],  # noqa: ARG002 - Textual's signature
    ) -> bool | None:
        # tab names where it goes: one of the two bindings is shown, the other absent.
        on_routines = self.focused is self.query_one("#routines", DataTable)
        if action == "focus_exercises":
            return on_routines
        if action == "focus_routines":
            return not on_routines
        return True

    def action_focus_exercises(self) -> None:
        self.query_one("#exercises", ExerciseList).focus()

    def action_focus_routines(self) -> None:
        self.query_one("#routines", DataTable).focus()

    # -- the library -----------------------------------------------------------------

    def _fill_routines(self) -> None:
        hub = self.bs_app.hub
        table = self.query_one("#routines", DataTable)
        table.clear()
        for routine in hub.library.routines.values():
            plan = self._plan_or_none(routine.id, full=True)
            row = routine_row(routine, plan.duration_s if plan else 0.0)
            table.add_row(row.title, row.length, key=row.id)
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

    def _plan_or_none(self, routine_id: str, *, full: bool = False) -> CuePlan | None:
        """The plan a start would run (`full`: with every exercise, at the chosen rounds)."""
        app = self.bs_app
        choice = app.choices.get(routine_id)
        exercises = None if full or choice is None else app.chosen_exercises(routine_id)
        if exercises == ():
            return None  # every exercise skipped: nothing to run
        try:
            return app.hub.plan(
                routine_id,
                exercises=exercises,
                pace_bpm=app.hub.pace_for(routine_id)[0],
                rounds=choice.rounds if choice else None,
            )
        except RoutineError:
            return None

    # -- the chosen routine ----------------------------------------------------------

    def _show_routine(self) -> None:
        app = self.bs_app
        routine = app.hub.library.get(app.hub.routine)
        full = self._plan_or_none(routine.id, full=True)
        self.query_one("#detail").border_title = routine.title
        self.query_one("#exercises-heading", Label).update(
            "Exercises [dim]· space: include or skip[/]"
        )
        exercises = self.query_one("#exercises", ExerciseList)
        exercises.show_routine(
            routine, app.choices.get(routine.id), exercise_timing(full) if full else {}
        )
        self._show_exercise(routine.exercises[0].id)
        self._show_pace()
        self.query_one("#about", Static).update(" ".join(routine.summary.split()))
        notes = "\n".join(f"• {note}" for note in routine.safety_notes)
        self.query_one("#safety", Static).update(f"[b]Safety[/b]\n{notes}")

    def on_option_list_option_highlighted(self, event: ExerciseList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self._show_exercise(event.option.id)

    def on_exercise_list_changed(self, event: ExerciseList.Changed) -> None:
        app = self.bs_app
        routine = app.hub.library.get(app.hub.routine)
        choice = event.exercise_list.choice
        every = {exercise.id for exercise in routine.exercises}
        if choice == ExerciseChoice(frozenset(every), {}):
            app.choices.pop(routine.id, None)
        else:
            app.choices[routine.id] = choice
        self._refresh_lengths()

    def _show_exercise(self, exercise_id: str) -> None:
        routine = self.bs_app.hub.library.get(self.bs_app.hub.routine)
        exercise = next((e for e in routine.exercises if e.id == exercise_id), None)
        if exercise is None:
            return  # a highlight from the routine shown before this one
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
        pace, source = app.hub.pace_for(routine.id)
        plan = self._plan_or_none(routine.id)
        if plan is None:
            length = "choose at least one exercise (space)"
        else:
            length = (
                f"{len(plan.steps)} of {len(routine.exercises)} exercises, "
                f"{format_clock(plan.duration_s)} with the 3-2-1 countdown"
            )
        self.query_one("#pace", Static).update(
            f"[b]Pace[/b] {pace_words(pace, source, routine.pace_bpm)}\n"
            f"[dim]{_pace_keys(source)}[/]\n[b]Session[/b] {length}"
        )

    def _refresh_lengths(self) -> None:
        """After a pace or rounds change: the lengths in the table, the list and the pace."""
        app = self.bs_app
        table = self.query_one("#routines", DataTable)
        for routine_id in app.hub.library.routines:
            plan = self._plan_or_none(routine_id, full=True)
            if plan is not None:
                table.update_cell(routine_id, "length", format_clock(plan.duration_s))
                if routine_id == app.hub.routine:
                    exercises = self.query_one("#exercises", ExerciseList)
                    exercises.update_timing(exercise_timing(plan))
        self._show_pace()

    # -- pace ------------------------------------------------------------------------

    def action_pace(self, step: int) -> None:
        """- and + change the pace that applies (this routine's, or every routine's when one
        is set for all); 0 goes back to the routine's own."""
        app = self.bs_app
        hub = app.hub
        routine = hub.routine
        if step == 0:
            app.call_hub(lambda: hub.set_pace(None))
            app.call_hub(lambda: hub.set_routine_pace(routine, None))
        else:
            current, source = hub.pace_for(routine)
            pace = min(MAX_PACE_BPM, max(MIN_PACE_BPM, current + step * PACE_STEP))
            if source == "all":
                app.call_hub(lambda: hub.set_pace(pace))
            else:
                app.call_hub(lambda: hub.set_routine_pace(routine, pace))
        self._refresh_lengths()

    def action_pace_for_all(self) -> None:
        """g: this routine's pace for every routine; g again: each routine's own again."""
        app = self.bs_app
        hub = app.hub
        current, source = hub.pace_for(hub.routine)
        app.call_hub(lambda: hub.set_pace(None if source == "all" else current))
        self._refresh_lengths()

    # -- status ----------------------------------------------------------------------

    def show_status(self) -> None:
        app = self.bs_app
        snapshot = app.hub.snapshot()
        self.query_one("#status", Static).update(
            f"{device_line(snapshot)}   │   today {snapshot.sessions_today} · "
            f"streak {count_of(snapshot.streak_days, 'day')}"
        )


def _pace_keys(source: str) -> str:
    if source == "all":
        return "-/+ change it for all · g: each routine's own again · 0: this routine's own"
    return "-/+ change it for this routine · 0: its own · g: use it for every routine"
