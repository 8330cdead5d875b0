"""`classifier train`: a model from the hand labels, saved as a new version of the store."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from classifier.cli._util import (
    LabelsOpt,
    OwnTopicsOpt,
    TaxonomyOpt,
    UnlabelledOpt,
    echo,
    note,
)


class Abstain(StrEnum):
    veto = "veto"
    fill = "fill"
    scale = "scale"


def train(
    labels: LabelsOpt = None,
    taxonomy: TaxonomyOpt = None,
    own_topics: OwnTopicsOpt = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the model to this directory instead of the store.")
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
    unlabelled: UnlabelledOpt = None,
    abstain: Annotated[
        Abstain | None,
        typer.Option(
            "--abstain",
            help="Learn 'no topic' as a decision of its own (off by default: it did not help on dev). "
            "Such a model is tagged through its pipeline, more slowly.",
        ),
    ] = None,
) -> None:
    """Train a model on the hand labels (and any extra label files) and save it as a new version."""
    from classifier.model.store import build_dictionary_ahead, check_output_dir, save_model

    build_dictionary_ahead()  # before scikit-learn's import, which leaves the other core free
    from classifier.model.training import extend_recipe, load_training, train_model
    from classifier.tagging.fast import compiled_scorer

    if output is not None:
        check_output_dir(output)
    articles, recipe, files = load_training(labels, taxonomy, own_topics, prior_weight)
    recipe, unlabelled_files = extend_recipe(
        recipe, articles, unlabelled or (), abstain.value if abstain else None, scorer=compiled_scorer
    )
    if sys.stderr.isatty():
        # A fit has no countable steps to show; say what is running so the wait is not silent.
        extra = f" (+ {len(recipe.unlabelled)} unlabelled)" if recipe.unlabelled else ""
        note(f"training on {len(articles)} articles{extra}, {len(recipe.topics)} topics...")
    pipeline, meta = train_model(articles, recipe, label_sources=files, unlabelled_sources=unlabelled_files)
    path = save_model(pipeline, meta, out_dir=output, make_default=set_default)
    cv = meta["cv_metrics"]
    echo(f"trained on {meta['n_articles']} articles, {len(recipe.topics)} topics -> {path}")
    echo("articles per topic: " + ", ".join(f"{t}={n}" for t, n in meta["counts"].items()))
    echo(
        f"out-of-fold micro_f1={cv['micro_f1']:.3f} macro_f1={cv['macro_f1']:.3f} "
        f"top1_accuracy={cv['top1_accuracy']:.3f} (thresholds chosen on these scores; "
        "`classifier evaluate` gives the nested figure)"
    )
    self_training = meta["recipe"]["self_training"]
    if self_training:
        echo(
            f"self-training: {self_training['added']} of the newest {min(self_training['max'], self_training['unlabelled'])}"
            f" unlabelled articles joined with the model's own answer (margin {self_training['margin']} log-odds)"
        )
    choice = meta["recipe"]["prior_weight_choice"]
    if choice:
        candidates = ", ".join(f"{w}: {ap:.3f}" for w, ap in choice.items())
        echo(f"term-prior weight {meta['recipe']['prior_weight']} (out-of-fold average precision {candidates})")
    from classifier.model.store import default_version

    if output is None and default_version() == path.name:
        echo(f"default model is now {path.name}")
