"""The topic classifier: threshold choice, the decision rule, the pipeline's shape."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from classifier.model.decision import assign, assign_columns
from classifier.model.estimator import best_f1_threshold
from classifier.model.training import Recipe
from tests.model import corpus


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


def test_recipe_is_a_plain_pipeline_with_scores_per_topic() -> None:
    pipeline = Recipe(["money", "sport"]).fit(corpus()).pipeline
    assert isinstance(pipeline, Pipeline)
    assert [name for name, _ in pipeline.steps] == ["normalise", "features", "classify"]
    scores = pipeline.predict_proba(["足球比赛", "银行股市"])
    assert scores.shape == (2, 2)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert pipeline.predict(["足球比赛"]).shape == (1, 2)
    assert list(pipeline[-1].classes_) == ["money", "sport"]


def test_assign_keeps_topics_at_or_above_their_threshold_highest_first() -> None:
    scores = np.array([[0.2, 0.9, 0.5], [0.1, 0.1, 0.1], [0.6, 0.6, 0.7]])
    thresholds = np.array([0.5, 0.5, 0.5])
    assert assign_columns(scores, thresholds) == [[1, 2], [], [2, 0, 1]]
    assert assign(scores, thresholds, ["a", "b", "c"], top=2) == [["b", "c"], [], ["c", "a"]]


def test_predict_and_assign_agree() -> None:
    pipeline = Recipe(["money", "sport"]).fit(corpus()).pipeline
    texts = ["足球比赛", "银行股市", "天气"]
    scores = pipeline.predict_proba(texts)
    indicator = pipeline.predict(texts)
    for row, topics in zip(indicator, pipeline[-1].assign(scores), strict=True):
        assert sorted(topics) == sorted(t for t, on in zip(pipeline[-1].classes_, row, strict=True) if on)
