"""Every command's --help shows its whole description, joined into paragraphs that wrap to the terminal.

The help is rendered as Markdown (typer's rich_markup_mode): a docstring's hard line breaks no longer cut
sentences in the middle at other widths, but text that looks like an HTML tag (``<MEASURE>``) would vanish.
Each word of each command's docstring and option help must therefore reach the rendered help.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from qae.cli import app

WORD = re.compile(r"[A-Za-z0-9]+")


def _commands() -> list[tuple[list[str], Any]]:
    root = typer.main.get_command(app)
    found: list[tuple[list[str], Any]] = []

    def walk(path: list[str], cmd: Any) -> None:
        if hasattr(cmd, "commands"):  # a group (typer ships its own click: no isinstance against click's)
            for name, sub in sorted(cmd.commands.items()):
                walk([*path, name], sub)
        else:
            found.append((path, cmd))

    walk([], root)
    return found


COMMANDS = _commands()


def _help(path: list[str], width: int) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=width, env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.output


def _description(output: str) -> list[str]:
    """The lines between the usage line and the first box (arguments, options), stripped."""
    lines = output.splitlines()
    first = next(i for i, line in enumerate(lines) if "Usage:" in line) + 1
    end = next(i for i, line in enumerate(lines) if line.lstrip().startswith("╭"))
    return [line.strip() for line in lines[first:end]]


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_help_shows_the_whole_description_and_every_option_help(path: list[str], cmd: Any) -> None:
    output = _help(path, 100)
    assert WORD.findall(cmd.help or "") == WORD.findall(" ".join(_description(output)))
    shown = " ".join(WORD.findall(output.replace("│", " ")))
    for param in cmd.params:
        words = " ".join(WORD.findall(getattr(param, "help", None) or ""))
        assert words in shown, f"qae {' '.join(path)} --help: the help of {param.name} lost words"


@pytest.mark.parametrize("width", [70, 100, 140])
def test_paragraphs_are_filled_to_the_terminal_width(width: int) -> None:
    for path, _ in COMMANDS:
        paragraphs: list[list[str]] = [[]]
        for line in _description(_help(path, width)):
            if line:
                paragraphs[-1].append(line)
            elif paragraphs[-1]:
                paragraphs.append([])
        for para in paragraphs:
            # no line of a paragraph is cut short where the docstring happened to break it: the next
            # line's first word would not have fitted (greedy filling, as the terminal wraps)
            short = [line for line, after in zip(para[:-1], para[1:], strict=True)
                     if len(line) + 1 + len(after.split()[0]) <= width - 4]
            assert not short, f"qae {' '.join(path)} --help at {width} columns: {short}"
