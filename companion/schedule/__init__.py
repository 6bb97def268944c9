"""Reminders: schedules turned into instants (DST-safe), the decisions, and the service."""

from companion.schedule.occurrences import Occurrence, next_occurrence, occurrences_between
from companion.schedule.planner import Conditions, Decision, ReminderPlanner
from companion.schedule.service import Scheduler, Waiting

__all__ = [
    "Conditions",
    "Decision",
    "Occurrence",
    "ReminderPlanner",
    "Scheduler",
    "Waiting",
    "next_occurrence",
    "occurrences_between",
]
