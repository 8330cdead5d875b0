"""The model pieces: threshold choice, term priors, the classifier's shapes and the store."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.evaluate import compute_metrics
from classifier.features import TermPriors
from classifier.model import best_f1_threshold
from classifier.store import load_model, save_model
from classifier.training import Recipe, check_trainable
from tests.conftest import MONEY, SPORT


def corpus() -> list[Article]:
    return [Article(f"s{i}", "", t, ["sport"]) for i, t in enumerate(SPORT)] + [
        Article(f"m{i}", "", t, ["money"]) for i, t in enumerate(MONEY)
    ]


def test_best_threshold_separates_clean_scores() -> None:
    scores = np.array([0.9, 0.8, 0.3, 0.2])
    truth = np.array([1, 1, 0, 0])
    assert best_f1_threshold(scores, truth) == pytest.approx(0.55)


def test_best_threshold_never_splits_tied_scores() -> None:
    scores = np.array([0.9, 0.5, 0.5, 0.1])
    truth = np.array([1, 1, 0, 0])
    cut = best_f1_threshold(scores, truth)
    assert (scores >= cut).tolist() in ([True, True, True, False], [True, False, False, False])


def test_best_threshold_without_positives_is_the_fallback() -> None:
    assert best_f1_threshold(np.array([0.2, 0.4]), np.array([0, 0]), fallback=0.5) == 0.5


def test_term_priors_count_longest_terms_per_group() -> None:
    priors = TermPriors(groups={"energy": ["煤炭", "煤炭保供", "电网"], "none": ["外交部"]}, weight=1.0).fit([])
    X = priors.transform(["煤炭保供和电网，电网", "外交部发言人", "无关"]).toarray()
    # "煤炭保供" is matched once as the longer term, not again as "煤炭".
    assert X[:, 0] == pytest.approx(np.log1p([3, 0, 0]))
    assert X[:, 1] == pytest.approx(np.log1p([0, 1, 0]))
    assert list(priors.get_feature_names_out()) == ["energy", "none"]


def test_recipe_is_a_plain_pipeline_with_scores_per_topic() -> None:
    pipeline = Recipe(["money", "sport"]).fit(corpus())
    assert isinstance(pipeline, Pipeline)
    assert [name for name, _ in pipeline.steps] == ["normalise", "features", "classify"]
    scores = pipeline.predict_proba(["足球比赛", "银行股市"])
    assert scores.shape == (2, 2)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert pipeline.predict(["足球比赛"]).shape == (1, 2)
    assert list(pipeline[-1].classes_) == ["money", "sport"]


def test_recipe_with_taxonomy_adds_priors_and_pseudo_articles() -> None:
    from classifier.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    recipe = Recipe(taxonomy.ids, taxonomy)
    pseudo = recipe.prior_articles()
    assert recipe.priors_active
    assert {t for a in pseudo for t in a.topics} == set(taxonomy.ids)
    assert any(a.topics == [] for a in pseudo), "the no-topic term list gives empty-set examples"
    assert Recipe(taxonomy.ids, taxonomy, use_priors=False).prior_articles() == []


def test_recipe_chooses_the_prior_weight_on_the_training_labels() -> None:
    from classifier.labels import load_labelled_articles
    from classifier.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    seeds = load_labelled_articles(None, topics=taxonomy.ids)
    # Without the term columns (weight 0) the seed labels are ranked much worse: the choice must see it.
    recipe = Recipe(taxonomy.ids, taxonomy, prior_weight_grid=(0.0, 0.5))
    pipeline = recipe.fit(seeds)
    assert set(recipe.prior_weight_scores_) == {0.0, 0.5}
    assert recipe.prior_weight_scores_[0.5] > recipe.prior_weight_scores_[0.0]
    assert recipe.prior_weight_ == 0.5
    assert pipeline.named_steps["features"].get_params()["terms__weight"] == 0.5

    # The choice rescales shared features instead of refitting them: the same model as a fixed weight.
    fixed = Recipe(taxonomy.ids, taxonomy, prior_weight=0.5)
    same = fixed.fit(seeds)
    assert fixed.prior_weight_ == 0.5 and fixed.prior_weight_scores_ == {}
    texts = [a.full_text for a in seeds]
    assert np.allclose(pipeline.predict_proba(texts), same.predict_proba(texts), rtol=0, atol=1e-12)
    assert np.allclose(pipeline[-1].thresholds_, same[-1].thresholds_, rtol=0, atol=1e-9)


def test_same_labels_give_the_same_model() -> None:
    # liblinear shuffles its data; unseeded, two fits here differ by about 1e-5 in the weights.
    first, second = Recipe(["money", "sport"]).fit(corpus()), Recipe(["money", "sport"]).fit(corpus())
    for a, b in zip(first[-1].estimators_, second[-1].estimators_, strict=True):
        assert np.array_equal(a.coef_, b.coef_)


def test_check_trainable_needs_two_examples_per_topic() -> None:
    articles = corpus()
    articles[0].topics = ["rare"]
    with pytest.raises(ClassifierError, match="topic 'rare' has 1 labelled article"):
        check_trainable(articles, ["money", "sport", "rare"])


def test_metrics_on_a_hand_worked_example() -> None:
    gold = [["a"], ["a", "b"], [], ["b"]]
    predicted = [["a"], ["a"], ["b"], []]
    scores = np.array([[0.9, 0.1], [0.8, 0.4], [0.3, 0.6], [0.6, 0.4]])
    m = compute_metrics(gold, predicted, scores, ["a", "b"])
    # tp=2 (a,a), fp=1 (b on the empty one), fn=2 (b twice): micro F1 = 4 / (4 + 1 + 2)
    assert m["micro_f1"] == pytest.approx(4 / 7)
    assert m["per_topic"]["a"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2, "predicted": 2}
    assert m["subset_accuracy"] == pytest.approx(0.25)
    assert m["top1_accuracy"] == pytest.approx(2 / 3)  # articles 1, 2 right; article 4's best is "a"
    assert m["empty_precision"] == 0.0  # the one article left untagged had gold ["b"]


def test_saved_model_is_a_loadable_pipeline_and_versions_are_kept(tmp_path: Path) -> None:
    pipeline = Recipe(["money", "sport"]).fit(corpus())
    first = save_model(pipeline, {"topics": ["money", "sport"], "data_fingerprint": "abc"}, store=tmp_path)
    second = save_model(pipeline, {"topics": ["money", "sport"], "data_fingerprint": "abc"}, store=tmp_path)
    assert first != second and first.exists() and second.exists()
    assert isinstance(joblib.load(first / "model.joblib"), Pipeline)
    loaded = load_model(first)
    assert loaded.topics == ["money", "sport"]
    meta = json.loads((first / "meta.json").read_text(encoding="utf-8"))
    assert {"created", "libraries", "model_sha256", "data_fingerprint"} <= set(meta)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary files left behind"


def test_model_saved_with_another_sklearn_version_warns(tmp_path: Path) -> None:
    pipeline = Recipe(["money", "sport"]).fit(corpus())
    path = save_model(pipeline, {"topics": ["money", "sport"]}, out_dir=tmp_path / "m")
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    meta["libraries"]["scikit-learn"] = "0.1"
    (path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.warns(UserWarning, match="trained with scikit-learn 0.1"):
        load_model(path)
