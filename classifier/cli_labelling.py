"""The labelling-loop commands: ``label`` (review, add, import, export), ``suggest``, ``models compare``.

Registered on the main app by :func:`register`; the commands only parse arguments and call
:mod:`classifier.labelling`, :mod:`classifier.review`, :mod:`classifier.active` and
:mod:`classifier.compare`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from classifier.cli import ModelOpt, TaxonomyOpt, _stdout_is_terminal, _write_output, friendly_errors
from classifier.errors import ClassifierError


class DefaultToReview(TyperGroup):
    """``classifier label POOL`` means ``classifier label review POOL``: the review is the default."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not any(a in ("--help", "-h") for a in args[:1]) and (not args or args[0] not in self.commands):
            args = ["review", *args]
        return super().parse_args(ctx, args)


label_app = typer.Typer(
    cls=DefaultToReview,
    help="Hand-label articles: review the model's guesses in the terminal (the default), or add, import, export.",
)


class SuggestStrategy(StrEnum):
    uncertainty = "uncertainty"
    diverse = "diverse"
    random = "random"


class OutFormat(StrEnum):
    table = "table"
    jsonl = "jsonl"


class CompareFormat(StrEnum):
    table = "table"
    json = "json"


StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="The label file to write (its journal goes in journal/ beside it); default: labels/new_labels.jsonl.",
    ),
]
AnnotatorOpt = Annotated[str | None, typer.Option("--annotator", "-a", help="Who is labelling; default: $USER.")]


def _store(out: Path | None) -> Any:
    from classifier.labelling import open_store

    return open_store(out)


def _annotator(name: str | None) -> str:
    from classifier.labelling import default_annotator

    return name or default_annotator()


def _optional_model(model: Path | None, no_model: bool) -> Any:
    """The model whose guesses are shown; ``None`` when told so, or when there is no default yet."""
    from classifier.store import default_version, load_model

    if no_model:
        return None
    if model is None and default_version() is None:
        typer.echo("no default model: showing no guesses (train one with `classifier train`)", err=True)
        return None
    return load_model(model)


@label_app.command("review")
@friendly_errors
def label_review(
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="Articles to review: JSONL files (e.g. `classifier suggest` output), directories, or -."),
    ] = None,
    seeds: Annotated[bool, typer.Option("--seeds", help="Review the articles of the seed pages too.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Stop after this many articles.")] = None,
    redo_skipped: Annotated[
        bool, typer.Option("--redo-skipped", help="Show the articles skipped before again.")
    ] = False,
    model: ModelOpt = None,
    no_model: Annotated[bool, typer.Option("--no-model", help="Show no guesses.")] = False,
    out: StoreOpt = None,
    annotator: AnnotatorOpt = None,
    taxonomy: TaxonomyOpt = None,
) -> None:
    """Review articles one at a time: the model's topics are pre-checked, keys accept or change them.

    Keys: Enter save, 1-9 or the bracketed letter toggle a topic, 0 none of these, s skip,
    b back, f whole text, q quit, ? help. Each decision is saved at once; run again to resume.
    """
    from classifier.review import Guesser, Keyboard, Review
    from classifier.taxonomy import load_taxonomy

    if not sources and not seeds:
        raise ClassifierError("name articles to review (a JSONL file or directory), or --seeds")
    if sources and "-" in sources:
        raise ClassifierError("standard input carries the keys: give the articles as a file")
    store = _store(out)
    tax = load_taxonomy(taxonomy)
    loaded = _optional_model(model, no_model)
    topics = loaded.topics if loaded is not None else tax.ids
    unknown = [t for t in topics if t not in tax]
    if unknown:
        raise ClassifierError(f"the model's topics {', '.join(unknown)} are not in the taxonomy")
    counts: dict[str, int] = {"done": 0, "elsewhere": 0}
    items = _review_items(sources or [], seeds, store, redo_skipped, limit, counts)
    thresholds = dict(loaded.meta.get("thresholds", {})) if loaded is not None else None
    names = {t.id: t.name_zh for t in tax.topics}
    clear = sys.stdout.isatty() and os.environ.get("TERM", "dumb") not in ("dumb", "")
    review = Review(
        items, store, topics, names, Guesser(loaded), _annotator(annotator), thresholds=thresholds, clear=clear
    )
    with Keyboard() as keyboard:
        review.run(keyboard)
    if counts["done"] or counts["elsewhere"]:
        typer.echo(
            f"passed over {counts['done']} articles decided before and {counts['elsewhere']} labelled in other files"
        )


