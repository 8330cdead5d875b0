"""`classifier labels`: review and label articles, import and export labels, check and count them."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from classifier.cli._util import (
    AnnotatorOpt,
    FoldsOpt,
    Format,
    FormatOpt,
    LabelsOpt,
    LabelStoreOpt,
    ModelOpt,
    OutputOpt,
    TaxonomyOpt,
    TrustPickleOpt,
    choose_format,
    echo,
    fail,
    json_document,
    json_lines,
    note,
    write_lines,
)
from classifier.errors import ClassifierError


class DefaultToReview(TyperGroup):
    """``classifier labels FILE`` means ``classifier labels review FILE``: the review is the default.

    Only when the first argument is an existing path or an option of `review`, so that a
    mistyped command name still gets "No such command".
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            first = args[0]
            if Path(first).exists() or first.startswith("-"):
                args = ["review", *args]
        return super().parse_args(ctx, args)


labels_app = typer.Typer(
    cls=DefaultToReview,
    help="Hand labels: review articles with the model's guess (the default), add, import, export, check, count.",
    no_args_is_help=True,
)


def _annotator(name: str | None) -> str:
    from classifier.labelling.journal import default_annotator

    return name or default_annotator()


@labels_app.command("review")
def labels_review(
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="Articles to review: JSONL files (e.g. `classifier suggest` output), directories."),
    ] = None,
    seeds: Annotated[bool, typer.Option("--seeds", help="Review the articles of the seed pages too.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Stop after this many articles.")] = None,
    redo_skipped: Annotated[
        bool, typer.Option("--redo-skipped", help="Show the articles skipped before again.")
    ] = False,
    recheck: Annotated[
        bool,
        typer.Option(
            "--recheck", help="Show articles labelled before in this store again (e.g. `labels audit` output)."
        ),
    ] = False,
    model: ModelOpt = None,
    trust_pickle: TrustPickleOpt = False,
    no_model: Annotated[bool, typer.Option("--no-model", help="Show no guesses.")] = False,
    label_store: LabelStoreOpt = None,
    annotator: AnnotatorOpt = None,
    taxonomy: TaxonomyOpt = None,
) -> None:
    """Review articles one at a time: the model's topics are pre-checked, keys accept or change them.

    Keys: Enter save, 1-9 or the bracketed letter toggle a topic, 0 none of these, s skip,
    b back, f whole text, q quit, ? help. Each decision is saved at once; run again to resume.
    """
    from classifier.labelling.journal import open_journal
    from classifier.labelling.review import Guesser, Keyboard, Review, review_model, review_queue
    from classifier.taxonomy import load_taxonomy

    if not sources and not seeds:
        raise ClassifierError("name articles to review (a JSONL file or directory), or --seeds")
    if sources and "-" in sources:
        raise ClassifierError("standard input carries the keys: give the articles as a file")
    store = open_journal(label_store)
    tax = load_taxonomy(taxonomy)
    loaded, why_none = review_model(model, no_model, tax, trust_pickle)
    if why_none:
        note(why_none)
    passed_over: dict[str, int] = {}
    items = review_queue(sources or [], seeds, store, redo_skipped, limit, passed_over, recheck=recheck)
    topics = loaded.topics if loaded is not None else tax.ids
    thresholds = dict(loaded.meta.get("thresholds", {})) if loaded is not None else None
    names = {t.id: t.name_zh for t in tax.topics}
    clear = sys.stdout.isatty() and os.environ.get("TERM", "dumb") not in ("dumb", "")
    review = Review(
        items, store, topics, names, Guesser(loaded), _annotator(annotator), thresholds=thresholds, clear=clear
    )
    with Keyboard() as keyboard:
        review.run(keyboard)
    if passed_over["done"] or passed_over["elsewhere"]:
        echo(
            f"passed over {passed_over['done']} articles decided before and "
            f"{passed_over['elsewhere']} labelled in other files"
        )


@labels_app.command("add")
def labels_add(
    ids: Annotated[list[str], typer.Argument(help="Article ids.")],
    topics: Annotated[str, typer.Option("--topics", help="Comma-separated topic ids; 'none' for none of them.")],
    source: Annotated[
        list[str] | None,
        typer.Option("--from", help="Where to find articles that are not seed articles (JSONL or directory)."),
    ] = None,
    label_store: LabelStoreOpt = None,
    annotator: AnnotatorOpt = None,
    taxonomy: TaxonomyOpt = None,
) -> None:
    """Label articles by id (a later label of the same id replaces the earlier one)."""
    from classifier.labelling.journal import add_labels, open_journal
    from classifier.taxonomy import load_taxonomy

    store = open_journal(label_store)
    entries = add_labels(store, ids, topics, source or [], load_taxonomy(taxonomy).ids, _annotator(annotator))
    for entry in entries:
        echo(f"{entry['id']}: {', '.join(entry['topics']) or 'none'}")
    echo(f"{len(store.labels())} labels in {store.path}")


