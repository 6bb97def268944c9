"""The hub's typed errors. Each carries a message a person can act on."""


class HubError(Exception):
    """Base of the hub's own errors: the CLI prints the message, never a traceback."""


class DeviceError(HubError):
    """A wearable could not be found, connected to, or spoken to."""


class DeviceNotFoundError(DeviceError):
    """No wearable matched what was asked for."""


class ConfigError(HubError):
    """A configuration file or value is wrong."""


class SessionError(HubError):
    """A session could not be started or controlled as asked."""
