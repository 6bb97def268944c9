"""The backstretch hub: device links, session engine, scheduler, history, MQTT mirror, TUI, CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("backstretch")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
