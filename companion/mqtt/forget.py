"""`backstretch mqtt forget`: remove a hub from the broker and from Home Assistant.

Publishing an empty retained payload deletes a retained message; an empty discovery config
makes Home Assistant remove the device and its entities.
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


async def forget_hub(settings: MqttSettings, *, listen_s: float = 1.0) -> list[str]:
    """Clear the hub's discovery config and every retained topic under its base; the topics.

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
            for topic in sorted(found):
                await client.publish(topic, b"", qos=1, retain=True)
    except (aiomqtt.MqttError, OSError) as exc:
        raise HubError(f"MQTT broker {settings.display_url}: {exc}") from None
    log.info("cleared %d retained topic(s) of hub '%s'", len(found), settings.hub_id)
    return sorted(found)
