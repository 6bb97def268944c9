"""`backstretch mqtt forget`: remove a hub from the broker and from Home Assistant.

Publishing an empty retained payload deletes a retained message; an empty discovery config
makes Home Assistant remove the device and its entities. The order matters: while the
entities exist they are subscribed to the state topic, and an empty state would reach their
templates as a value with no JSON (Home Assistant logs a template error per entity). So the
discovery config goes first, and the rest only after Home Assistant has had time to act on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiomqtt

from companion.errors import HubError
from companion.mqtt.settings import MqttSettings
from companion.mqtt.topics import Topics

log = logging.getLogger(__name__)


# Time for Home Assistant to remove the entities once their discovery config is gone.
SETTLE_S = 1.0


async def forget_hub(
    settings: MqttSettings, *, listen_s: float = 1.0, settle_s: float = SETTLE_S
) -> list[str]:
    """Clear the hub's discovery config, then every retained topic under its base; the topics.

    Retained topics are found by subscribing to `<base>/<hub>/#` for `listen_s` seconds
    (a broker sends what it retains at once), so leftovers of older versions go too.
    """
    topics = Topics.of(settings)
    found = {topics.discovery, topics.status, topics.state}
    try:
        async with aiomqtt.Client(
            settings.host,
            settings.port,
            username=settings.username,
            password=settings.password.get_secret_value() if settings.password else None,
            tls_params=aiomqtt.TLSParameters(
                ca_certs=str(settings.ca_file) if settings.ca_file else None
            )
            if settings.tls
            else None,
            timeout=10.0,
            logger=logging.getLogger("companion.mqtt.client"),
        ) as client:
            await client.subscribe(f"{topics.hub}/#", qos=1)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(listen_s):
                    async for message in client.messages:
                        if message.retain and message.payload:
                            found.add(message.topic.value)
            # QoS 1: the broker has it before the wait starts.
            await client.publish(topics.discovery, b"", qos=1, retain=True)
            await asyncio.sleep(settle_s)
            for topic in sorted(found - {topics.discovery}):
                await client.publish(topic, b"", qos=1, retain=True)
    except (aiomqtt.MqttError, OSError) as exc:
        raise HubError(f"MQTT broker {settings.display_url}: {exc}") from None
    log.info("cleared %d retained topic(s) of hub '%s'", len(found), settings.hub_id)
    return sorted(found)
