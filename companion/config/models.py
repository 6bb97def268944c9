"""The configuration model: what `config.toml` and `BACKSTRETCH_*` variables may say.

Unknown fields are errors everywhere, so a misspelt key is reported instead of ignored.
Checks that need the routine library (routine ids) live in `checks.py`.
"""

from __future__ import annotations

import re
from datetime import time, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from companion.config.paths import hostname_slug, local_zone
from companion.redact import redact_url
from routines import MAX_PACE_BPM, MIN_PACE_BPM
from routines.models import NestedFieldError

ENV_PREFIX = "BACKSTRETCH_"
ENV_NESTED_DELIMITER = "__"

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

# Counts, bounded so that checking a file stays quick (schedules are compared pairwise,
# time by time) and nothing grows without end.
MAX_DEVICES = 16
MAX_SCHEDULES = 24
MAX_TIMES_PER_SCHEDULE = 24


def _finite(low: float, high: float) -> Any:
    """A float field from `low` to `high`; inf and nan are refused as such rather than
    reported as out of range."""
    return Field(ge=low, le=high, allow_inf_nan=False)


def _time_of_day(value: Any) -> time:
    """A "HH:MM" string (24-hour clock) or a TOML local time in whole minutes."""
    if isinstance(value, time):
        if value.second or value.microsecond or value.tzinfo is not None:
            raise ValueError(f"must be a time of day in whole minutes, got {value.isoformat()}")
        return value
    if isinstance(value, str):
        match = _HHMM.match(value.strip())
        if match:
            return time(int(match[1]), int(match[2]))
    raise ValueError(f'must be a time of day as "HH:MM" (24-hour clock), got {value!r}')


TimeOfDay = Annotated[time, BeforeValidator(_time_of_day)]


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """Monday is 0, as `date.weekday()` counts."""
        return list(Weekday).index(self)


ALL_DAYS = tuple(Weekday)
_DAY_GROUPS = {"weekdays": ALL_DAYS[:5], "weekend": ALL_DAYS[5:], "daily": ALL_DAYS}


