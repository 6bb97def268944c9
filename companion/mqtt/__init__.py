"""The MQTT mirror: state and events out, commands in, Home Assistant discovery.

The only package that imports aiomqtt; `companion.mqtt` itself stays cheap to import
(the mirror is loaded on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from companion.mqtt.settings import MqttSettings, default_hub_id, topic_safe
from companion.mqtt.topics import Topics
from companion.redact import redact_url

if TYPE_CHECKING:
    from companion.mqtt.mirror import MqttMirror

__all__ = ["MqttMirror", "MqttSettings", "Topics", "default_hub_id", "redact_url", "topic_safe"]


def __getattr__(name: str) -> Any:
    if name == "MqttMirror":
        from companion.mqtt.mirror import MqttMirror

        return MqttMirror
    raise AttributeError(name)
