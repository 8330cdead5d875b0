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
    format: FormatOpt = None,
    output: OutputOpt = None,
    report: ReportOpt = None,
    compare: CompareOpt = None,
) -> None:
    """Measure accuracy: of a model on a labelled test file (--test), or of the recipe by K-fold
    cross-validation on the labels. Formats: table (default), json (every number of --report), markdown."""
    from classifier.evaluation.evaluate import format_report
    from classifier.evaluation.report import evaluate_model, evaluate_recipe

    style = format or Format.table
    choose_format(style, [Format.table, Format.json, Format.markdown], output)
    if test is not None:
        result = evaluate_model(model, test, compare=compare, trust_pickle=trust_pickle)
    else:
        if compare is not None:
            raise ClassifierError("--compare needs a labelled test file (--test) to score both models on")
        from classifier.model.training import check_trainable, load_training
        from classifier.progress import Progress

        articles, recipe, files = load_training(labels, taxonomy, own_topics)
        check_trainable(articles, recipe.topics)
        source = ", ".join(str(f) for f in files)
        with Progress(total=folds, label="folds") as progress:
            result = evaluate_recipe(articles, recipe, folds=folds, source=source, on_fold=progress.advance)
    if report is not None:
        from classifier.evaluation.html import write_report

        write_report(result, report)
    text = json_document(result) if style == Format.json else format_report(result, style.value)
    write_lines([text], output)
