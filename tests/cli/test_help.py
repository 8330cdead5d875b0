"""`--help`: every command's prose reads as sentences, not as its docstring's source lines."""

from __future__ import annotations

import re

import pytest

COMMANDS = [["drift"], ["evaluate"], ["serve"], ["suggest"], ["labels", "review"], ["models", "compare"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_paragraphs_are_wrapped_to_the_terminal_not_to_the_source(invoke, command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    prose = result.stdout.split("╭")[0]  # the text before the first panel of options
    lines = [line.strip() for line in prose.splitlines()[2:]]  # after the usage line
    for before, after in zip(lines, lines[1:], strict=False):
        # Rich fills a line up to the width before it breaks, so a short line followed by more of
        # the same paragraph is a line break of the docstring's source
        if before and after and not re.match(r"(Formats|Keys):", after):
            assert len(before) > 60, f"{' '.join(command)} --help breaks a line early: {before!r} / {after!r}"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["tag", "x.txt", "--top", "0"], "'--top'"),
        (["tag", "x.txt", "--no-such-option"], "--no-such-option"),
        (["--no-such-option"], "--no-such-option"),
        (["labels", "add", "some-id", "--topic", "economy"], "--topics"),
        (["tag"], "Missing argument"),
    ],
)
def test_usage_errors_are_one_line_with_exit_status_2(invoke, args: list[str], words: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], result.stderr
    assert "--help" in lines[0]


def test_a_group_called_alone_shows_its_help(invoke) -> None:
    result = invoke("models")
    assert result.exit_code == 2
    assert "compare" in result.stdout + result.stderr and "error:" not in result.stderr
