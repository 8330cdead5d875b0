"""The ``classifier`` command line: one module per command group, each a thin layer over a library call.

The root group rewrites old spellings of commands and options (:mod:`classifier.cli._deprecated`)
and turns every expected failure into one line on stderr (:func:`classifier.cli._util.report_errors`).
"""

from __future__ import annotations

import signal
import warnings
from typing import Any

import typer
from typer.core import TyperGroup

from classifier.cli._deprecated import upgrade_arguments
from classifier.cli._params import install as install_plain_coercion
from classifier.cli._util import note, one_line_warning, raise_terminated, reflow_help, report_errors
from classifier.cli.drift import drift
from classifier.cli.evaluate import evaluate
from classifier.cli.labels import labels_app
from classifier.cli.models import models_app
from classifier.cli.serve import serve
from classifier.cli.split import split
from classifier.cli.suggest import suggest
from classifier.cli.tag import tag
from classifier.cli.train import train


class ClassifierGroup(TyperGroup):
    """The root command: old spellings upgraded (with a warning), failures reported in one line."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        install_plain_coercion(self, ctx)  # strings and paths converted without importing pydantic
        reflow_help(self)  # before --help, which parsing may print
        args, deprecations = upgrade_arguments(args)
        for message in deprecations:
            note(f"warning: {message} (the old spelling goes in the next release)")
        return report_errors(lambda: super(ClassifierGroup, self).parse_args(ctx, args))

    def invoke(self, ctx: Any) -> Any:
        return report_errors(lambda: super(ClassifierGroup, self).invoke(ctx))


app = typer.Typer(
    cls=ClassifierGroup,
    help="Tag Chinese news articles with topics; label, train, evaluate and manage the models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(split)
app.command()(tag)
app.command()(train)
app.command()(evaluate)
app.command()(suggest)
app.command()(drift)
app.command()(serve)
app.add_typer(labels_app, name="labels")
app.add_typer(models_app, name="models")


def main() -> None:
    """The console script: warnings on one line, SIGTERM handled like Ctrl-C, then the app."""
    warnings.showwarning = one_line_warning
    signal.signal(signal.SIGTERM, raise_terminated)
    app()
