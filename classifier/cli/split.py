"""`classifier split`: newspaper pages into articles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from classifier.cli._util import (
    Format,
    FormatOpt,
    OutputOpt,
    VerboseOpt,
    choose_format,
    json_lines,
    note,
    set_verbose,
    write_lines,
)


def split(
    pages: Annotated[list[Path], typer.Argument(help="Newspaper page text files.")],
    output: OutputOpt = None,
    format: FormatOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Split newspaper pages into articles (title, text, byline, kind). Formats: table, jsonl."""
    set_verbose(verbose)
    from classifier.reading.reader import read_articles

    articles = list(read_articles(pages, split_pages=True))
    if choose_format(format, [Format.table, Format.jsonl], output) == Format.table:
        lines = [
            f"{a.id}  {a.extra.get('kind', 'article'):<8} {len(a.text):>5}  {a.title or '(no title)'}" for a in articles
        ]
        lines.append(f"{len(articles)} articles from {len(pages)} pages")
    else:
        lines = list(json_lines(a.to_dict() for a in articles))
    write_lines(lines, output)
    if output is not None:
        note(f"wrote {len(articles)} articles to {output}")
