"""The routine screen's exercise list: each exercise plainly on or off, with its rounds.

A skipped exercise must not look like a chosen one: chosen ones carry a check mark and their
length, skipped ones a cross, struck through and dimmed, with the word "skipped". Where a
routine lets an exercise run more rounds (cat-cow: three or four), ←/→ choose them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from companion.tui.keys import EXERCISE_KEYS
from routines import Routine


@dataclass(frozen=True, slots=True)
class ExerciseChoice:
    """What the person chose for one routine: the exercises in it and their rounds."""

    included: frozenset[str]
    rounds: Mapping[str, int]


class ExerciseList(OptionList):
    """Space includes or skips the highlighted exercise; ←/→ change its rounds."""

    DEFAULT_CSS = """
    ExerciseList { height: auto; max-height: 10; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        EXERCISE_KEYS[0].binding(),
        EXERCISE_KEYS[1].binding(),
        Binding("left", "rounds(-1)", "Fewer rounds", show=False),
    ]

    class Changed(Message):
        """The person included or skipped an exercise, or changed its rounds."""

        def __init__(self, exercise_list: ExerciseList) -> None:
            super().__init__()
            self.exercise_list = exercise_list

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.routine: Routine | None = None
        self.included: set[str] = set()
        self.rounds: dict[str, int] = {}
        self.timing: dict[str, str] = {}

    @property
    def choice(self) -> ExerciseChoice:
        return ExerciseChoice(frozenset(self.included), dict(self.rounds))

    def show_routine(
        self, routine: Routine, choice: ExerciseChoice | None, timing: Mapping[str, str]
    ) -> None:
        """List `routine`'s exercises as chosen (None: all of them, at their own rounds)."""
        self.routine = routine
        every = {exercise.id for exercise in routine.exercises}
        self.included = set(choice.included) & every if choice else every
        self.rounds = dict(choice.rounds) if choice else {}
        self.timing = dict(timing)
        highlighted = self.highlighted
        self.set_options(Option(self._prompt(e.id), id=e.id) for e in routine.exercises)
        self.highlighted = highlighted if highlighted is not None else 0

    def update_timing(self, timing: Mapping[str, str]) -> None:
        self.timing = dict(timing)
        self._redraw()

    def _redraw(self) -> None:
        if self.routine is None:
            return
        for exercise in self.routine.exercises:
            self.replace_option_prompt(exercise.id, self._prompt(exercise.id))
        self.refresh_bindings()

    def _prompt(self, exercise_id: str) -> Content:
        assert self.routine is not None
        exercise = next(e for e in self.routine.exercises if e.id == exercise_id)
        if exercise_id not in self.included:
            return Content.from_markup(
                "[$error]✗[/] [strike dim]$title[/] [dim]skipped[/]", title=exercise.title
            )
        allowed = exercise.allowed_rounds
        choice = f" ({allowed[0]}-{allowed[-1]}, ←/→)" if len(allowed) > 1 else ""
        timing = self.timing.get(exercise_id, "")
        return Content.from_markup(
            "[$success]✓[/] [b]$title[/]  [dim]$timing[/]$rounds",
            title=exercise.title,
            timing=timing,
            rounds=Content.from_markup("[dim]$words[/]", words=choice) if choice else "",
        )

    def _highlighted_exercise(self) -> str | None:
        if self.highlighted is None or self.routine is None:
            return None
        return self.get_option_at_index(self.highlighted).id

    def action_include_or_skip(self) -> None:
        exercise_id = self._highlighted_exercise()
        if exercise_id is None:
            return
        self.included ^= {exercise_id}
        self._redraw()
        self.post_message(self.Changed(self))

    def action_rounds(self, step: int) -> None:
        exercise_id = self._highlighted_exercise()
        if exercise_id is None or self.routine is None:
            return
        exercise = next(e for e in self.routine.exercises if e.id == exercise_id)
        allowed = exercise.allowed_rounds
        current = self.rounds.get(exercise_id, exercise.rounds)
        wanted = min(allowed[-1], max(allowed[0], current + step))
        if wanted == current:
            return
        if wanted == exercise.rounds:
            self.rounds.pop(exercise_id, None)
        else:
            self.rounds[exercise_id] = wanted
        self.included.add(exercise_id)
        self._redraw()
        self.post_message(self.Changed(self))

    def check_action(
        self,
        action: str,
        parameters: tuple[object, ...],  # noqa: ARG002 - Textual's signature
    ) -> bool | None:
        if action == "rounds":
            # Shown only where the highlighted exercise lets the person choose.
            exercise_id = self._highlighted_exercise()
            if exercise_id is None or self.routine is None:
                return False
            exercise = next(e for e in self.routine.exercises if e.id == exercise_id)
            return len(exercise.allowed_rounds) > 1
        return True

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        self.refresh_bindings()
