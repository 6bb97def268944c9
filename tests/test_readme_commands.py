"""Every `backstretch ...` command the README (and docs/*.md) shows is one the CLI accepts.

Concrete commands (in shell code blocks, or inline as `backstretch routines show ID`-free
code) are parsed with the real parser, without running them. Synopses (with `[...]`, `|`,
`...` or an upper-case placeholder) are checked for their command and every option they
name.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from companion.cli import build_parser
from companion.cli.parsing import parse_command_line

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_FENCES = {"sh", "shell", "bash", "console"}
# A placeholder or a choice marks a synopsis, not a command to run.
SYNOPSIS = re.compile(r"[\[\]|…]|\.\.\.|\b[A-Z][A-Z_]{1,}\b")


def _shell_lines(text: str) -> list[str]:
    """Lines of shell code blocks: fenced ones tagged as shell, and indented ones."""
    lines: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            fence = None if fence is not None else stripped[3:].strip() or "text"
            continue
        if fence is not None:
            if fence in SHELL_FENCES:
                lines.append(line)
        elif line.startswith("    ") and stripped:
            lines.append(line)
    return lines


def _commands_in(line: str) -> list[str]:
    """`backstretch ...` commands on one shell line: at its start, after a `;`, or quoted
    whole inside another command (`tmux new-session '... backstretch demo'`)."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return []
    found: list[str] = []
    for index, word in enumerate(words):
        if word == "backstretch":
            rest = words[index:]
            end = rest.index(";") if ";" in rest else len(rest)
            found.append(shlex.join(rest[:end]))
            break
        if word.startswith("backstretch "):
            found.append(word)
    return found


def _inline_commands(text: str) -> list[str]:
    """Inline code spans that start with `backstretch ` (a span may wrap onto a new line)."""
    prose = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    spans = (" ".join(span.split()) for span in re.findall(r"`([^`]+)`", prose))
    return [span for span in spans if span.startswith("backstretch ")]


def collect() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(commands, synopses), each with where it was found."""
    commands: list[tuple[str, str]] = []
    synopses: list[tuple[str, str]] = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for line in _shell_lines(text):
            for command in _commands_in(line):
                target = synopses if SYNOPSIS.search(command) else commands
                target.append((doc.name, command))
        for span in _inline_commands(text):
            # A table cell escapes its pipes.
            command = span.replace("\\|", "|")
            target = synopses if SYNOPSIS.search(command) else commands
            target.append((doc.name, command))
    return commands, synopses


COMMANDS, SYNOPSES = collect()


def test_the_docs_show_commands_and_synopses() -> None:
    assert len(COMMANDS) >= 10
    assert len(SYNOPSES) >= 8


@pytest.mark.parametrize(("doc", "command"), COMMANDS, ids=[c for _, c in COMMANDS])
def test_each_command_parses(doc: str, command: str) -> None:
    argv = shlex.split(command)[1:]
    if argv in (["--help"], ["--version"]):
        # These print and exit 0: that is the command working.
        with pytest.raises(SystemExit) as exited:
            parse_command_line(build_parser(), argv)
        assert exited.value.code == 0
        return
    try:
        args = parse_command_line(build_parser(), argv)
    except SystemExit as exc:
        pytest.fail(f"{doc}: `{command}` does not parse (exit {exc.code})")
    assert getattr(args, "run", None) is not None, f"{doc}: `{command}` names no command"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


@pytest.mark.parametrize(("doc", "synopsis"), SYNOPSES, ids=[s for _, s in SYNOPSES])
def test_each_synopsis_names_a_command_and_its_options(doc: str, synopsis: str) -> None:
    parser = build_parser()
    words = synopsis.split()[1:]
    # The command path: words while they name a subcommand (`routines list | show ...`
    # names `routines`, then alternatives).
    path: list[str] = []
    parent = parser
    while words and words[0] in _subcommands(parser):
        path.append(words[0])
        parent, parser = parser, _subcommands(parser)[words.pop(0)]
    assert path, f"{doc}: `{synopsis}` names no command"
    # `routines list | show ID [--json]`: the options of any of the alternatives.
    parsers = [parser, *_subcommands(parent).values()] if " | " in synopsis else [parser]
    known = {option for p in parsers for action in p._actions for option in action.option_strings}
    for option in re.findall(r"(?<![\w-])--?[a-z][a-z0-9-]*", synopsis):
        assert option in known, f"{doc}: `{synopsis}`: `{' '.join(path)}` has no option {option}"
