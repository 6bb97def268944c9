"""mpy-cross, MicroPython's compiler, accepts every file of the reference firmware.

It refuses syntax MicroPython lacks, which CPython and the linters accept. The compiled
core is then imported in MicroPython as a board has it (a top-level `core` package of
.mpy files) and its memory measured: the figure the README gives for a flashed board.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.firmware.micropython import FIRMWARE, MicroPython, node_or_skip

SOURCES = sorted(FIRMWARE.rglob("*.py"))


def compile_mpy(source: Path, target: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mpy_cross", "-o", str(target), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_firmware_has_its_core_and_board_glue() -> None:
    names = {p.relative_to(FIRMWARE).as_posix() for p in SOURCES}
    assert {"main.py", "core/device.py", "core/runtime.py", "puck/ble.py"} <= names


@pytest.mark.parametrize(
    "source", SOURCES, ids=[p.relative_to(FIRMWARE).as_posix() for p in SOURCES]
)
def test_mpy_cross_compiles(source: Path, tmp_path: Path) -> None:
    target = tmp_path / source.with_suffix(".mpy").name
    result = compile_mpy(source, target)
    assert result.returncode == 0, result.stderr
    assert target.stat().st_size > 0


def test_mpy_cross_refuses_what_micropython_cannot_run(tmp_path: Path) -> None:
    # A check that would pass anything proves nothing: PEP 695 generics are CPython-only.
    source = tmp_path / "generic.py"
    source.write_text("class Box[T]:\n    pass\n", encoding="utf-8")
    result = compile_mpy(source, tmp_path / "generic.mpy")
    assert result.returncode != 0
    assert "SyntaxError" in result.stderr


@pytest.fixture(scope="module")
def compiled_micropython(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MicroPython]:
    node = node_or_skip()
    out = tmp_path_factory.mktemp("mpy") / "core"
    out.mkdir()
    for source in sorted((FIRMWARE / "core").glob("*.py")):
        assert compile_mpy(source, out / source.with_suffix(".mpy").name).returncode == 0
    runner = MicroPython(node, extra=(f"{out}=/lib/core",))
    try:
        yield runner
    finally:
        runner.close()


def test_the_compiled_core_imports_as_on_a_board(compiled_micropython: MicroPython) -> None:
    figures = compiled_micropython.result(
        "import gc, json\n"
        "gc.collect()\n"
        "start = gc.mem_alloc()\n"
        "from core import battery, button, codec, device, runtime\n"
        "gc.collect()\n"
        "print(json.dumps({'imports': gc.mem_alloc() - start, 'file': codec.__file__}))\n"
    )
    print(figures)  # the README's figure for .mpy files (pytest -s shows it)
    assert figures["file"].endswith(".mpy")
    assert figures["imports"] < 40_000
