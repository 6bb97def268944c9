"""The dependency rules of the layout (README, Layout), checked on the source so they stay true."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(directory: Path) -> dict[Path, set[str]]:
    found: dict[Path, set[str]] = {}
    for path in sorted(directory.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[path] = names
    return found


# The reference firmware's board glue runs in MicroPython, whose asyncio it uses; the rules
# for it are in test_firmware_core_imports_only_itself_and_micropython.
MICROPYTHON_GLUE = ROOT / "firmware_protocol" / "micropython" / "puck"


def offenders(directory: Path, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(directory.parent).as_posix()} imports {name}"
        for path, names in imported_modules(directory).items()
        for name in sorted(names)
        if (name.split(".")[0] in forbidden or name in forbidden)
        and not path.is_relative_to(MICROPYTHON_GLUE)
    ]


def test_firmware_core_imports_only_itself_and_micropython() -> None:
    """The core runs in MicroPython too: its imports are relative, or `struct`; the glue
    adds MicroPython's own modules and never reaches the CPython package around it."""
    firmware = ROOT / "firmware_protocol" / "micropython"
    # collections.abc is imported for annotations only, under `if TYPE_CHECKING:` (False).
    allowed = {
        "core": {"struct", "collections.abc"},
        "puck": {"asyncio", "gc", "time", "machine", "aioble", "bluetooth", "collections.abc"},
    }
    wrong = []
    for part, modules in allowed.items():
        for path, names in imported_modules(firmware / part).items():
            wrong += [f"{path.name} imports {name}" for name in sorted(names - modules)]
    assert wrong == []


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("routines", ("companion", "simulator", "firmware_protocol", "bleak", "bumble", "asyncio")),
        ("firmware_protocol", ("companion", "simulator", "routines", "bleak", "bumble", "asyncio")),
        ("simulator", ("companion", "bleak", "textual", "aiomqtt")),
    ],
)
def test_lower_layers_do_not_import_upward(package: str, forbidden: tuple[str, ...]) -> None:
    assert offenders(ROOT / package, forbidden) == []


def test_only_tui_imports_textual_and_only_mqtt_imports_aiomqtt() -> None:
    wrong = []
    for path, names in imported_modules(ROOT / "companion").items():
        rel = path.relative_to(ROOT / "companion").as_posix()
        for name in names:
            top = name.split(".")[0]
            if top == "textual" and not rel.startswith("tui/"):
                wrong.append(f"{rel} imports textual")
            if top == "aiomqtt" and not rel.startswith("mqtt/"):
                wrong.append(f"{rel} imports aiomqtt")
            if top == "bleak" and not rel.startswith("devices/"):
                wrong.append(f"{rel} imports bleak")
    assert wrong == []


def test_services_never_import_the_tui_or_the_cli() -> None:
    wrong = []
    for path, names in imported_modules(ROOT / "companion").items():
        rel = path.relative_to(ROOT / "companion").as_posix()
        if rel.startswith(("cli/", "tui/")) or rel == "__main__.py":
            continue
        wrong += [
            f"{rel} imports {n}" for n in names if n.startswith(("companion.cli", "companion.tui"))
        ]
    assert wrong == []


def profile_packages() -> set[str]:
    """The device profiles: each a package under companion/devices with a `build` of links."""
    devices = ROOT / "companion" / "devices"
    return {
        f"companion.devices.{path.parent.name}"
        for path in devices.glob("*/__init__.py")
        if path.parent.name != "bumble_backend"
    }


def test_only_the_registry_knows_the_profiles() -> None:
    """No module outside a profile imports it, but the registry (and the profile's tests)."""
    profiles = profile_packages()
    assert "companion.devices.native" in profiles
    wrong = []
    for top in ("companion", "bench", "tests", "simulator"):
        for path, names in imported_modules(ROOT / top).items():
            rel = path.relative_to(ROOT).as_posix()
            if rel == "companion/devices/profiles.py":
                continue
            for package in profiles:
                if rel.startswith(package.replace(".", "/") + "/"):
                    continue
                # A profile's own tests (tests/<profile>/) may reach into its parts.
                if rel.startswith(f"tests/{package.rsplit('.', 1)[-1]}/"):
                    continue
                wrong += [
                    f"{rel} imports {name}"
                    for name in names
                    if name == package or name.startswith(package + ".")
                ]
    assert wrong == []


def test_a_violation_is_detected(tmp_path: Path) -> None:
    """The checker itself must be able to fail."""
    package = tmp_path / "simulator"
    package.mkdir()
    (package / "probe.py").write_text("import companion.hub\nfrom os import path\n", "utf-8")
    assert offenders(package, ("companion",)) == ["simulator/probe.py imports companion.hub"]
