"""`classifier evaluate`: the accuracy of a model on a labelled test set, or of the recipe by cross-validation."""

from __future__ import annotations

from pathlib import Path
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
    UnlabelledOpt,
    choose_format,
    json_document,
    write_lines,
)
from classifier.errors import ClassifierError

ReportOpt = Annotated[
    Path | None,
    typer.Option("--report", help="Also write the whole report as one self-contained HTML file (needs matplotlib)."),
]
CompareOpt = Annotated[
    Path | None,
    typer.Option("--compare", help="Score this model too (e.g. the one serving now) and show both side by side."),
]


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
    unlabelled: UnlabelledOpt = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
    report: ReportOpt = None,
    compare: CompareOpt = None,
) -> None:
    """Measure accuracy: of a model on a test file (--test), or of the recipe (--time-split, --folds K).

    --test scores a model on a labelled file; --time-split trains the recipe on the articles dated
    before a date and tests it on the later ones; --folds K cross-validates it on the labels.
    --unlabelled self-trains the recipe in every fit, as `train --unlabelled` does.

    Formats: table (default), json (every number of --report), markdown.
    """
    from classifier.evaluation.evaluate import format_report
    from classifier.evaluation.report import evaluate_model, evaluate_recipe

    style = format or Format.table
    choose_format(style, [Format.table, Format.json, Format.markdown], output)
    if test is not None:
        if unlabelled:
            raise ClassifierError("--unlabelled trains the recipe; with --test the model is scored as it is")
        result = evaluate_model(model, test, compare=compare, trust_pickle=trust_pickle)
    elif time_split is not None:
        from classifier.article import parse_date
        from classifier.evaluation.evaluate import split_by_date
        from classifier.evaluation.report import forward_report
        from classifier.model.training import extend_recipe, load_training
        from classifier.reading.labels import load_labelled_by_file
        from classifier.tagging.fast import compiled_scorer

        if compare is not None:
            raise ClassifierError("--compare needs a labelled test file (--test) to score both models on")
        cut = parse_date(time_split)
        if cut is None:
            raise ClassifierError(f"--time-split {time_split}: not a date (write 2025-01-01)")
        _, recipe, files = load_training(labels, taxonomy, own_topics)
        before, after = split_by_date(load_labelled_by_file(files, recipe.topics), cut, train_undated)
        recipe, _ = extend_recipe(recipe, before + after, unlabelled or (), scorer=compiled_scorer)
        result = forward_report(before, after, recipe, cut, ", ".join(str(f) for f in files))
    else:
        if compare is not None:
            raise ClassifierError("--compare needs a labelled test file (--test) to score both models on")
        from classifier.model.training import check_trainable, extend_recipe, load_training
        from classifier.progress import Progress
        from classifier.tagging.fast import compiled_scorer

        articles, recipe, files = load_training(labels, taxonomy, own_topics)
        recipe, _ = extend_recipe(recipe, articles, unlabelled or (), scorer=compiled_scorer)
        check_trainable(articles, recipe.topics)
        source = ", ".join(str(f) for f in files)
        with Progress(total=folds, label="folds") as progress:
            result = evaluate_recipe(articles, recipe, folds=folds, source=source, on_fold=progress.advance)
    if report is not None:
        from classifier.evaluation.html import write_report

        write_report(result, report)
    text = json_document(result) if style == Format.json else format_report(result, style.value)
    write_lines([text], output)
