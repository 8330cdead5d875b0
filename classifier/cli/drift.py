"""`classifier drift`: what recent articles hold that the model does not know."""

from __future__ import annotations

from typing import Annotated

import typer

from classifier.cli._util import (
    Format,
    FormatOpt,
    ModelOpt,
    OutputOpt,
    PathsArg,
    TrustPickleOpt,
    choose_format,
    json_document,
    write_lines,
)
from classifier.errors import ClassifierError


def drift(
    paths: PathsArg,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="Only articles dated on or after DATE (2025-01-01).")
    ] = None,
    model: ModelOpt = None,
    trust_pickle: TrustPickleOpt = False,
    top: Annotated[int, typer.Option("--top", "-k", min=1, help="How many candidate words to list.")] = 30,
    format: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """What recent articles hold that the model does not know: unsure shares per month, new words.

    Tags the articles and reports, per month, the share left with no topic and the share of
    low-confidence articles; then the words frequent in them but rare in the training data,
    ranked by how many low-confidence articles hold them.

    Formats: table (default), json.
    """
    from classifier.article import parse_date
    from classifier.evaluation.drift import drift_report, format_drift
    from classifier.reading.reader import expand_paths, read_articles
    from classifier.tagging.tagger import load_tagging_model

    style = choose_format(format or Format.table, [Format.table, Format.json], output)
    cut = parse_date(since) if since is not None else None
    if since is not None and cut is None:
        raise ClassifierError(f"--since {since}: not a date (write 2025-01-01)")
    files = list(expand_paths(paths, skip=[output]))
    report = drift_report(load_tagging_model(model, trust_pickle), read_articles(files), since=cut, top=top)
    write_lines([json_document(report) if style == Format.json else format_drift(report)], output)
