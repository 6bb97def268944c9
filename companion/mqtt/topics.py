"""The topic layout for one hub (a public contract, README)."""

from __future__ import annotations

from dataclasses import dataclass

from companion.mqtt.settings import MqttSettings

# Command names are the level before `/set`; each is answered on `<name>/result`.
COMMANDS = ("session", "routine", "pace", "schedule")


@dataclass(frozen=True, slots=True)
class Topics:
    hub: str
    discovery: str
    ha_status: str

    @classmethod
    def of(cls, settings: MqttSettings) -> Topics:
        return cls(
            hub=settings.hub_topic,
            discovery=settings.discovery_topic,
            ha_status=f"{settings.discovery_prefix}/status",
        )

    @property
    def status(self) -> str:
        return f"{self.hub}/status"

    @property
    def state(self) -> str:
        return f"{self.hub}/state"

    @property
    def event(self) -> str:
        return f"{self.hub}/event"

    def command(self, name: str) -> str:
        return f"{self.hub}/{name}/set"

    def result(self, name: str) -> str:
        return f"{self.hub}/{name}/result"

    def command_name(self, topic: str) -> str | None:
        """Which command a topic carries, or None when it is not one of ours."""
        for name in COMMANDS:
            if topic == self.command(name):
                return name
        return None
