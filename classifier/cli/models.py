"""`classifier models`: list the model versions, choose the default, compare two versions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from classifier.cli._util import (
    FoldsOpt,
    Format,
    FormatOpt,
    OutputOpt,
    TestOpt,
    TrustPickleOpt,
    choose_format,
    echo,
    fail,
    json_document,
    note,
    write_lines,
)

models_app = typer.Typer(help="List the trained model versions, choose the default, compare two.", no_args_is_help=True)


@models_app.command("list")
def models_list(format: FormatOpt = None) -> None:
    """Show the model versions in the store with their data and metrics. Formats: table (default), json."""
    from classifier.model.store import list_models

    style = choose_format(format or Format.table, [Format.table, Format.json], None)
    models = list_models()
    if style == Format.json:
        echo(json_document(models))
        return
    if not models:
        echo("no models; train one with `classifier train`")
        return
    echo(f"  {'version':<24} {'articles':>8} {'topics':>6} {'micro_f1':>8} {'macro_f1':>8}  data")
    for m in models:
        cv = m.get("cv_metrics", {})
        mark = "*" if m["is_default"] else " "
        echo(
            f"{mark} {m['version']:<24} {m.get('n_articles', 0):>8} {len(m.get('topics', [])):>6} "
            f"{cv.get('micro_f1', 0):>8.3f} {cv.get('macro_f1', 0):>8.3f}  {m.get('data_fingerprint', '')[:12]}"
        )
    echo("* default; metrics are out-of-fold on the training labels")


@models_app.command("use")
def models_use(version: Annotated[str, typer.Argument(help="A version name from `classifier models list`.")]) -> None:
    """Make a model version the default for `tag` and `evaluate`."""
    from classifier.model.store import resolve_model_dir, set_default

    path = resolve_model_dir(version)
    set_default(path)
    echo(f"default model is now {path.name}")


@models_app.command("compare")
def models_compare(
    a: Annotated[str, typer.Argument(help="Model A (version name or directory).")],
    b: Annotated[str, typer.Argument(help="Model B.")],
    test: TestOpt = None,
    folds: FoldsOpt = 5,
    format: FormatOpt = None,
    changed: Annotated[int, typer.Option("--changed", help="Show at most this many changed articles.")] = 20,
    output: OutputOpt = None,
    trust_pickle: TrustPickleOpt = False,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Also write B's accuracy report with A beside it, as one HTML file."),
    ] = None,
) -> None:
    """Compare two model versions on the same articles: metrics, F1 per topic, and which articles changed tags.

    With --test, both models score that labelled file; without, both recipes are cross-validated
    on the union of their training labels (the same folds for both). Formats: table (default), json.
    """
    from classifier.labelling.compare import compare_by_cv, compare_on_test, format_comparison, training_labels
    from classifier.labelling.journal import journalled_stores
    from classifier.model.store import load_model
    from classifier.reading.reader import read_labelled

    style = choose_format(format or Format.table, [Format.table, Format.json], output)
    model_a, model_b = load_model(a, trust_pickle=trust_pickle), load_model(b, trust_pickle=trust_pickle)
    if test is not None:
        articles = read_labelled(test, topics=sorted(set(model_a.topics) | set(model_b.topics)))
        result = compare_on_test(model_a, model_b, articles, detail=report is not None, source=str(test))
        result["test"] = str(test)
    else:
        stores = journalled_stores()
        train_a, train_b = training_labels(model_a, stores), training_labels(model_b, stores)
        note(f"cross-validating both recipes ({folds} folds)...")
        result = compare_by_cv(model_a, model_b, train_a, train_b, folds=folds, detail=report is not None)
    if report is not None:
        from classifier.evaluation.html import write_report

        write_report(result["report"], report)
    text = json_document(result) if style == Format.json else format_comparison(result, max_changed=changed)
    write_lines([text], output)


@models_app.command("verify")
def models_verify(
    versions: Annotated[
        list[str] | None, typer.Argument(help="Versions or model directories; default: every version in the store.")
    ] = None,
) -> None:
    """Check model versions: every file against the manifest, and that the pipeline and arrays load as data."""
    from classifier.model.store import resolve_model_dir, verify_all, verify_loadable

    if versions:
        results = [(v, verify_loadable(resolve_model_dir(v))) for v in versions]
    else:
        results = verify_all()
        if not results:
            echo("no models to verify")
            return
    for version, problem in results:
        echo(f"ok      {version}" if problem is None else f"FAILED  {version}: {problem}")
    failed = sum(problem is not None for _, problem in results)
    if failed:
        fail(f"{failed} of {len(results)} version(s) failed verification")