def _review_items(
    sources: list[str], seeds: bool, store: Any, redo_skipped: bool, limit: int | None, counts: dict[str, int]
) -> Iterator[Any]:
    """The articles still to decide, lazily, with where they came from."""
    from classifier.labelling import SKIP
    from classifier.reader import read_articles
    from classifier.review import Item

    decided = {i: e.get("action") for i, e in store.latest().items()}

    def candidates() -> Iterator[tuple[Any, str]]:
        if seeds:
            yield from ((a, "seeds") for a in store.seed_articles.values())
        for source in sources:
            yield from ((a, Path(source).name) for a in read_articles([source]))

    given = 0
    seen: set[str] = set()
    for article, source in candidates():
        if article.id in seen:
            continue
        seen.add(article.id)
        if article.id in store.other_labels:
            counts["elsewhere"] += 1
            continue
        if article.id in decided and not (redo_skipped and decided[article.id] == SKIP):
            counts["done"] += 1
            continue
        article.topics = None  # a source's own "topics" (e.g. suggest's guess) are never a label
        yield Item(article=article, source=source)
        given += 1
        if limit is not None and given >= limit:
            return


@label_app.command("add")
@friendly_errors
def label_add(
    ids: Annotated[list[str], typer.Argument(help="Article ids.")],
    topics: Annotated[str, typer.Option("--topics", "-t", help="Comma-separated topic ids; 'none' for none of them.")],
    source: Annotated[
        list[str] | None,
        typer.Option("--from", "-f", help="Where to find articles that are not seed articles (JSONL or directory)."),
    ] = None,
    out: StoreOpt = None,
    annotator: AnnotatorOpt = None,
    taxonomy: TaxonomyOpt = None,
) -> None:
    """Label articles by id (a later label of the same id replaces the earlier one)."""
    from classifier.labelling import find_articles, parse_topics
    from classifier.taxonomy import load_taxonomy

    chosen = parse_topics(topics, load_taxonomy(taxonomy).ids)
    store = _store(out)
    for article_id in ids:
        store.check_free(article_id)
    found = find_articles(ids, source or [], store)
    missing = [i for i in ids if i not in found]
    if missing:
        hint = "" if source else " (give --from FILE for articles that are not seed articles)"
        raise ClassifierError(f"no article with id {', '.join(missing)}{hint}")
    who = _annotator(annotator)
    where = ",".join(Path(s).name for s in source or []) or "seeds"
    for article_id in ids:
        entry = store.record(found[article_id], chosen, who, source="cli" if not source else where)
        typer.echo(f"{article_id}: {', '.join(entry['topics']) or 'none'}")
    typer.echo(f"{len(store.labels())} labels in {store.path}")


@label_app.command("import")
@friendly_errors
def label_import(
    file: Annotated[Path, typer.Argument(help="JSONL of {id, topics[, title, text, annotator]} records.")],
    out: StoreOpt = None,
    annotator: AnnotatorOpt = None,
    taxonomy: TaxonomyOpt = None,
) -> None:
    """Import hand labels from a JSONL file (all or nothing: a bad line imports none)."""
    from classifier.labelling import import_records
    from classifier.labels import read_label_records
    from classifier.taxonomy import load_taxonomy

    if not file.is_file():
        raise ClassifierError(f"{file}: no such file")
    records, problems = read_label_records([file])
    if problems:
        raise ClassifierError(problems[0])
    store = _store(out)
    n = import_records(
        store, ((r.where, r.record) for r in records), load_taxonomy(taxonomy).ids, _annotator(annotator), file.name
    )
    typer.echo(f"imported {n} labels from {file}; {len(store.labels())} labels in {store.path}")


@label_app.command("export")
@friendly_errors
def label_export(
    out: StoreOpt = None,
    journal: Annotated[
        bool, typer.Option("--journal", help="Every decision (with skips and the model's guesses).")
    ] = False,
    output: Annotated[Path | None, typer.Option("--output", help="Write to this file (atomically).")] = None,
) -> None:
    """Print the current labels (the latest decision per article) as JSONL."""
    store = _store(out)
    records = store.journal() if journal else list(store.labels().values())
    _write_output((json.dumps(r, ensure_ascii=False) for r in records), output)


