"""The ``classifier`` command line: argument parsing over the library, no logic of its own."""

from __future__ import annotations

import functools
import json
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from classifier.errors import ClassifierError

app = typer.Typer(
    help="Tag Chinese news articles with topics; train, evaluate and manage the models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
labels_app = typer.Typer(help="Check the hand labels and count them.", no_args_is_help=True)
models_app = typer.Typer(help="List the trained model versions and choose the default.", no_args_is_help=True)
app.add_typer(labels_app, name="labels")
app.add_typer(models_app, name="models")

F = TypeVar("F", bound=Callable[..., Any])


class TagFormat(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def friendly_errors(command: F) -> F:
    """Turn expected failures into one line on stderr and a non-zero exit, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ClassifierError as error:
            fail(str(error))
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except BrokenPipeError:
            # The reader (e.g. `head`) went away: stop quietly, as Unix tools do.
            sys.stderr.close()
            raise typer.Exit(0) from None
        except OSError as error:
            # A file we could not write or read (no space, a directory in the way, permissions).
            fail(f"{error.filename or 'I/O'}: {error.strerror or error}")

    return wrapper  # type: ignore[return-value]


def _one_line_warnings(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    typer.echo(f"warning: {message}", err=True)


def _write_output(lines: Iterable[str], out: Path | None) -> None:
    """Write lines to stdout, or atomically to ``out``."""
    if out is None:
        for line in lines:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
        return
    from classifier.store import write_atomic

    write_atomic(out, "".join(line + "\n" for line in lines))


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


PathsArg = Annotated[list[str], typer.Argument(help="Files (.txt one article, .jsonl one a line), directories, or -.")]
ModelOpt = Annotated[
    Path | None, typer.Option("--model", "-m", help="Model directory or version; default: the store's default.")
]
LabelsOpt = Annotated[
    list[Path] | None, typer.Option("--labels", "-l", help="Label file or directory (repeatable); default: labels/.")
]
TaxonomyOpt = Annotated[Path | None, typer.Option("--taxonomy", help="Taxonomy TOML; default: labels/taxonomy.toml.")]


@app.command()
@friendly_errors
def split(
    pages: Annotated[list[Path], typer.Argument(help="Newspaper page text files.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the articles as JSONL to this file.")] = None,
    format: Annotated[
        TagFormat | None, typer.Option("--format", "-f", help="table or jsonl; default: table on a terminal.")
    ] = None,
) -> None:
    """Split newspaper pages into articles (title, text, byline, kind)."""
    from classifier.reader import read_text_file
    from classifier.split import split_page

    articles = [a for page in pages for a in split_page(read_text_file(page), page.stem)]
    style = format or (TagFormat.table if out is None and _stdout_is_terminal() else TagFormat.jsonl)
    if style == TagFormat.table and out is None:
        for a in articles:
            typer.echo(f"{a.id}  {a.extra.get('kind', 'article'):<8} {len(a.text):>5}  {a.title or '(no title)'}")
        typer.echo(f"{len(articles)} articles from {len(pages)} pages")
        return
    _write_output((json.dumps(a.to_dict(), ensure_ascii=False) for a in articles), out)
    if out is not None:
        typer.echo(f"wrote {len(articles)} articles to {out}", err=True)


def _table_rows(records: Iterable[dict[str, Any]], top_scores: int = 3) -> Iterator[str]:
    """A readable table, streamed: fixed-width columns so rows can print as they come."""
    yield f"{'id':<26} {'topics':<28} {'top scores':<48} title"
    for r in records:
        best = sorted(r["scores"].items(), key=lambda kv: -kv[1])[:top_scores]
        topics = ",".join(r["topics"]) or "-"
        scores = "  ".join(f"{t} {s:.2f}" for t, s in best)
        yield f"{r['id']:<26} {topics:<28} {scores:<48} {r['title'][:30]}"
        for topic, reasons in r.get("explain", {}).items():
            yield f"{'':<26}   {topic}: " + ", ".join(f"{term} (+{w:.2f})" for term, w in reasons)


def _count_articles(files: list[Path | str]) -> int | None:
    """How many articles the inputs hold, for the progress bar's ETA; ``None`` for standard input.

    Counts lines of JSONL files (blank lines included: an estimate is enough), a fraction of a
    second for millions of articles.
    """
    total = 0
    for path in files:
        if path == "-":
            return None
        if Path(path).suffix.lower() != ".jsonl":
            total += 1
            continue
        with open(path, "rb") as stream:
            total += sum(block.count(b"\n") for block in iter(lambda: stream.read(1 << 20), b""))
    return total


def _json_array(records: Iterable[dict[str, Any]]) -> Iterator[str]:
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


@app.command()
@friendly_errors
def tag(
    paths: PathsArg,
    model: ModelOpt = None,
    format: Annotated[
        TagFormat | None,
        typer.Option("--format", "-f", help="table, json or jsonl; default: table on a terminal, else jsonl."),
    ] = None,
    top: Annotated[int | None, typer.Option("--top", "-k", min=1, help="At most K topics per article.")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Show the terms behind each assigned topic.")] = False,
    split_pages: Annotated[bool, typer.Option("--split", help="Inputs are newspaper pages: split them first.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (atomically: all or nothing).")
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Worker processes; default: one per CPU (one for small inputs)."),
    ] = None,
) -> None:
    """Tag articles with topics and a score per topic."""
    from contextlib import closing

    from classifier.batch import default_jobs
    from classifier.progress import Progress
    from classifier.reader import expand_paths, read_articles, read_text_file
    from classifier.store import atomic_writer
    from classifier.tagger import Tagger, load_tagging_model, tag_batches

    files = list(expand_paths(paths))  # a missing path fails before the model is loaded
    tagger = Tagger(load_tagging_model(model), top=top, explain=explain)
    if split_pages:
        from classifier.split import split_page

        if "-" in files:
            raise ClassifierError("--split reads page files, not standard input")
        articles: Iterable[Any] = (a for p in files for a in split_page(read_text_file(Path(p)), Path(p).stem))
    else:
        articles = read_articles(files)
    progress = Progress(label="articles")
    if output is None and _stdout_is_terminal():
        progress.enabled = False  # the rows themselves show the progress; a bar would garble them
    if progress.enabled and not split_pages:  # counting the input is only worth it for the bar
        progress.total = _count_articles(files)

    def records() -> Iterator[dict[str, Any]]:
        with closing(tag_batches(tagger, articles, jobs or default_jobs())) as batches:
            for batch in batches:
                yield from batch
                progress.advance(len(batch))

    style = format or (TagFormat.table if output is None and _stdout_is_terminal() else TagFormat.jsonl)
    if style == TagFormat.table:
        lines: Iterable[str] = _table_rows(records())
    elif style == TagFormat.json:
        lines = _json_array(records())
    else:
        lines = (json.dumps(r, ensure_ascii=False) for r in records())
    with progress:
        if output is None:
            for line in lines:
                sys.stdout.write(line + "\n")
            sys.stdout.flush()
        else:
            with atomic_writer(output) as out:
                for line in lines:
                    out.write(line + "\n")


@app.command()
@friendly_errors
def train(
    labels: LabelsOpt = None,
    taxonomy: TaxonomyOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the model to this directory instead of the store.")
    ] = None,
    set_default: Annotated[
        bool, typer.Option("--set-default", help="Make the new model the default for `tag`.")
    ] = False,
    prior_weight: Annotated[
        float | None,
        typer.Option(
            "--prior-weight",
            min=0.0,
            help="Fix the weight of the taxonomy term features (default: chosen from 0.25/0.5/1 by cross-validation).",
        ),
    ] = None,
) -> None:
    """Train a model on the hand labels (and any extra label files) and save it as a new version."""
    from classifier.labels import label_files, load_labelled_articles
    from classifier.store import default_version, save_model
    from classifier.store import set_default as point_default
    from classifier.taxonomy import load_taxonomy
    from classifier.training import Recipe, choose_topics, train_model

    tax = load_taxonomy(taxonomy)
    files = label_files(labels)
    articles = load_labelled_articles(files, topics=None)
    topics = choose_topics(articles, tax, taxonomy_given=taxonomy is not None)
    if sys.stderr.isatty():
        # A fit has no countable steps to show; say what is running so the wait is not silent.
        typer.echo(f"training on {len(articles)} articles, {len(topics)} topics...", err=True)
    recipe = Recipe(topics, tax, prior_weight=prior_weight)
    pipeline, meta = train_model(articles, recipe, label_sources=files)
    path = save_model(pipeline, meta, out_dir=out)
    if out is None and (set_default or default_version() is None):
        point_default(path)
        meta["is_default"] = True
    cv = meta["cv_metrics"]
    typer.echo(f"trained on {meta['n_articles']} articles, {len(topics)} topics -> {path}")
    typer.echo("articles per topic: " + ", ".join(f"{t}={n}" for t, n in meta["counts"].items()))
    typer.echo(
        f"out-of-fold micro_f1={cv['micro_f1']:.3f} macro_f1={cv['macro_f1']:.3f} "
        f"top1_accuracy={cv['top1_accuracy']:.3f} (thresholds chosen on these scores; "
        "`classifier evaluate` gives the nested figure)"
    )
    choice = meta["recipe"]["prior_weight_choice"]
    if choice:
        candidates = ", ".join(f"{w}: {ap:.3f}" for w, ap in choice.items())
        typer.echo(f"term-prior weight {meta['recipe']['prior_weight']} (out-of-fold average precision {candidates})")
    if meta.get("is_default"):
        typer.echo(f"default model is now {path.name}")


@app.command()
@friendly_errors
def evaluate(
    model: ModelOpt = None,
    test: Annotated[Path | None, typer.Option("--test", "-t", help="Labelled JSONL to score the model on.")] = None,
    folds: Annotated[
        int, typer.Option("--folds", "-k", min=2, help="Folds for cross-validation (without --test).")
    ] = 5,
    labels: LabelsOpt = None,
    taxonomy: TaxonomyOpt = None,
    format: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.table,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report to this file.")] = None,
) -> None:
    """Measure accuracy: of a model on a labelled test file, or of the recipe by K-fold cross-validation."""
    from classifier.evaluate import cross_validate, evaluate_pipeline, format_report
    from classifier.labels import label_files, load_labelled_articles, read_training_file

    if test is not None:
        from classifier.store import load_model

        loaded = load_model(model)
        articles = read_training_file(test, topics=loaded.topics)
        report = evaluate_pipeline(loaded.pipeline, articles)
        report["model"] = loaded.path.name
        report["test"] = str(test)
    else:
        from classifier.taxonomy import load_taxonomy
        from classifier.training import Recipe, check_trainable, choose_topics

        tax = load_taxonomy(taxonomy)
        articles = load_labelled_articles(label_files(labels), topics=None)
        topics = choose_topics(articles, tax, taxonomy_given=taxonomy is not None)
        check_trainable(articles, topics)
        from classifier.progress import Progress

        with Progress(total=folds, label="folds") as progress:
            report = cross_validate(articles, Recipe(topics, tax), folds=folds, on_fold=progress.advance)
    if format == ReportFormat.json:
        text = json.dumps(report, ensure_ascii=False, indent=2)
    else:
        text = format_report(report, format.value)
    _write_output([text], out)


@labels_app.command("check")
@friendly_errors
def labels_check(labels: LabelsOpt = None, taxonomy: TaxonomyOpt = None) -> None:
    """Validate label files: unknown topics, duplicate ids, ids that resolve to no article, bad lines."""
    from classifier.labels import check_labels, label_files
    from classifier.taxonomy import load_taxonomy

    files = label_files(labels)
    problems = check_labels(files, load_taxonomy(taxonomy).ids)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        fail(f"{len(problems)} problem(s) in {len(files)} label file(s)")
    typer.echo(f"ok: {len(files)} label file(s)")


@labels_app.command("stats")
@friendly_errors
def labels_stats(
    labels: LabelsOpt = None,
    taxonomy: TaxonomyOpt = None,
    format: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.table,
) -> None:
    """Articles per topic and how often topics occur together."""
    from classifier.labels import cooccurrence, label_files, load_labelled_articles, topic_counts
    from classifier.taxonomy import load_taxonomy

    topics = load_taxonomy(taxonomy).ids
    articles = load_labelled_articles(label_files(labels), topics=topics)
    counts = topic_counts(articles, topics)
    matrix = cooccurrence(articles, topics)
    if format == ReportFormat.json:
        typer.echo(json.dumps({"articles": len(articles), "counts": counts, "cooccurrence": matrix}, indent=2))
        return
    typer.echo(f"{len(articles)} labelled articles")
    for topic, n in counts.items():
        typer.echo(f"{topic:<16}{n:>4}")
    short = [t[:6] for t in topics]
    typer.echo("\nco-occurrence\n" + " " * 16 + "".join(f"{s:>7}" for s in short))
    for topic in topics:
        typer.echo(f"{topic:<16}" + "".join(f"{matrix[topic][other]:>7}" for other in topics))


@models_app.command("list")
@friendly_errors
def models_list(format: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.table) -> None:
    """Show the model versions in the store with their data and metrics."""
    from classifier.store import list_models

    models = list_models()
    if format == ReportFormat.json:
        typer.echo(json.dumps(models, ensure_ascii=False, indent=2))
        return
    if not models:
        typer.echo("no models; train one with `classifier train`")
        return
    typer.echo(f"  {'version':<24} {'articles':>8} {'topics':>6} {'micro_f1':>8} {'macro_f1':>8}  data")
    for m in models:
        cv = m.get("cv_metrics", {})
        mark = "*" if m["is_default"] else " "
        typer.echo(
            f"{mark} {m['version']:<24} {m.get('n_articles', 0):>8} {len(m.get('topics', [])):>6} "
            f"{cv.get('micro_f1', 0):>8.3f} {cv.get('macro_f1', 0):>8.3f}  {m.get('data_fingerprint', '')[:12]}"
        )
    typer.echo("* default; metrics are out-of-fold on the training labels")


@models_app.command("use")
@friendly_errors
def models_use(version: Annotated[str, typer.Argument(help="A version name from `classifier models list`.")]) -> None:
    """Make a model version the default for `tag` and `evaluate`."""
    from classifier.store import resolve_model_dir, set_default

    path = resolve_model_dir(version)
    set_default(path)
    typer.echo(f"default model is now {path.name}")


from classifier.cli_labelling import register  # noqa: E402 - the commands need the app defined above

register(app, labels_app, models_app)


def main() -> None:
    warnings.showwarning = _one_line_warnings
    app()
