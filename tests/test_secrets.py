"""A password planted in every way a broker URL or password can reach the hub never comes out.

Each case runs a real command (in-process through `main`, or `run` as its own process) with
the most verbose logging, and greps everything it printed and logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

import pytest

from companion.cli import main

SECRET = "Pw9-planted-secret"

# Well-formed but unreachable (port 1), then malformed in every way we could think of.
URLS = {
    "unreachable": f"mqtt://ann:{SECRET}@127.0.0.1:1",
    "wrong scheme": f"htp://ann:{SECRET}@broker.lan",
    "bad port": f"mqtt://ann:{SECRET}@broker.lan:99x",
    "port out of range": f"mqtt://ann:{SECRET}@broker.lan:99999",
    "stray character": f"mqtt://ann:{SECRET}@bro ker.lan",
    "host forgotten": f"mqtt://ann:{SECRET}",
    "no host after @": f"mqtt://ann:{SECRET}@",
    "no scheme": f"ann:{SECRET}@broker.lan",
    "a path": f"mqtt://ann:{SECRET}@broker.lan/topic?x=1",
    "slash and at in it": f"mqtt://ann:a/{SECRET}@b@broker.lan",
    "control character": f"mqtt://ann:{SECRET}\x1b[2J@broker.lan",
}
MALFORMED = {name: url for name, url in URLS.items() if name != "unreachable"}


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.upper().startswith("BACKSTRETCH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    config = tmp_path / "config" / "backstretch" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('hub_id = "secrets"\n', encoding="utf-8")
    return config


def run_main(
    argv: list[str], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> tuple[int, str]:
    caplog.set_level(logging.DEBUG)
    code = main(["-v", *argv])
    out, err = capsys.readouterr()
    logged = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    return code, out + err + logged


def assert_hidden(output: str) -> None:
    assert SECRET not in output
    assert "Traceback" not in output


@pytest.mark.parametrize("url", URLS.values(), ids=URLS.keys())
def test_mqtt_forget_on_the_command_line(
    url: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    code, output = run_main(["mqtt", "forget", "--mqtt", url, "--hub-id", "x"], capsys, caplog)
    assert code == 1
    assert "backstretch: error: " in output
    assert_hidden(output)


@pytest.mark.parametrize("url", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("command", ["session", "tui"])
def test_a_bad_url_on_the_command_line(
    command: str, url: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    args = ["one-minute-back"] if command == "session" else []
    code, output = run_main([command, *args, "--sim", "--mqtt", url], capsys, caplog)
    assert code == 1
    assert "backstretch: error: " in output
    assert_hidden(output)


def test_a_session_mirrored_on_an_unreachable_broker(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    argv = ["session", "one-minute-back", "--sim", "--speed", "40", "--exercise", "sphinx"]
    code, output = run_main([*argv, "--mqtt", URLS["unreachable"], "--json"], capsys, caplog)
    # The session does not need the broker; the broker's absence is said, without the secret.
    assert code == 0
    assert "127.0.0.1:1" in output
    assert_hidden(output)


@pytest.mark.parametrize("url", URLS.values(), ids=URLS.keys())
def test_config_check_with_the_url_in_the_file(
    url: str,
    private_dirs: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    private_dirs.write_text(f"[mqtt]\nurl = {json.dumps(url)}\n", encoding="utf-8")
    _code, output = run_main(["config", "check"], capsys, caplog)
    assert_hidden(output)


@pytest.mark.parametrize("url", URLS.values(), ids=URLS.keys())
def test_config_check_with_the_url_in_the_environment(
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("BACKSTRETCH_MQTT__URL", url)
    _code, output = run_main(["config", "check"], capsys, caplog)
    assert_hidden(output)


@pytest.mark.parametrize(
    "password",
    [json.dumps(SECRET), f"[{json.dumps(SECRET)}]", f"{{ value = {json.dumps(SECRET)} }}"],
    ids=["a string", "a list", "a table"],
)
def test_a_password_field_of_any_shape_in_the_file(
    password: str,
    private_dirs: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A bad neighbour too, so that the file is refused with the password in it.
    private_dirs.write_text(
        f'[mqtt]\nurl = "mqtt://127.0.0.1:1"\npassword = {password}\nbase_topic = "a/#"\n',
        encoding="utf-8",
    )
    code, output = run_main(["config", "check"], capsys, caplog)
    assert code == 1
    assert_hidden(output)


def test_a_password_in_the_environment_with_a_bad_table(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("BACKSTRETCH_MQTT", json.dumps({"password": SECRET, "url": 5}))
    code, output = run_main(["config", "check"], capsys, caplog)
    assert code == 1
    assert_hidden(output)


async def test_the_daemon_with_the_secret_in_file_and_environment(
    tmp_path: Path, private_dirs: Path
) -> None:
    """`run` as a process: the URL's password in the file, another in the environment; it
    tries the unreachable broker, logs that, and stops on SIGINT. Nothing shows either."""
    text = f'hub_id = "secrets"\n[mqtt]\nurl = "{URLS["unreachable"]}"\n'
    await asyncio.to_thread(private_dirs.write_text, text, encoding="utf-8")
    env = {**os.environ, "BACKSTRETCH_MQTT__PASSWORD": SECRET + "-env"}
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "companion", "-vv", "run", "--sim"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert process.stderr is not None
    seen: list[str] = []
    async with asyncio.timeout(30):
        while not any("MQTT" in line and "127.0.0.1:1" in line for line in seen):
            line = (await process.stderr.readline()).decode()
            assert line, "".join(seen)
            seen.append(line)
    process.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(process.communicate(), 20)
    output = "".join(seen) + out.decode() + err.decode()
    assert process.returncode == 0, output
    assert_hidden(output)
