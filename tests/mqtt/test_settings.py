"""MQTT settings from a URL, and the password kept out of every log line and error."""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
from pathlib import Path

import pytest

from companion.errors import ConfigError
from companion.mqtt import MqttSettings, redact_url
from tests.mqtt.conftest import Broker, hub_rig, mosquitto_binary

SECRET = "pa:ss@w0rd/%"


def test_a_url_gives_host_port_tls_and_credentials() -> None:
    settings = MqttSettings.from_url("mqtts://ann:pa%3Ass%40w0rd%2F%25@broker.lan", hub_id="desk")
    assert (settings.host, settings.port, settings.tls) == ("broker.lan", 8883, True)
    assert settings.username == "ann"
    assert settings.password is not None
    assert settings.password.get_secret_value() == SECRET
    assert settings.url == "mqtts://broker.lan:8883"
    assert settings.display_url == "mqtts://ann@broker.lan:8883"
    assert SECRET not in repr(settings)
    assert "w0rd" not in str(settings.model_dump())
    plain = MqttSettings.from_url("mqtt://10.0.0.2:1884")
    assert (plain.port, plain.tls, plain.username, plain.password) == (1884, False, None, None)


def test_overrides_win_over_the_url() -> None:
    settings = MqttSettings.from_url(
        "mqtt://ann:one@broker.lan", username="bob", password="two", hub_id="x", keepalive=15
    )
    assert settings.username == "bob"
    assert settings.password is not None
    assert settings.password.get_secret_value() == "two"
    assert settings.keepalive == 15


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://ann:hunter2@broker.lan", "must start with mqtt:// or mqtts://"),
        ("mqtt://ann:hunter2@broker.lan:99999", "bad port"),
        ("mqtt://ann:hunter2@", "names no broker host"),
        ("mqtt://ann:hunter2@broker.lan/topic", "must not have a path"),
    ],
)
def test_a_bad_url_is_a_config_error_without_the_password(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        MqttSettings.from_url(url)
    assert "hunter2" not in str(caught.value)
    assert "ann:***@" in str(caught.value)


def test_bad_settings_are_config_errors_without_the_password() -> None:
    with pytest.raises(ConfigError, match="hub id 'Living Room' may use only") as caught:
        MqttSettings.from_url("mqtt://ann:hunter2@broker.lan", hub_id="Living Room")
    assert "hunter2" not in str(caught.value)
    with pytest.raises(ConfigError, match="base_topic"):
        MqttSettings.from_url("mqtt://broker.lan", base_topic="a/#")
    with pytest.raises(ValueError, match="not the URL") as direct:
        MqttSettings(url="mqtt://ann:hunter2@broker.lan")
    assert "hunter2" not in str(direct.value)


def test_redact_url() -> None:
    assert redact_url("mqtt://ann:x@h:1") == "mqtt://ann:***@h:1"
    assert redact_url("mqtt://h:1") == "mqtt://h:1"


@pytest.fixture
def auth_broker(tmp_path: Path) -> Broker:
    passwd = shutil.which("mosquitto_passwd")
    if passwd is None:
        pytest.skip("mosquitto_passwd is not installed")
    binary = mosquitto_binary()
    users = tmp_path / "passwords"
    subprocess.run([passwd, "-b", "-c", str(users), "ann", "right-one"], check=True)
    return Broker(binary, tmp_path, extra_config=f"allow_anonymous false\npassword_file {users}\n")


@pytest.mark.mqtt
async def test_refused_and_accepted_logins_never_log_the_password(
    auth_broker: Broker, hub_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    auth_broker.start()
    try:
        with caplog.at_level(logging.DEBUG):
            async with hub_rig(auth_broker, hub_id, username="ann", password=SECRET) as rig:
                async with asyncio.timeout(10):
                    # Log records come with no event to wait on: poll.
                    while "not authori" not in caplog.text.lower():  # noqa: ASYNC110
                        await asyncio.sleep(0.05)
                assert not rig.mirror.connected
            async with hub_rig(auth_broker, hub_id, username="ann", password="right-one") as rig:
                await asyncio.wait_for(rig.mirror.wait_connected(), 5)
        assert f"MQTT broker mqtt://ann@127.0.0.1:{auth_broker.port}: " in caplog.text
        assert "MQTT connected to mqtt://ann@127.0.0.1" in caplog.text
        assert SECRET not in caplog.text
        assert "right-one" not in caplog.text
    finally:
        auth_broker.stop()
