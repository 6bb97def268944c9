"""Commands from MQTT: parsed strictly, applied to the hub, answered with a result.

Parsing is pure (payload in, `Command` or `CommandError` out) so the rules are easy to test
and the same for every transport; `apply` calls the hub's synchronous methods.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, StrictStr
from pydantic import ValidationError as PydanticValidationError

from companion.clocks import WallClock
from companion.errors import HubError
from companion.hub import Hub
from companion.redact import printable
from routines import RoutineError

SESSION_ACTIONS = ("start", "stop", "pause", "resume", "skip")
# Client text the hub keeps or echoes has a bound: an id, a routine or exercise id.
MAX_ID_LENGTH = 64
# The longest error message a result (and the log line beside it) carries.
MAX_ERROR_LENGTH = 300
RequestId = (
    Annotated[StrictStr, Field(max_length=MAX_ID_LENGTH)]
    | Annotated[StrictInt, Field(ge=-(2**63), lt=2**63)]
)
ShortId = Annotated[StrictStr, Field(max_length=MAX_ID_LENGTH)]


class CommandError(HubError):
    """A command that cannot be carried out; the message goes into the `result`.

    The message may quote what the client sent: it is made printable and bounded here, the
    one place every refusal passes, so a result or a log line never carries a terminal
    escape sequence or a payload's worth of text.
    """

    def __init__(self, message: str, request_id: RequestId | None = None) -> None:
        super().__init__(printable(message, MAX_ERROR_LENGTH))
        self.request_id = request_id


@dataclass(frozen=True, slots=True)
class Command:
    """One parsed command. `name` is the topic's command (session, routine, pace, schedule)."""

    name: str
    action: str
    request_id: RequestId | None = None
    routine: str | None = None
    exercises: tuple[str, ...] | None = None
    pace_bpm: float | None = None
    enabled: bool | None = None


def result_payload(request_id: RequestId | None, error: str | None) -> dict[str, Any]:
    """The answer on the sibling `result` topic (a public contract, README)."""
    return {"request_id": request_id, "status": "error" if error else "ok", "error": error}


# -- JSON forms -----------------------------------------------------------------------


