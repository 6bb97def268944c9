"""Shared pieces: XDG directories in tmp, and the bundled routine library."""

from __future__ import annotations

from pathlib import Path

import pytest

from routines import RoutineLibrary, load_library


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG_CONFIG_HOME and XDG_STATE_HOME under tmp; no BACKSTRETCH_ variable leaks in."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("BACKSTRETCH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path


@pytest.fixture(scope="session")
def library() -> RoutineLibrary:
    return load_library(None)
