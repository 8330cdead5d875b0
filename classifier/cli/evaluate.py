"""`classifier evaluate`: the accuracy of a model on a labelled test set, or of the recipe by cross-validation."""

from __future__ import annotations

from typing import Annotated

import typer

from classifier.cli._util import (
    FoldsOpt,
    Format,
    FormatOpt,
    LabelsOpt,
    ModelOpt,
    OutputOpt,
    OwnTopicsOpt,
    TaxonomyOpt,
    TestOpt,
    TrustPickleOpt,
    choose_format,
    json_document,
    write_lines,
)
from classifier.errors import ClassifierError


def evaluate(
    model: ModelOpt = None,
    trust_pickle: TrustPickleOpt = False,
    test: TestOpt = None,
    folds: FoldsOpt = 5,
    labels: LabelsOpt = None,
    taxonomy: TaxonomyOpt = None,
    own_topics: OwnTopicsOpt = False,
    time_split: Annotated[
        str | None,
        typer.Option(
            "--time-split",
            metavar="DATE",
            help="Train on the labelled articles dated before DATE (e.g. 2025-01-01), test on those after.",
        ),
    ] = None,
    train_undated: Annotated[
        bool, typer.Option("--train-undated", help="With --time-split: train on articles without a date (the seeds).")
    ] = False,
    format: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Measure accuracy: of a model on a labelled test file (--test), of the recipe forward in time
    (--time-split), or of the recipe by K-fold cross-validation on the labels.

    Formats: table (default), json, markdown.
    """
    from classifier.evaluation.evaluate import cross_validate, evaluate_pipeline, format_report

    style = format or Format.table
    choose_format(style, [Format.table, Format.json, Format.markdown], output)
    if test is not None:
        from classifier.model.store import load_model
        from classifier.reading.reader import read_labelled

        loaded = load_model(model, trust_pickle=trust_pickle)
        articles = read_labelled(test, topics=loaded.topics)
        report = evaluate_pipeline(loaded.pipeline, articles)
        report["model"] = loaded.path.name
        report["test"] = str(test)
    elif time_split is not None:
        from classifier.article import parse_date
        from classifier.evaluation.evaluate import evaluate_forward, split_by_date
        from classifier.model.training import load_training
        from classifier.reading.labels import load_labelled_by_file

        cut = parse_date(time_split)
        if cut is None:
            raise ClassifierError(f"--time-split {time_split}: not a date (write 2025-01-01)")
        _, recipe, files = load_training(labels, taxonomy, own_topics)
        by_file = load_labelled_by_file(files, recipe.topics)
        before, after = split_by_date(by_file, cut, train_undated)
        report = evaluate_forward(before, after, recipe)
        report["time_split"] = str(cut)
    else:
        from classifier.model.training import check_trainable, load_training
        from classifier.progress import Progress

        articles, recipe, _ = load_training(labels, taxonomy, own_topics)
        check_trainable(articles, recipe.topics)
        with Progress(total=folds, label="folds") as progress:
            report = cross_validate(articles, recipe, folds=folds, on_fold=progress.advance)
    text = json_document(report) if style == Format.json else format_report(report, style.value)
    write_lines([text], output)
