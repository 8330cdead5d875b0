"""The training recipe: term priors and pseudo-articles, the prior-weight choice, reproducibility, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.errors import ClassifierError
from classifier.model.training import Recipe, check_trainable
from tests.model import corpus


def test_recipe_with_taxonomy_adds_priors_and_pseudo_articles() -> None:
    from classifier.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    recipe = Recipe(taxonomy.ids, taxonomy)
    pseudo = recipe.prior_articles()
    assert recipe.priors_active
    assert {t for a in pseudo for t in a.topics} == set(taxonomy.ids)
    assert any(a.topics == [] for a in pseudo), "the no-topic term list gives empty-set examples"
    assert Recipe(taxonomy.ids, taxonomy, use_priors=False).prior_articles() == []


@pytest.mark.parametrize(
    ("scores", "best", "tried"),
    [
        ((0.883, 0.870, 0.862), 0, {0, 1}),  # the all-labels model: falling, the lowest weight kept from two fits
        ((0.889, 0.893, 0.878), 1, {0, 1, 2}),  # the seeds: a peak in the middle
        ((0.80, 0.85, 0.90), 2, {0, 1, 2}),
        ((0.9, 0.9, 0.8), 0, {0, 1}),  # equal scores: the lower weight, as a scan of all keeps the first best
        ((0.8, 0.9, 0.9), 1, {0, 1, 2}),
        ((0.5, 0.7), 1, {0, 1}),
        ((0.7,), 0, {0}),
        ((0.1, 0.2, 0.3, 0.4, 0.35), 3, {1, 2, 3, 4}),
        ((0.5, 0.4, 0.3, 0.2, 0.1), 0, {0, 1, 2}),
    ],
)
def test_the_prior_weight_climb_finds_a_single_peak_from_fewer_fits(
    scores: tuple[float, ...], best: int, tried: set[int]
) -> None:
    from classifier.model.training import _climb

    asked: set[int] = set()

    def score(i: int) -> float:
        asked.add(i)
        return scores[i]

    assert _climb(len(scores), score) == best
    assert best == max(range(len(scores)), key=lambda i: (scores[i], -i)), "what a scan of every candidate keeps"
    assert asked == tried


@pytest.mark.slow
def test_recipe_chooses_the_prior_weight_on_the_training_labels() -> None:
    from classifier.reading.labels import load_labelled_articles
    from classifier.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    seeds = load_labelled_articles(None, topics=taxonomy.ids)
    # Without the term columns (weight 0) the seed labels are ranked much worse: the choice must see it.
    recipe = Recipe(taxonomy.ids, taxonomy, prior_weight_grid=(0.0, 0.5))
    chosen = recipe.fit(seeds)
    pipeline = chosen.pipeline
    assert set(chosen.prior_weight_scores) == {0.0, 0.5}
    assert chosen.prior_weight_scores[0.5] > chosen.prior_weight_scores[0.0]
    assert chosen.prior_weight == 0.5
    assert pipeline.named_steps["features"].get_params()["terms__weight"] == 0.5

    # The choice rescales shared features instead of refitting them: the same model as a fixed weight.
    fixed = Recipe(taxonomy.ids, taxonomy, prior_weight=0.5)
    fitted = fixed.fit(seeds)
    same = fitted.pipeline
    assert fitted.prior_weight == 0.5 and fitted.prior_weight_scores == {}
    texts = [a.full_text for a in seeds]
    assert np.allclose(pipeline.predict_proba(texts), same.predict_proba(texts), rtol=0, atol=1e-12)
    assert np.allclose(pipeline[-1].thresholds_, same[-1].thresholds_, rtol=0, atol=1e-9)


def test_same_labels_give_the_same_model() -> None:
    # liblinear shuffles its data; unseeded, two fits here differ by about 1e-5 in the weights.
    first, second = (Recipe(["money", "sport"]).fit(corpus()).pipeline for _ in range(2))
    for a, b in zip(first[-1].estimators_, second[-1].estimators_, strict=True):
        assert np.array_equal(a.coef_, b.coef_)


def test_check_trainable_needs_two_examples_per_topic() -> None:
    articles = corpus()
    articles[0].topics = ["rare"]
    with pytest.raises(ClassifierError, match="topic 'rare' has 1 labelled article"):
        check_trainable(articles, ["money", "sport", "rare"])


def test_the_recipe_of_a_model_is_read_back_from_its_meta() -> None:
    from classifier.model.training import train_model
    from classifier.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    own = Recipe(["money", "sport"])
    _, meta = train_model(corpus(), own)
    again = Recipe.from_meta(meta, taxonomy)
    assert again.topics == ["money", "sport"] and not again.priors_active

    fixed = Recipe(taxonomy.ids, taxonomy, prior_weight=0.25)
    meta = {"topics": taxonomy.ids, "recipe": {"priors": True, "prior_weight": 0.25, "prior_weight_choice": {}}}
    assert Recipe.from_meta(meta, taxonomy).prior_weight == fixed.prior_weight
    meta["recipe"]["prior_weight_choice"] = {"0.25": 0.9, "0.5": 0.8}
    assert Recipe.from_meta(meta, taxonomy).prior_weight is None  # chosen at each training, as the model was
