"""`classifier tag`: topics and scores for articles, streamed in input order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Annotated, Any

import typer

from classifier.cli._util import (
    Format,
    FormatOpt,
    ModelOpt,
    OutputOpt,
    PathsArg,
    TopOpt,
    TrustPickleOpt,
    VerboseOpt,
    choose_format,
    json_array,
    json_line,
    note,
    set_verbose,
    stdout_is_terminal,
    write_lines,
)
from classifier.errors import ClassifierError


def tag(
    paths: PathsArg,
    model: ModelOpt = None,
    trust_pickle: TrustPickleOpt = False,
    format: FormatOpt = None,
    verbose: VerboseOpt = False,
    top: TopOpt = None,
    explain: Annotated[bool, typer.Option("--explain", help="Show the terms behind each assigned topic.")] = False,
    split_pages: Annotated[bool, typer.Option("--split", help="Inputs are newspaper pages: split them first.")] = False,
    output: OutputOpt = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Worker processes; default: one per CPU (one for small inputs)."),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="Tag a whole archive (JSONL/Parquet files, directories, globs) on Dask: local, local:N or "
            "tcp://SCHEDULER:8786; --output is then a directory of parts (jsonl or parquet), resumable.",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="With --cluster: start again when --output holds another run.")
    ] = False,
) -> None:
    """Tag articles with topics and a score per topic. Formats: table, json, jsonl (with --cluster: jsonl, parquet)."""
    set_verbose(verbose)
    if cluster is not None:
        tag_on_cluster(paths, cluster, output, model, format, top, explain, overwrite, trust_pickle, split_pages, jobs)
        return
    if overwrite:
        raise ClassifierError("--overwrite goes with --cluster (an --output file is always replaced)")
    from classifier.model.store import resolve_model_dir
    from classifier.progress import Progress
    from classifier.reading.reader import count_articles, expand_paths, read_articles_deferred
    from classifier.tagging.workers import BLOCK_BYTES, TaggerLoader, default_jobs, tag_batches, tag_lines

    # A missing path fails before the model is looked for; our own output file is never read as input.
    files = list(expand_paths(paths, skip=[output]))
    # loaded where it tags: in this process, or in each worker (this one then only reads and writes)
    tagger = TaggerLoader(resolve_model_dir(model), trust_pickle, top=top, explain=explain)
    # JSONL comes in blocks of lines, which the workers cut, decode and parse: this process only reads and writes
    articles = read_articles_deferred(files, split_pages=split_pages, block_bytes=BLOCK_BYTES)
    progress = Progress(label="articles")
    if output is None and stdout_is_terminal():
        progress.enabled = False  # the rows themselves show the progress; a bar would garble them
    if progress.enabled and not split_pages:  # counting the input is only worth it for the bar
        progress.total = count_articles(files)

    style = choose_format(format, [Format.table, Format.json, Format.jsonl], output)

    def records() -> Iterator[dict[str, Any]]:
        with closing(tag_batches(tagger, articles, jobs or default_jobs())) as batches:
            for batch in batches:
                yield from batch
                progress.advance(len(batch))

    def encoded() -> Iterator[str]:
        with closing(tag_lines(tagger, articles, jobs or default_jobs(), json_line)) as chunks:
            for count, lines in chunks:
                if count:
                    yield lines
                progress.advance(count)

    if style == Format.table:
        lines: Iterable[str] = table_rows(records())
    elif style == Format.json:
        lines = json_array(records())
    else:
        lines = encoded()  # encoded by the workers, a block's lines joined in one string
    with progress:
        write_lines(lines, output)


def tag_on_cluster(
    paths: list[str],
    cluster: str,
    output: Path | None,
    model: Path | None,
    format: Format | None,
    top: int | None,
    explain: bool,
    overwrite: bool,
    trust_pickle: bool,
    split_pages: bool,
    jobs: int | None,
) -> None:
    """``tag --cluster``: the archive run (:func:`classifier.archive.run.tag_archive`)."""
    from classifier.archive.run import tag_archive

    if output is None:
        raise ClassifierError("--cluster writes a directory of parts: give it with --output DIR")
    for given, name in ((split_pages, "--split"), (jobs is not None, "--jobs"), (trust_pickle, "--trust-pickle")):
        if given:
            raise ClassifierError(f"{name} does not go with --cluster")
    style = choose_format(format, [Format.jsonl, Format.parquet], output)
    tag_archive(paths, output, cluster, model, style.value, top, explain, overwrite, say=note)


def table_rows(records: Iterable[dict[str, Any]], top_scores: int = 3) -> Iterator[str]:
    """A readable table, streamed: fixed-width columns so rows can print as they come."""
    yield f"{'id':<26} {'topics':<28} {'top scores':<48} title"
    for r in records:
        best = sorted(r["scores"].items(), key=lambda kv: -kv[1])[:top_scores]
        topics = ",".join(r["topics"]) or "-"
        scores = "  ".join(f"{t} {s:.2f}" for t, s in best)
        yield f"{r['id']:<26} {topics:<28} {scores:<48} {r['title'][:30]}"
        for topic, reasons in r.get("explain", {}).items():
            yield f"{'':<26}   {topic}: " + ", ".join(f"{term} (+{w:.2f})" for term, w in reasons)
