"""The hub's configuration: a TOML file, `BACKSTRETCH_*` variables, command-line options."""

from companion.config.example import EXAMPLE_CONFIG
from companion.config.loading import check_routines, load_config, read_config_file
from companion.config.models import (
    ENV_NESTED_DELIMITER,
    ENV_PREFIX,
    HubConfig,
    MqttConfig,
    QuietHours,
    ReminderAction,
    Reminders,
    Schedule,
    Weekday,
)
from companion.config.paths import (
    default_config_path,
    default_history_path,
    hostname_slug,
    local_zone,
)

__all__ = [
    "ENV_NESTED_DELIMITER",
    "ENV_PREFIX",
    "EXAMPLE_CONFIG",
    "HubConfig",
    "MqttConfig",
    "QuietHours",
    "ReminderAction",
    "Reminders",
    "Schedule",
    "Weekday",
    "check_routines",
    "default_config_path",
    "default_history_path",
    "hostname_slug",
    "load_config",
    "local_zone",
    "read_config_file",
]
