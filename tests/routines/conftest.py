"""Fixtures: a private XDG config home, so user routines are tested for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from routines import BUNDLED_ROUTINES_DIR


@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``$XDG_CONFIG_HOME/backstretch/routines`` in a temporary directory, created empty."""
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    directory = config / "backstretch" / "routines"
    directory.mkdir(parents=True)
    return directory


def bundled_text(routine_id: str) -> str:
    return (BUNDLED_ROUTINES_DIR / f"{routine_id}.toml").read_text("utf-8")
