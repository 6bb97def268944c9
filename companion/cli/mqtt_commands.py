"""The MQTT options every hub command shares, and `backstretch mqtt forget`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from companion.config import HubConfig
    from companion.mqtt import MqttSettings


def add_mqtt_arguments(
    parser: argparse.ArgumentParser, *, required: bool = False, purpose: str = "mirror the hub on"
) -> None:
    """`--mqtt URL`, `--mqtt-ca FILE` and `--hub-id ID`, as `run`, `tui` and `session` take them."""
    parser.add_argument(
        "--mqtt",
        metavar="URL",
        required=required,
        help=f"{purpose} this MQTT broker: mqtt://[USER[:PASSWORD]@]HOST[:PORT] (mqtts:// for TLS)",
    )
    parser.add_argument(
        "--mqtt-ca", type=Path, metavar="FILE", help="CA certificate file for an mqtts:// broker"
    )
    parser.add_argument(
        "--hub-id",
        metavar="ID",
        help="this hub's id in MQTT topics and Home Assistant (default: the host name)",
    )


def mqtt_settings_from_args(args: argparse.Namespace) -> MqttSettings | None:
    """The settings for `--mqtt`, or None without it; raises ConfigError for a bad URL."""
    if not args.mqtt:
        return None
    from companion.mqtt import MqttSettings

    return MqttSettings.from_url(args.mqtt, hub_id=args.hub_id, ca_file=args.mqtt_ca)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("mqtt", help="the hub's MQTT topics")
    commands = parser.add_subparsers(dest="mqtt_command", metavar="COMMAND", required=True)
    forget = commands.add_parser(
        "forget",
        help="remove this hub from Home Assistant and its retained topics from the broker",
        description="Publish empty retained messages on the hub's discovery config and on "
        "every retained topic under BASE/HUB_ID, so that Home Assistant removes the device.",
    )
    add_mqtt_arguments(forget, required=True, purpose="clean up on")
    forget.add_argument(
        "--discovery-prefix",
        default="homeassistant",
        metavar="PREFIX",
        help="Home Assistant's discovery prefix (default: homeassistant)",
    )
    forget.add_argument(
        "--base-topic",
        default="backstretch",
        metavar="TOPIC",
        help="the hub's base topic (default: backstretch)",
    )
    forget.set_defaults(run=run_forget)


def run_forget(args: argparse.Namespace) -> int:
    import asyncio

    from companion.mqtt import MqttSettings
    from companion.mqtt.forget import forget_hub

    settings = MqttSettings.from_url(
        args.mqtt,
        hub_id=args.hub_id,
        ca_file=args.mqtt_ca,
        discovery_prefix=args.discovery_prefix,
        base_topic=args.base_topic,
    )
    cleared = asyncio.run(forget_hub(settings))
    print(f"hub '{settings.hub_id}' removed from {settings.display_url}:")
    for topic in cleared:
        print(f"  cleared {topic}")
    return 0


def mqtt_settings_from_config(config: HubConfig, url: str | None = None) -> MqttSettings:
    """The mirror's settings from the configuration's [mqtt] section and hub id (`url`, if
    given, in place of the configured one), so every command is the same hub to a broker."""
    from companion.errors import ConfigError
    from companion.mqtt import MqttSettings

    mqtt = config.mqtt
    url = url or mqtt.url
    if url is None:
        raise ConfigError("no MQTT broker: give --mqtt URL or [mqtt] url in the configuration")
    return MqttSettings.from_url(
        url,
        username=mqtt.username,
        password=mqtt.password,
        ca_file=mqtt.ca_file,
        base_topic=mqtt.base_topic,
        discovery_prefix=mqtt.discovery_prefix,
        discovery_delay_s=mqtt.discovery_delay_s,
        hub_id=config.hub_id,
    )
