"""MicroPython (its WebAssembly port, in Node.js) with the reference firmware's core loaded.

One runner per test module. Without Node.js or the npm package the tests skip, except in
CI (`CI=true`), where that is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.firmware.micropython import MicroPython, node_or_skip


@pytest.fixture(scope="module")
def micropython() -> Iterator[MicroPython]:
    runner = MicroPython(node_or_skip())
    try:
        yield runner
    finally:
        runner.close()
