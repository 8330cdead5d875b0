"""What every command shares: the one vocabulary of options, output formats, writing output, one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from classifier.errors import ClassifierError, Terminated

try:  # the click that Typer runs on: its own copy in the Typer versions that vendor it
    from typer._click import exceptions as _click_exceptions
except ImportError:  # pragma: no cover - a Typer on the click package
    from click import exceptions as _click_exceptions
UsageError = _click_exceptions.UsageError
#: A group called without a command, its help shown (click 8.2 and later; before, ``()`` catches nothing)
_HELP_SHOWN: Any = getattr(_click_exceptions, "NoArgsIsHelpError", ())


class Format(StrEnum):
    """Output formats; each command accepts the subset its help names."""

    table = "table"
    json = "json"
    jsonl = "jsonl"
    markdown = "markdown"
    parquet = "parquet"


# --- the options every command spells the same way ------------------------------------------

PathsArg = Annotated[list[str], typer.Argument(help="Files (.txt one article, .jsonl one a line), directories, or -.")]
ModelOpt = Annotated[
    Path | None, typer.Option("--model", "-m", help="Model directory or version; default: the store's default.")
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Say on stderr how each input was read (e.g. its encoding).")
]
TrustPickleOpt = Annotated[
    bool,
    typer.Option(
        "--trust-pickle", help="Also load a model of an old format (a pickle, which can run code): only one you trust."
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file (atomically: all or nothing); default: stdout."),
]
FormatOpt = Annotated[
    Format | None, typer.Option("--format", "-f", help="Output format; default: table on a terminal, else JSON lines.")
]
TopOpt = Annotated[int | None, typer.Option("--top", "-k", min=1, help="At most K topics per article.")]
FoldsOpt = Annotated[int, typer.Option("--folds", min=2, help="Folds of the cross-validation.")]
LabelsOpt = Annotated[
    list[Path] | None, typer.Option("--labels", "-l", help="Label file or directory (repeatable); default: labels/.")
]
LabelStoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--label-store",
        help="The label file new decisions go to (its journal in journal/ beside it); default: labels/new_labels.jsonl.",
    ),
]
UnlabelledOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--unlabelled",
        "-u",
        help="Unlabelled news to self-train on (JSONL/JSON/text file or directory, repeatable; the newest 2000 "
        "are used; any topics in them are ignored).",
    ),
]
TaxonomyOpt = Annotated[Path | None, typer.Option("--taxonomy", help="Taxonomy TOML; default: labels/taxonomy.toml.")]
OwnTopicsOpt = Annotated[
    bool,
    typer.Option(
        "--own-topics", help="Train on the topics the labels use (no taxonomy term lists), not the taxonomy's."
    ),
]
TestOpt = Annotated[Path | None, typer.Option("--test", "-t", help="A labelled JSONL to score on.")]
AnnotatorOpt = Annotated[str | None, typer.Option("--annotator", "-a", help="Who is labelling; default: $USER.")]


def choose_format(given: Format | None, allowed: Iterable[Format], output: Path | None) -> Format:
    """The format to write: the one asked for (refused if the command has no such format), else
    a table on a terminal and JSON lines (or the command's first machine format) otherwise."""
    allowed = list(allowed)
    if given is not None:
        if given not in allowed:
            raise ClassifierError(f"--format {given.value}: choose one of {', '.join(f.value for f in allowed)}")
        return given
    if output is None and stdout_is_terminal() and Format.table in allowed:
        return Format.table
    return Format.jsonl if Format.jsonl in allowed else next(f for f in allowed if f != Format.table)


# --- output --------------------------------------------------------------------------------


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def write_lines(lines: Iterable[str], output: Path | None) -> None:
    """Write lines to stdout as they come, or to ``output`` atomically (all or nothing)."""
    if output is None:
        for line in lines:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
        return
    from classifier.files import atomic_writer

    with atomic_writer(output) as out:
        for line in lines:
            out.write(line + "\n")


def json_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One compact JSON object a line (UTF-8 kept readable)."""
    return map(json_line, records)


def json_line(record: dict[str, Any]) -> str:
    """One record as a compact JSON line (UTF-8 kept readable)."""
    return json.dumps(record, ensure_ascii=False)


def json_array(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The lines of ``json.dumps(list(records), indent=2)``, one record at a time (held back one, for its comma)."""
    previous = None
    for record in records:
        yield "[" if previous is None else previous + ","
        previous = "  " + json.dumps(record, ensure_ascii=False, indent=2).replace("\n", "\n  ")
    if previous is None:
        yield "[]"
    else:
        yield previous
        yield "]"


def json_document(value: Any) -> str:
    """A whole JSON document, indented for people."""
    return json.dumps(value, ensure_ascii=False, indent=2)


def echo(message: str) -> None:
    typer.echo(message)


def note(message: str) -> None:
    """A line for the person at the terminal (stderr), kept out of piped output."""
    typer.echo(message, err=True)


# --- errors --------------------------------------------------------------------------------


def set_verbose(verbose: bool) -> None:
    """With ``--verbose``, the library's informational messages go to stderr, one line each."""
    if verbose:
        import logging

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger = logging.getLogger("classifier")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr, then exit ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def report_errors(run: Any) -> Any:
    """Run a command; turn expected failures into one line on stderr and a non-zero exit, never a traceback."""
    try:
        return run()
    except ClassifierError as error:
        fail(str(error))
    except _HELP_SHOWN:
        raise  # a group called alone: its help is the answer
    except UsageError as error:
        # a mistyped option or value: one line as for every other error (Typer would draw a box),
        # with the exit status 2 of usage errors
        where = f" (see `{error.ctx.command_path} --help`)" if error.ctx is not None else ""
        fail(f"{error.format_message()}{where}", 2)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Terminated:
        fail("terminated", 143)
    except BrokenPipeError:
        # The reader (e.g. `head`) went away: stop quietly, as Unix tools do.
        sys.stderr.close()
        raise typer.Exit(0) from None
    except OSError as error:
        # A file we could not write or read (no space, a directory in the way, permissions).
        fail(f"{error.filename or 'I/O'}: {error.strerror or error}")


def raise_terminated(signum: int, frame: Any) -> None:
    """The SIGTERM handler: unwind as Ctrl-C does (see :class:`~classifier.errors.Terminated`)."""
    raise Terminated


def one_line_warning(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """``warnings.showwarning`` for the CLI: ``warning: message`` on one line of stderr."""
    typer.echo(f"warning: {message}", err=True)


def reflow_help(command: Any) -> None:
    """Join the lines of each paragraph of ``command``'s help (and its subcommands'), in place.

    Typer's rich help rewraps the first paragraph of a docstring but prints the later ones with
    their source line breaks, which then fall mid-sentence at any terminal width. A paragraph that
    starts with ``\\b`` (click's mark for "keep as written") and anything after ``\\f`` are kept.
    """
    text = getattr(command, "help", None)
    if text:
        import inspect

        shown, cut, hidden = inspect.cleandoc(text).partition("\f")
        paragraphs = [p if p.startswith("\b") else " ".join(p.split("\n")) for p in shown.split("\n\n")]
        command.help = "\n\n".join(paragraphs) + cut + hidden
    for sub in getattr(command, "commands", {}).values():
        reflow_help(sub)