def _days(value: Any) -> Any:
    """Accept "weekdays", "weekend" and "daily" as shorthands, alone or in a list."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        return value
    out: list[Any] = []
    for item in items:
        key = item.strip().lower() if isinstance(item, str) else item
        out.extend(_DAY_GROUPS.get(key, (key,)) if isinstance(key, str) else (key,))
    return out


class ReminderAction(StrEnum):
    # Play the reminder and start the session at once.
    START = "start"
    # Play the reminder and wait for a button press (or a start from anywhere).
    WAIT_FOR_BUTTON = "wait_for_button"


class Schedule(BaseModel):
    """Reminders at fixed times, or every N minutes within a window, on chosen weekdays."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=40)] = "reminder"
    days: Annotated[tuple[Weekday, ...], BeforeValidator(_days), Field(min_length=1)] = ALL_DAYS
    at: Annotated[tuple[TimeOfDay, ...], Field(max_length=MAX_TIMES_PER_SCHEDULE)] = ()
    every_min: Annotated[int, Field(ge=5, le=720)] | None = None
    between: tuple[TimeOfDay, TimeOfDay] | None = None
    # What this schedule runs; default: the hub's selected routine.
    routine: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Schedule:
        if self.at and (self.every_min is not None or self.between is not None):
            raise ValueError("give either `at` or `every_min` with `between`, not both")
        if not self.at and (self.every_min is None or self.between is None):
            raise ValueError(
                'needs `at = ["HH:MM", ...]` or both `every_min = N` and '
                '`between = ["HH:MM", "HH:MM"]`'
            )
        if self.between is not None and self.between[1] <= self.between[0]:
            raise NestedFieldError(
                ".between",
                f"the end ({self.between[1]:%H:%M}) must be after the start "
                f"({self.between[0]:%H:%M}) on the same day",
            )
        if len(set(self.at)) != len(self.at):
            raise NestedFieldError(".at", "lists the same time twice")
        return self

    def times(self) -> tuple[time, ...]:
        """Every wall-clock time of day this schedule fires, sorted."""
        if self.at:
            return tuple(sorted(self.at))
        assert self.every_min is not None
        assert self.between is not None
        start, end = self.between
        first = start.hour * 60 + start.minute
        last = end.hour * 60 + end.minute
        return tuple(time(m // 60, m % 60) for m in range(first, last + 1, self.every_min))

    def spans(self) -> tuple[tuple[time, time], ...]:
        """The stretches of the day it covers: its window, or each time as a point."""
        if self.between is not None:
            return (self.between,)
        return tuple((t, t) for t in sorted(self.at))


class QuietHours(BaseModel):
    """No reminders from `start` to `end`; may cross midnight (22:00 to 07:00)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: TimeOfDay
    end: TimeOfDay

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("start and end are the same time; remove [quiet_hours] instead")
        return self

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


class Reminders(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The schedule switch at start-up (the TUI and MQTT can turn it off and on).
    enabled: bool = True
    action: ReminderAction = ReminderAction.WAIT_FOR_BUTTON
    # Lower bounds a person could act within: not "as good as zero".
    wait_min: Annotated[float, _finite(0.5, 120)] = 10.0
    snooze_min: Annotated[float, _finite(1, 240)] = 10.0
    skip_if_done_within_min: Annotated[float, _finite(0, 1440)] = 30.0
    # A reminder missed by at most this much (hub suspended, clock jumped) still plays once.
    catch_up_min: Annotated[float, _finite(0, 120)] = 10.0


class MqttConfig(BaseModel):
    """The MQTT mirror's settings (the mirror itself lives in companion/mqtt)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = None
    base_topic: Annotated[str, Field(min_length=1)] = "backstretch"
    discovery_prefix: Annotated[str, Field(min_length=1)] = "homeassistant"
    # Home Assistant discovery is re-sent after a random 0..N s (as the mirror's default).
    discovery_delay_s: Annotated[float, _finite(0, 60)] = 5.0

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        # Credentials in the URL are accepted here; the mirror splits them out.
        if not re.match(r"^mqtts?://[^/\s]+", value):
            raise ValueError(
                "must look like mqtt://HOST[:PORT] or mqtts://HOST[:PORT], "
                f"got {redact_url(value)!r}"
            )
        return value

    @field_validator("base_topic", "discovery_prefix")
    @classmethod
    def _topic(cls, value: str) -> str:
        if any(c in value for c in "+#\0") or value.startswith("/") or value.endswith("/"):
            raise ValueError(f"must be a plain topic without +, # or outer slashes: {value!r}")
        return value

    @field_validator("ca_file")
    @classmethod
    def _ca_file(cls, value: Path | None) -> Path | None:
        try:
            found = value is None or value.is_file()
        except OSError as exc:  # a name too long for the file system, say
            raise ValueError(f"cannot use {value}: {exc.strerror or exc}") from None
        if not found:
            raise ValueError(f"no such file: {value}")
        return value


def _zone_name(value: Any) -> Any:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return value  # for the str check to refuse in its own words
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin'"
        ) from None
    return value


class HubConfig(BaseSettings):
    """Everything the daemon reads. Sources, strongest first: command-line options,
    `BACKSTRETCH_*` environment variables (nested with `__`), the TOML file, defaults."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        extra="forbid",
        frozen=True,
    )

    hub_id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")] = Field(
        default_factory=hostname_slug
    )
    devices: Annotated[
        tuple[Annotated[str, Field(min_length=1)], ...], Field(max_length=MAX_DEVICES)
    ] = ()
    routine: str = "one-minute-back"
    pace_bpm: Annotated[float, _finite(MIN_PACE_BPM, MAX_PACE_BPM)] | None = None
    abort_after_s: Annotated[float, _finite(1, 3600)] = 120.0
    delivery: Literal["scheduled", "immediate"] = "scheduled"
    time_zone: Annotated[str | None, BeforeValidator(_zone_name)] = None
    history_file: Path | None = None
    quiet_hours: QuietHours | None = None
    reminders: Reminders = Reminders()
    schedules: Annotated[tuple[Schedule, ...], Field(max_length=MAX_SCHEDULES)] = ()
    mqtt: MqttConfig = MqttConfig()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003 (no .env files)
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003 (no secret dirs)
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file comes in through a context variable: see `companion.config.loading`.
        from companion.config.loading import file_data

        return init_settings, env_settings, InitSettingsSource(settings_cls, file_data())

    @model_validator(mode="after")
    def _schedules_apart(self) -> HubConfig:
        problem = first_overlap(self.schedules)
        if problem is not None:
            raise NestedFieldError(*problem)
        return self

    @property
    def zone(self) -> tzinfo:
        return ZoneInfo(self.time_zone) if self.time_zone else local_zone()


def first_overlap(schedules: tuple[Schedule, ...]) -> tuple[str, str] | None:
    """(field path, problem) for the first pair of schedules that share a day and whose
    stretches of the day meet (the same time, a time inside a window, two windows that
    cross): together they would remind twice."""
    for later in range(len(schedules)):
        for earlier in range(later):
            a, b = schedules[earlier], schedules[later]
            days = [d for d in ALL_DAYS if d in a.days and d in b.days]
            if not days:
                continue
            for a0, a1 in a.spans():
                for b0, b1 in b.spans():
                    if a0 <= b1 and b0 <= a1:
                        problem = (
                            f"'{b.name}' ({_span(b0, b1)}) overlaps schedules[{earlier}] "
                            f"'{a.name}' ({_span(a0, a1)}) on {days[0].value}; give them "
                            "different days or times"
                        )
                        return f"schedules[{later}]", problem
    return None


def _span(start: time, end: time) -> str:
    return f"{start:%H:%M}" if start == end else f"{start:%H:%M}-{end:%H:%M}"