def suggest(
    pool: Annotated[list[str], typer.Argument(help="Unlabelled articles: JSONL files, directories, or -.")],
    n: Annotated[int, typer.Option("--n", "-n", min=1, help="How many articles to suggest.")] = 50,
    strategy: Annotated[SuggestStrategy, typer.Option("--strategy", "-s")] = SuggestStrategy.uncertainty,
    model: ModelOpt = None,
    format: Annotated[
        OutFormat | None, typer.Option("--format", "-f", help="table or jsonl; default: table on a terminal.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write JSONL to this file (atomically).")
    ] = None,
    labels_file: Annotated[
        Path | None,
        typer.Option(
            "--label-file",
            help="The label file whose journal lists decided articles; default: labels/new_labels.jsonl.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random strategy.")] = 0,
) -> None:
    """Rank unlabelled articles by how much a label would help; the output is a `classifier label` source.

    uncertainty: a topic's score is near its threshold (two unsure topics count more);
    diverse: the same, spread over different stories; random: the baseline.
    Articles labelled in labels/*.jsonl or decided in the label journal are left out.
    """
    from classifier.active import suggest as rank_pool
    from classifier.labels import read_label_records
    from classifier.reader import expand_paths, read_articles
    from classifier.store import load_model

    files = list(expand_paths(pool))
    loaded = load_model(model)
    store = _store(labels_file)
    # Everything labelled beside the store (labels/*.jsonl) or decided in its journal, skips included.
    records, _ = read_label_records(sorted(store.path.parent.glob("*.jsonl")))
    exclude = {str(r.record.get("id")) for r in records} | set(store.latest())
    articles = list(read_articles(files))
    typer.echo(f"scoring {len(articles)} articles with {loaded.path.name}...", err=True)
    picks = rank_pool(loaded.pipeline, articles, n=n, strategy=strategy.value, exclude=exclude, seed=seed)
    style = format or (OutFormat.table if output is None and _stdout_is_terminal() else OutFormat.jsonl)
    if style == OutFormat.table:
        lines: Any = [f"{'rank':>4}  {'id':<20} {'model topics':<36} {'reason':<52} title"]
        lines += [
            f"{r['rank']:>4}  {r['id']:<20} {','.join(r['model_topics']) or '-':<36} {r['reason']:<52} {r['title'][:24]}"
            for r in picks
        ]
    else:
        lines = (json.dumps(r, ensure_ascii=False) for r in picks)
    _write_output(lines, output)
    if output is not None:
        typer.echo(f"wrote {len(picks)} suggestions to {output}; label them with `classifier label {output}`", err=True)


def models_compare(
    a: Annotated[str, typer.Argument(help="Model A (version name or directory).")],
    b: Annotated[str, typer.Argument(help="Model B.")],
    test: Annotated[Path | None, typer.Option("--test", "-t", help="Labelled JSONL both models are scored on.")] = None,
    folds: Annotated[
        int, typer.Option("--folds", "-k", min=2, help="Folds of the cross-validation (without --test).")
    ] = 5,
    format: Annotated[CompareFormat, typer.Option("--format", "-f")] = CompareFormat.table,
    changed: Annotated[int, typer.Option("--changed", help="Show at most this many changed articles.")] = 20,
    out: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
) -> None:
    """Compare two model versions on the same articles: metrics, F1 per topic, and which articles changed tags.

    With --test, both models score that labelled file; without, both recipes are cross-validated
    on the union of their training labels (the same folds for both).
    """
    from classifier.compare import compare_by_cv, compare_on_test, format_comparison, training_labels
    from classifier.labels import read_training_file
    from classifier.store import load_model

    model_a, model_b = load_model(a), load_model(b)
    if test is not None:
        articles = read_training_file(test, topics=sorted(set(model_a.topics) | set(model_b.topics)))
        report = compare_on_test(model_a, model_b, articles)
        report["test"] = str(test)
    else:
        stores = _journalled_stores()
        train_a, train_b = training_labels(model_a, stores), training_labels(model_b, stores)
        typer.echo(f"cross-validating both recipes ({folds} folds)...", err=True)
        report = compare_by_cv(model_a, model_b, train_a, train_b, folds=folds)
    text = json.dumps(report, ensure_ascii=False, indent=2) if format == CompareFormat.json else None
    _write_output([text or format_comparison(report, max_changed=changed)], out)


def _journalled_stores() -> list[Any]:
    """Every label store with a journal in labels/ (their history rebuilds older models' labels)."""
    from classifier.labelling import JOURNAL_DIR, open_store
    from classifier.paths import LABELS_DIR

    journal_dir = LABELS_DIR / JOURNAL_DIR
    paths = sorted(journal_dir.glob("*.jsonl")) if journal_dir.is_dir() else []
    return [open_store(LABELS_DIR / p.name) for p in paths]


def register(app: typer.Typer, labels_app: typer.Typer, models_app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(label_app, name="label")
    app.command("suggest")(friendly_errors(suggest))
    models_app.command("compare")(friendly_errors(models_compare))
