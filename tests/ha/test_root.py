"""The root builder's pure parts: apt sources, pip settings, the command it runs, the log.

These need no root and run with `make test`.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from tests.ha import root as root_module
from tests.ha.hass import LogRecord, our_problems, parse_log
from tests.ha.root import (
    CONFIG_DIR,
    PIP_CA,
    Bind,
    HaRoot,
    MissingToolError,
    NotRootError,
    RootSpec,
    Tools,
    check_prerequisites,
    debian_mirror,
    default_cache_dir,
    host_debian_mirror,
    parse_deb822_sources,
    parse_one_line_sources,
    parse_pip_config_list,
    pip_settings_from,
)

DEB822 = """\
Types: deb
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


def test_the_mirror_is_the_main_archive_of_the_hosts_release() -> None:
    sources = parse_deb822_sources(DEB822)
    assert debian_mirror(sources, "bookworm") == "http://mirror.example/debian"
    assert debian_mirror(sources, "trixie") is None


def test_security_disabled_and_source_entries_are_not_mirrors() -> None:
    sources = parse_deb822_sources(
        "Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n\n"
        "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n"
    )
    sources += parse_one_line_sources(
        "deb http://security.example/debian-security bookworm-security main\n"
        "# deb http://commented.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main contrib\n"
    )
    assert debian_mirror(sources, "bookworm") == "http://one.example/debian"


def test_the_mirror_is_read_from_the_hosts_apt_sources(tmp_path: Path) -> None:
    (tmp_path / "apt/sources.list.d").mkdir(parents=True)
    (tmp_path / "os-release").write_text('ID=debian\nVERSION_CODENAME="bookworm"\n')
    (tmp_path / "apt/sources.list.d/debian.sources").write_text(DEB822)
    (tmp_path / "apt/sources.list.d/other.list.disabled").write_text(
        "deb http://elsewhere.example/debian bookworm main\n"
    )
    assert host_debian_mirror(tmp_path) == "http://mirror.example/debian"


def test_pip_settings_take_the_environment_over_the_files() -> None:
    listed = (
        "global.index-url='https://files.example/simple'\n"
        "global.timeout='15'\n"
        ":env:.timeout='180'\n"
        "install.trusted-host='files.example'\n"
        "global.constraint='/etc/pip-constraints.txt'\n"
    )
    assert parse_pip_config_list(listed) == {
        "index-url": "https://files.example/simple",
        "timeout": "180",
        "trusted-host": "files.example",
        "constraint": "/etc/pip-constraints.txt",
    }


def test_pip_settings_for_the_root(tmp_path: Path) -> None:
    index = tmp_path / "pypi/simple"
    index.mkdir(parents=True)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    cert = tmp_path / "ca.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = pip_settings_from(
        {
            "index-url": "https://user:secret@files.example/simple",
            "extra-index-url": f"file://{index} file://{tmp_path}/missing/simple",
            "find-links": str(wheels),
            "cert": str(cert),
            # The host's own constraints are not about where packages come from.
            "constraint": "/etc/pip-constraints.txt",
        }
    )
    assert settings.env == {
        "PIP_INDEX_URL": "https://user:secret@files.example/simple",
        "PIP_EXTRA_INDEX_URL": f"file://{index}",
        "PIP_FIND_LINKS": str(wheels),
        "PIP_CERT": str(PIP_CA),
    }
    # A local index's files lie beside its simple/ folder: the repository is bound.
    assert settings.local_dirs == (tmp_path / "pypi", wheels)
    assert settings.cert == cert
    assert "secret" not in settings.describe()
    assert settings.describe() == "cert, extra-index-url, find-links, index-url"


def test_a_run_sees_the_root_read_only_in_a_namespace_of_its_own() -> None:
    tools = Tools("/usr/sbin/debootstrap", "/usr/bin/unshare", "/usr/sbin/chroot", "/setpriv")
    root = HaRoot(Path("/cache/trixie"), RootSpec(), tools)
    command = root.command(
        [root.hass, "-c", str(CONFIG_DIR)],
        binds=[Bind(Path("/tmp/config"), CONFIG_DIR, read_only=False)],
        env={"TZ": "UTC"},
    )
    assert command[:4] == ["/setpriv", "--pdeathsig", "KILL", "--"]
    assert command[4:9] == ["/usr/bin/unshare", "--mount", "--propagation", "private", "--"]
    tail = command[command.index("/cache/trixie") :]
    assert tail[:6] == ["/cache/trixie", "ro", "/tmp/config", "/config", "rw", "--"]
    assert tail[6:10] == ["/usr/sbin/chroot", "/cache/trixie", "/usr/bin/env", "-i"]
    assert "TZ=UTC" in tail
    assert tail[-3:] == ["/opt/homeassistant/bin/hass", "-c", "/config"]


def test_the_spec_and_the_cache_follow_the_environment() -> None:
    spec = RootSpec.from_environment({"HA_TEST_VERSION": "2026.2.1"})
    assert (spec.suite, spec.ha_version, spec.key) == ("trixie", "2026.2.1", "trixie-ha2026.2.1")
    assert default_cache_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/backstretch/ha-root")
    assert PurePosixPath(CONFIG_DIR).is_absolute()


def test_the_log_check_keeps_to_our_loggers_and_entities() -> None:
    log = parse_log(
        "2026-03-02 15:00:00.100 WARNING (MainThread) [homeassistant.bootstrap] "
        "Skipping pip installation of required modules\n"
        "2026-03-02 15:00:01.200 ERROR (MainThread) [homeassistant.helpers.template] "
        "Template variable error: 'value_json' is undefined\n"
        "Traceback (most recent call last):\n"
        "  File x\n"
        "2026-03-02 15:00:02.300 WARNING (MainThread) [homeassistant.components.mqtt.discovery] "
        "No device components to cleanup for backstretch_x\n"
        "2026-03-02 15:00:03.400 WARNING (MainThread) [homeassistant.components.sensor] "
        "Entity sensor.backstretch_x_session is sending bad data\n"
        "2026-03-02 15:00:04.500 INFO (MainThread) [homeassistant.components.mqtt] fine\n"
    )
    assert len(log) == 5
    assert log[1].message.endswith("  File x")
    problems = our_problems(log, allowed=("No device components to cleanup",))
    assert [p.logger for p in problems] == [
        "homeassistant.helpers.template",
        "homeassistant.components.sensor",
    ]
    assert str(LogRecord("ERROR", "a.b", "m")) == "ERROR [a.b] m"


def test_without_root_or_debootstrap_it_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(NotRootError, match="need root"):
        check_prerequisites()
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(root_module, "_which", lambda name: None if name == "debootstrap" else name)
    with pytest.raises(MissingToolError, match="debootstrap not installed"):
        check_prerequisites()
