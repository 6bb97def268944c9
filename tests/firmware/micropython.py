"""Drives MicroPython's WebAssembly port (in Node.js) from the tests: one process, many runs.

`run_micropython.mjs` loads the port once and copies the firmware's core into its file
system; each `run` sends it Python source and returns what that printed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIRMWARE = ROOT / "firmware_protocol" / "micropython"
RUNNER = HERE / "run_micropython.mjs"
PACKAGE = HERE / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"

# The core where CPython has it (so the test helpers import it the same way in both), and
# the helpers that turn its messages into the fields vectors.json records.
LAYOUT = (
    "=/lib/firmware_protocol/__init__.py",
    f"{FIRMWARE / '__init__.py'}=/lib/firmware_protocol/micropython/__init__.py",
    f"{FIRMWARE / 'core'}=/lib/firmware_protocol/micropython/core",
    "=/lib/tests/__init__.py",
    "=/lib/tests/firmware/__init__.py",
    f"{HERE / 'fields.py'}=/lib/tests/firmware/fields.py",
    f"{HERE / 'outcomes.py'}=/lib/tests/firmware/outcomes.py",
    f"{HERE / 'exchange.py'}=/lib/tests/firmware/exchange.py",
    f"{ROOT / 'firmware_protocol' / 'vectors.json'}=/vectors.json",
)


class MicroPythonError(Exception):
    """The code raised inside MicroPython; the message is its traceback."""


def node_or_skip() -> str:
    """The node binary, when it and the npm package are installed; else skip (fail in CI)."""
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "Node.js is not installed (`make test` installs it)"
    elif not PACKAGE.is_dir():
        missing = "MicroPython's WebAssembly port is not installed (`make micropython`)"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    assert node is not None
    return node


class MicroPython:
    """One MicroPython; `extra` maps more files into it (`SOURCE=TARGET`, as LAYOUT)."""

    def __init__(self, node: str, extra: tuple[str, ...] = ()) -> None:
        self._process = subprocess.Popen(
            [node, str(RUNNER), *LAYOUT, *extra],
            cwd=HERE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, code: str) -> str:
        """Runs `code` (a module body) and returns what it printed."""
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None
        assert stdout is not None
        stdin.write(json.dumps({"code": code}) + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise MicroPythonError(f"the MicroPython runner exited ({self._process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        if not answer["ok"]:
            raise MicroPythonError(answer["error"])
        out: str = answer["out"]
        return out

    def result(self, code: str) -> Any:
        """Runs `code` and decodes the JSON it printed on its last line."""
        return json.loads(self.run(code).splitlines()[-1])

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
