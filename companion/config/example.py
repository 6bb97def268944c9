"""The commented example `backstretch config init` writes; it validates as written."""

from __future__ import annotations

EXAMPLE_CONFIG = """\
# backstretch hub configuration (`backstretch config check` validates this file).
# Every value can be overridden by an environment variable: BACKSTRETCH_ and the field
# name in capitals, nested fields joined with a double underscore, for example
# BACKSTRETCH_PACE_BPM=6 or BACKSTRETCH_MQTT__URL=mqtt://broker.local.

# The hub's name in MQTT topics (backstretch/<hub_id>/...). Default: this host's name.
# hub_id = "desk"

# Wearables to use, by name or address. Empty: the first backstretch wearable found.
devices = []

# What a reminder, a button or a bare "start" runs (see `backstretch routines list`).
routine = "one-minute-back"

# Breaths per minute, 3 to 12. Leave it out to use each routine's own pace.
# pace_bpm = 6

# A session paused because no wearable is connected ends after this many seconds.
abort_after_s = 120

# scheduled: cues loaded ahead on the wearable's clock; immediate: sent at their moment.
delivery = "scheduled"

# IANA time zone for schedules, quiet hours and "today". Default: the system's.
# time_zone = "Europe/Berlin"

[reminders]
# Whether schedules are on when the hub starts (the TUI and MQTT can switch them).
enabled = true
# "wait_for_button": play the reminder, then start when the wearable's button is pressed
# (short press: start; long press: snooze; double press: dismiss).
# "start": play the reminder and start the session right away.
action = "wait_for_button"
wait_min = 10
snooze_min = 10
# No reminder when a session was completed this recently.
skip_if_done_within_min = 30
# A reminder missed by up to this much (hub suspended, clock changed) still plays once.
catch_up_min = 10

# No reminders during these hours (may cross midnight).
[quiet_hours]
start = "21:00"
end = "08:00"

# Reminders at set times of day, on chosen days ("mon".."sun", "weekdays", "weekend",
# "daily").
[[schedules]]
name = "morning"
days = ["weekdays"]
at = ["10:30"]

# Desk days: every N minutes between two times of day. Schedules must not overlap.
[[schedules]]
name = "desk afternoon"
days = ["mon", "wed", "fri"]
every_min = 50
between = ["13:00", "17:00"]
# routine = "desk-breathing"

[mqtt]
# The MQTT mirror (Home Assistant, Node-RED, openHAB). Leave url out to turn it off.
# url = "mqtt://localhost:1883"
# username = "backstretch"
# password = "secret"
# ca_file = "/etc/ssl/certs/ca-certificates.crt"
base_topic = "backstretch"
discovery_prefix = "homeassistant"
discovery_delay_s = 5.0
"""
