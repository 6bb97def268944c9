"""mqtts:// with a CA file, against a mosquitto TLS listener with a certificate we make."""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mqtt.conftest import Broker, hub_rig, mosquitto_binary


class TlsBroker(Broker):
    @property
    def url(self) -> str:
        return f"mqtts://127.0.0.1:{self.port}"


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[TlsBroker, Path]]:
    """A broker whose only listener speaks TLS, with a throwaway CA; yields it and the CA."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    ca_key, ca, key, request, cert = (
        tmp_path / name for name in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    san = tmp_path / "san.cnf"
    san.write_text("subjectAltName=IP:127.0.0.1\n", "utf-8")
    commands = [
        [
            *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=backstretch test CA", "-keyout", str(ca_key), "-out", str(ca)),
        ],
        [
            *("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1"),
            *("-keyout", str(key), "-out", str(request)),
        ],
        [
            *("x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key)),
            *("-CAcreateserial", "-days", "1", "-out", str(cert), "-extfile", str(san)),
        ],
    ]
    for command in commands:
        subprocess.run([openssl, *command], check=True, capture_output=True)
    broker = TlsBroker(
        mosquitto_binary(), tmp_path, extra_config=f"cafile {ca}\ncertfile {cert}\nkeyfile {key}\n"
    )
    broker.start()
    yield broker, ca
    broker.stop()


@pytest.mark.mqtt
async def test_mqtts_with_the_ca_file_connects(
    tls_broker: tuple[TlsBroker, Path], hub_id: str
) -> None:
    broker, ca = tls_broker
    async with hub_rig(broker, hub_id, ca_file=ca) as rig:
        await asyncio.wait_for(rig.mirror.wait_connected(), 10)
        assert rig.mirror.connected


@pytest.mark.mqtt
# paho drops the SSL socket of a failed handshake without closing it; Python closes it when
# it is collected (no descriptor leaks), with a ResourceWarning we cannot prevent here.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
async def test_mqtts_without_the_ca_refuses_the_unknown_certificate(
    tls_broker: tuple[TlsBroker, Path], hub_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    broker, _ = tls_broker
    with caplog.at_level(logging.WARNING):
        async with hub_rig(broker, hub_id) as rig:
            async with asyncio.timeout(10):
                while "certificate" not in caplog.text.lower():  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            assert not rig.mirror.connected
