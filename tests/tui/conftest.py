"""TUI test fixtures: clean environment, a state dir per test, hubs with and without a radio."""

from __future__ import annotations

import os

# Textual and Rich read these when they start: a test must not inherit a person's terminal.
for _name in ("NO_COLOR", "TEXTUAL_THEME", "TEXTUAL_ANIMATIONS", "FORCE_COLOR"):
    os.environ.pop(_name, None)

from collections.abc import AsyncIterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from companion.devices.radio import Radio, open_radio  # noqa: E402
from companion.hub import Hub  # noqa: E402
from companion.tui.notice import NoticeStore  # noqa: E402
from routines import load_library  # noqa: E402
from simulator import SimOptions  # noqa: E402


@pytest.fixture(autouse=True)
def xdg_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return state


@pytest.fixture
def dismissed_notice(tmp_path: Path) -> NoticeStore:
    store = NoticeStore(tmp_path / "notice")
    store.dismiss()
    return store


@pytest.fixture
async def sim_hub() -> AsyncIterator[tuple[Hub, Radio]]:
    """A hub connected to one in-process simulated wearable over the bumble virtual link."""
    hub = Hub(load_library(None))
    async with open_radio(sim=[SimOptions()]) as radio:
        try:
            await hub.connect(radio, timeout=10.0)
            yield hub, radio
        finally:
            await hub.close()
