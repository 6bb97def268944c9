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


class TransientLinkError(DeviceError):
    """A connection failed for a reason that may pass (out of range, a timeout, the
    adapter gone for a moment): the supervisor tries again."""


class PermanentLinkError(DeviceError):
    """A connection can never work as things are (not a backstretch wearable, an
    unsupported profile, pairing refused): the supervisor says why and stops."""
