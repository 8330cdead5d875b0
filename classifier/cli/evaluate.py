"""`classifier evaluate`: the accuracy of a model on a labelled test set, or of the recipe by cross-validation."""

from __future__ import annotations

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
) -> None:
    """Measure accuracy: of a model on a labelled test file (--test), or of the recipe by K-fold
    cross-validation on the labels. Formats: table (default), json, markdown."""
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
    else:
        from classifier.model.training import check_trainable, load_training
        from classifier.progress import Progress

        articles, recipe, _ = load_training(labels, taxonomy, own_topics)
        check_trainable(articles, recipe.topics)
        with Progress(total=folds, label="folds") as progress:
            report = cross_validate(articles, recipe, folds=folds, on_fold=progress.advance)
    text = json_document(report) if style == Format.json else format_report(report, style.value)
    write_lines([text], output)
