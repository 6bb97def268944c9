"""How the mirror reaches its broker, and which topics it owns.

Credentials live in their own fields, never in `url`, so that the URL can be logged as is;
the password is a SecretStr and every error message shows the redacted URL.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any, Self
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from companion.errors import ConfigError
from companion.redact import redact_url

SCHEMES = {"mqtt": 1883, "mqtts": 8883}
# Topic levels and HA ids accept these only; anything else is replaced by "_".
_UNSAFE = re.compile(r"[^a-z0-9_-]+")


def topic_safe(text: str) -> str:
    """A hub id usable as one topic level and in Home Assistant ids."""
    return _UNSAFE.sub("_", text.strip().lower()).strip("_") or "hub"


def default_hub_id() -> str:
    return topic_safe(socket.gethostname())


# A host name or an IPv4 address, or an IPv6 address (urlsplit drops its brackets).
_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*|[0-9A-Fa-f:.]+")


class MqttSettings(BaseModel):
    """Everything the mirror needs; `from_url` is the usual way to build one."""

    # Validation errors never echo their input: it may hold a password.
    model_config = ConfigDict(frozen=True, hide_input_in_errors=True, extra="forbid")

    url: str = Field(description="mqtt://host[:port] or mqtts://host[:port], no credentials")
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = None
    base_topic: str = "backstretch"
    hub_id: str = Field(default_factory=default_hub_id)
    discovery_prefix: str = "homeassistant"
    discovery_retain: bool = True
    # Re-send discovery after a random 0..N s when HA announces itself (spreads the load).
    discovery_delay_s: float = Field(default=5.0, ge=0.0)
    keepalive: int = Field(default=30, ge=5, le=3600)
    reconnect_min_s: float = Field(default=0.2, gt=0.0)
    reconnect_max_s: float = Field(default=1.5, gt=0.0)
    # `state` goes out at most this often (dashboards read `ends_at`, not a countdown).
    state_interval_s: float = Field(default=0.25, ge=0.0)
    max_command_bytes: int = Field(default=4096, ge=64)

    @field_validator("url")
    @classmethod
    def _plain_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ValueError(
                "the MQTT URL must look like mqtt://HOST[:PORT] or mqtts://HOST[:PORT]"
            )
        if parts.username is not None or parts.password is not None:
            raise ValueError("put the MQTT user and password in their own fields, not the URL")
        return url

    @field_validator("hub_id")
    @classmethod
    def _safe_hub_id(cls, hub_id: str) -> str:
        if topic_safe(hub_id) != hub_id:
            raise ValueError(
                f"hub id '{hub_id}' may use only a-z, 0-9, '_' and '-' (try '{topic_safe(hub_id)}')"
            )
        return hub_id

    @field_validator("base_topic", "discovery_prefix")
    @classmethod
    def _topic_prefix(cls, prefix: str) -> str:
        if not prefix or prefix.startswith("/") or prefix.endswith("/") or set(prefix) & set("#+"):
            raise ValueError(f"'{prefix}' is not a usable topic prefix")
        return prefix

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> Self:
        """Settings from `mqtt[s]://[user[:password]@]host[:port]`; raises ConfigError.

        User and password in the URL are moved to their fields (percent-decoded); values in
        `overrides` (from the config file) win over the URL's.
        """
        shown = redact_url(url)
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise ConfigError(f"the MQTT URL {shown} has a bad port") from None
        if parts.scheme not in SCHEMES:
            raise ConfigError(
                f"the MQTT URL {shown} must start with mqtt:// or mqtts:// (mqtts for TLS)"
            )
        if not parts.hostname:
            raise ConfigError(f"the MQTT URL {shown} names no broker host")
        if not _HOST.fullmatch(parts.hostname):
            raise ConfigError(
                f"the MQTT URL {shown} has a bad host name (letters, digits, dots and hyphens, "
                "or an address)"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ConfigError(f"the MQTT URL {shown} must not have a path or query")
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        fields: dict[str, Any] = {"url": f"{parts.scheme}://{host}:{port or SCHEMES[parts.scheme]}"}
        if parts.username is not None:
            fields["username"] = unquote(parts.username)
        if parts.password is not None:
            fields["password"] = SecretStr(unquote(parts.password))
        fields.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**fields)
        except ValueError as exc:
            raise ConfigError(f"MQTT settings for {shown}: {_first_problem(exc)}") from None

    # -- derived ---------------------------------------------------------------------

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or SCHEMES[parts.scheme]

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts"

    @property
    def display_url(self) -> str:
        """The broker as logs show it: the user but never the password."""
        parts = urlsplit(self.url)
        user = f"{self.username}@" if self.username else ""
        return f"{parts.scheme}://{user}{parts.netloc}"

    @property
    def hub_topic(self) -> str:
        return f"{self.base_topic}/{self.hub_id}"

    @property
    def discovery_topic(self) -> str:
        return f"{self.discovery_prefix}/device/backstretch_{self.hub_id}/config"


def _first_problem(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            first = found[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            message = str(first.get("msg", exc)).removeprefix("Value error, ")
            return f"{where}: {message}" if where else message
    return str(exc)