class _Json(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    request_id: RequestId | None = None
    # Drop the command when it arrives after this moment (ISO 8601 with zone, or Unix s).
    not_after: AwareDatetime | None = None


class _SessionJson(_Json):
    action: Literal["start", "stop", "pause", "resume", "skip"]
    routine: ShortId | None = None
    exercises: Annotated[list[ShortId], Field(max_length=64)] | None = None
    pace_bpm: float | None = None


class _RoutineJson(_Json):
    routine: ShortId


class _PaceJson(_Json):
    pace_bpm: float | None


class _ScheduleJson(_Json):
    enabled: bool


_JSON_FORMS: dict[str, type[_Json]] = {
    "session": _SessionJson,
    "routine": _RoutineJson,
    "pace": _PaceJson,
    "schedule": _ScheduleJson,
}


def parse_command(name: str, payload: bytes, *, now: WallClock, max_bytes: int = 4096) -> Command:
    """A command from a `<name>/set` payload: a plain word or value, or a JSON object."""
    if len(payload) > max_bytes:
        raise CommandError(f"command too large ({len(payload)} bytes; at most {max_bytes})")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CommandError("command is not UTF-8 text") from None
    if text.startswith("{"):
        return _from_json(name, text, now)
    return _from_plain(name, text)


def _from_plain(name: str, text: str) -> Command:
    word = text.lower()
    if name == "session":
        if word not in SESSION_ACTIONS:
            raise CommandError(
                f"unknown session action '{printable(text)}'; "
                f"use one of {', '.join(SESSION_ACTIONS)}"
            )
        return Command(name, word)
    if name == "routine":
        if not text:
            raise CommandError("routine/set needs a routine id")
        if len(text) > MAX_ID_LENGTH:
            raise CommandError(
                f"routine id '{printable(text)}' is too long (at most {MAX_ID_LENGTH} characters)"
            )
        return Command(name, "select", routine=text)
    if name == "pace":
        if word in ("", "none", "default"):
            return Command(name, "set", pace_bpm=None)
        try:
            pace = float(text)
        except ValueError:
            raise CommandError(
                f"pace must be a number of breaths per minute, not '{printable(text)}'"
            ) from None
        return Command(name, "set", pace_bpm=_finite(pace))
    if name == "schedule":
        if word not in ("on", "off"):
            raise CommandError(f"schedule/set takes ON or OFF, not '{printable(text)}'")
        return Command(name, "set", enabled=word == "on")
    raise CommandError(f"unknown command topic '{printable(name)}'")


def _from_json(name: str, text: str, now: WallClock) -> Command:
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise CommandError(f"invalid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise CommandError("a JSON command must be an object")
    request_id = raw.get("request_id")
    if (
        isinstance(request_id, bool)
        or not isinstance(request_id, str | int)
        or (isinstance(request_id, str) and len(request_id) > MAX_ID_LENGTH)
        or (isinstance(request_id, int) and not -(2**63) <= request_id < 2**63)
    ):
        # Not one we can answer by: the result goes out with a null id.
        request_id = None
    try:
        form = _JSON_FORMS[name].model_validate(raw)
    except PydanticValidationError as exc:
        raise CommandError(_describe(exc), request_id) from None
    if form.not_after is not None and now() > form.not_after:
        raise CommandError(
            f"command expired (not_after {form.not_after.isoformat()} has passed)", request_id
        )
    if isinstance(form, _SessionJson):
        return Command(
            name,
            form.action,
            form.request_id,
            routine=form.routine,
            exercises=tuple(form.exercises) if form.exercises else None,
            pace_bpm=_finite(form.pace_bpm, request_id) if form.pace_bpm is not None else None,
        )
    if isinstance(form, _RoutineJson):
        return Command(name, "select", form.request_id, routine=form.routine)
    if isinstance(form, _PaceJson):
        pace = form.pace_bpm
        return Command(
            name,
            "set",
            form.request_id,
            pace_bpm=_finite(pace, request_id) if pace is not None else None,
        )
    assert isinstance(form, _ScheduleJson)
    return Command(name, "set", form.request_id, enabled=form.enabled)


def _finite(value: float, request_id: RequestId | None = None) -> float:
    if not math.isfinite(value):
        raise CommandError("pace must be a finite number of breaths per minute", request_id)
    return value


def _describe(exc: PydanticValidationError) -> str:
    problems = []
    for error in exc.errors()[:3]:
        where = printable(".".join(str(part) for part in error["loc"]))
        if error["type"] == "extra_forbidden":
            problems.append(f"unknown field '{where}'")
        elif error["type"] == "literal_error" and where == "action":
            problems.append(f"unknown action; use one of {', '.join(SESSION_ACTIONS)}")
        else:
            problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)


# -- applying ------------------------------------------------------------------------


def apply(hub: Hub, command: Command, *, speed: float = 1.0) -> None:
    """Carry out a command on the hub; raises CommandError with the hub's message."""
    try:
        _apply(hub, command, speed)
    except (HubError, RoutineError) as exc:
        raise CommandError(str(exc), command.request_id) from None


def _apply(hub: Hub, command: Command, speed: float) -> None:
    if command.name == "session":
        if command.action == "start":
            hub.start(
                command.routine,
                exercises=command.exercises,
                pace_bpm=command.pace_bpm,
                speed=speed,
            )
        elif command.action == "stop":
            hub.stop("stopped over MQTT")
        elif command.action == "pause":
            hub.pause()
        elif command.action == "resume":
            hub.resume()
        elif command.action == "skip":
            hub.skip()
    elif command.name == "routine":
        assert command.routine is not None
        hub.select_routine(command.routine)
    elif command.name == "pace":
        hub.set_pace(command.pace_bpm)
    elif command.name == "schedule":
        assert command.enabled is not None
        hub.set_schedule_enabled(command.enabled)
