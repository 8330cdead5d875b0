"""Choose the recipe's prior-knowledge settings by cross-validation on the seed labels only.

For each setting of (pseudo-articles per topic, pseudo-articles for the empty set, term-prior
weight), 5-fold cross-validation over the hand-labelled seed articles, repeated with three fold
shufflings; prints mean micro- and macro-F1. ``--title-repeats`` sweeps the headline weight of
``TextNormaliser`` instead (five shufflings). No dev or benchmark labels are read, so the chosen
defaults in ``classifier.model.training.Recipe`` are not tuned on the data we report on.

Run: ``python benchmarks/choose_priors.py`` (about 5 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from classifier.evaluation.evaluate import cross_validate
from classifier.locations import seed_labels_file
from classifier.model.training import Recipe
from classifier.reading.labels import load_labelled_articles
from classifier.taxonomy import load_taxonomy

DOC_COUNTS = [(5, 20), (10, 40), (20, 80), (40, 160)]
WEIGHTS = [0.25, 0.5, 1.0]
REPEATS = 3


def title_sweep() -> None:
    """Micro/macro-F1 of the default recipe with the headline counted 1 to 4 times."""
    taxonomy = load_taxonomy()
    seeds = load_labelled_articles([seed_labels_file()], topics=taxonomy.ids)
    print("| title repeats | micro_f1 | macro_f1 |")
    print("|---|---|---|")
    for repeats in (1, 2, 3, 4):
        recipe = Recipe(taxonomy.ids, taxonomy, pipeline_params={"normalise__title_repeats": repeats})
        reports = [cross_validate(seeds, recipe, folds=5, random_state=seed) for seed in range(5)]
        micro = np.mean([r["micro_f1"] for r in reports])
        macro = np.mean([r["macro_f1"] for r in reports])
        print(f"| {repeats} | {micro:.3f} | {macro:.3f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--title-repeats", action="store_true", help="sweep the headline weight instead")
    if parser.parse_args().title_repeats:
        title_sweep()
        return
    taxonomy = load_taxonomy()
    seeds = load_labelled_articles([seed_labels_file()], topics=taxonomy.ids)
    print("| per topic | empty set | weight | micro_f1 | macro_f1 |")
    print("|---|---|---|---|---|")
    for (per_topic, none_docs), weight in itertools.product(DOC_COUNTS, WEIGHTS):
        recipe = Recipe(taxonomy.ids, taxonomy, docs_per_topic=per_topic, none_docs=none_docs, prior_weight=weight)
        reports = [cross_validate(seeds, recipe, folds=5, random_state=seed) for seed in range(REPEATS)]
        micro = np.mean([r["micro_f1"] for r in reports])
        macro = np.mean([r["macro_f1"] for r in reports])
        print(f"| {per_topic} | {none_docs} | {weight} | {micro:.3f} | {macro:.3f} |", flush=True)


if __name__ == "__main__":
    main()