@labels_app.command("import")
def labels_import(
    file: Annotated[Path, typer.Argument(help="JSONL of {id, topics[, title, text, annotator]} records.")],
    label_store: LabelStoreOpt = None,
    annotator: AnnotatorOpt = None,
    taxonomy: TaxonomyOpt = None,
) -> None:
    """Import hand labels from a JSONL file (all or nothing: a bad line imports none)."""
    from classifier.labelling.journal import import_file, open_journal
    from classifier.taxonomy import load_taxonomy

    store = open_journal(label_store)
    n = import_file(store, file, load_taxonomy(taxonomy).ids, _annotator(annotator))
    echo(f"imported {n} labels from {file}; {len(store.labels())} labels in {store.path}")


@labels_app.command("export")
def labels_export(
    label_store: LabelStoreOpt = None,
    journal: Annotated[
        bool, typer.Option("--journal", help="Every decision (with skips and the model's guesses).")
    ] = False,
    output: OutputOpt = None,
) -> None:
    """Print the current labels (the latest decision per article) as JSONL."""
    from classifier.labelling.journal import open_journal

    store = open_journal(label_store)
    records = store.journal() if journal else list(store.labels().values())
    write_lines(json_lines(records), output)


@labels_app.command("check")
def labels_check(labels: LabelsOpt = None, taxonomy: TaxonomyOpt = None) -> None:
    """Validate label files: unknown topics, duplicate ids, ids that resolve to no article, bad lines."""
    from classifier.reading.labels import check_labels, label_files
    from classifier.taxonomy import load_taxonomy

    files = label_files(labels)
    problems = check_labels(files, load_taxonomy(taxonomy).ids)
    for problem in problems:
        note(problem)
    if problems:
        fail(f"{len(problems)} problem(s) in {len(files)} label file(s)")
    echo(f"ok: {len(files)} label file(s)")


@labels_app.command("stats")
def labels_stats(labels: LabelsOpt = None, taxonomy: TaxonomyOpt = None, format: FormatOpt = None) -> None:
    """Articles per topic and how often topics occur together. Formats: table (default), json."""
    from classifier.article import topic_counts
    from classifier.reading.labels import cooccurrence, label_files, load_labelled_articles
    from classifier.taxonomy import load_taxonomy

    style = choose_format(format or Format.table, [Format.table, Format.json], None)
    topics = load_taxonomy(taxonomy).ids
    articles = load_labelled_articles(label_files(labels), topics=topics)
    counts = topic_counts(articles, topics)
    matrix = cooccurrence(articles, topics)
    if style == Format.json:
        echo(json_document({"articles": len(articles), "counts": counts, "cooccurrence": matrix}))
        return
    echo(f"{len(articles)} labelled articles")
    for topic, n in counts.items():
        echo(f"{topic:<16}{n:>4}")
    short = [t[:6] for t in topics]
    echo("\nco-occurrence\n" + " " * 16 + "".join(f"{s:>7}" for s in short))
    for topic in topics:
        echo(f"{topic:<16}" + "".join(f"{matrix[topic][other]:>7}" for other in topics))


@labels_app.command("audit")
def labels_audit(
    labels: LabelsOpt = None,
    taxonomy: TaxonomyOpt = None,
    folds: FoldsOpt = 5,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Show at most N labels.")] = 20,
    format: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Hand labels the out-of-fold scores contradict most (likely mistakes), ranked. Formats: table, jsonl.

    The JSONL (e.g. `-o audit.jsonl`) is a source for `classifier labels review`.
    """
    from classifier.labelling.audit import audit_labels, format_audit
    from classifier.model.training import check_trainable, load_training
    from classifier.progress import Progress

    style = choose_format(format, [Format.table, Format.jsonl], output)
    articles, recipe, files = load_training(labels, taxonomy)
    check_trainable(articles, recipe.topics)
    with Progress(total=folds, label="folds") as progress:
        rows = audit_labels(articles, recipe, files, folds=folds, limit=limit, on_fold=progress.advance)
    write_lines(json_lines(rows) if style == Format.jsonl else [format_audit(rows)], output)
