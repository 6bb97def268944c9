"""Log set-up for every command: readable lines on stderr, more with each -v."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def configure_logging(verbosity: int) -> None:
    """0: warnings; 1 (-v): what the hub does; 2 (-vv): debug, bumble included."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    logging.basicConfig(level=level, format=FORMAT, datefmt="%H:%M:%S")
    # bumble logs benign races (an HCI event for a link just closed) as warnings.
    logging.getLogger("bumble").setLevel(logging.DEBUG if verbosity >= 2 else logging.ERROR)
