"""bumble swallows exceptions raised in event handlers: ours log them before they vanish."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec

__all__ = ["logged"]

logger = logging.getLogger(__name__)

P = ParamSpec("P")


def logged(handler: Callable[P, None]) -> Callable[P, None]:
    """`handler`, with any exception logged with its traceback instead of lost."""

    @functools.wraps(handler)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            handler(*args, **kwargs)
        except Exception:
            logger.exception("error in BLE event handler %s", handler.__qualname__)

    return wrapper
