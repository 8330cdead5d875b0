"""The topic classifier: threshold choice, the decision rule, the pipeline's shape."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from classifier.model.decision import assign, assign_columns
from classifier.model.estimator import TopicClassifier, best_f1_threshold
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


def test_fits_in_processes_give_the_model_of_one_process() -> None:
    # liblinear shuffles with the C library's one generator: only separate processes keep fits apart.
    articles = corpus() * 3
    texts, tags = [a.full_text for a in articles], [a.topics for a in articles]
    prefix = Recipe(["money", "sport"], use_priors=False).pipeline()[:-1]
    X = prefix.fit_transform(texts)
    one = TopicClassifier(["money", "sport"], n_jobs=1).fit(X, tags)
    two = TopicClassifier(["money", "sport"], n_jobs=2).fit(X, tags)
    # Platt scaling differs in the last bit from run to run even in one process: compare it closely, not exactly.
    assert np.allclose(one.oof_scores_, two.oof_scores_, rtol=0, atol=1e-12)
    assert np.allclose(one.thresholds_, two.thresholds_, rtol=0, atol=1e-12)
    for a, b in zip(one.estimators_, two.estimators_, strict=True):
        assert np.array_equal(a.coef_, b.coef_) and np.array_equal(a.intercept_, b.intercept_)


def test_refit_after_a_fit_without_final_models_is_the_whole_fit() -> None:
    articles = corpus() * 2
    texts, tags = [a.full_text for a in articles], [a.topics for a in articles]
    X = Recipe(["money", "sport"], use_priors=False).pipeline()[:-1].fit_transform(texts)
    whole = TopicClassifier(["money", "sport"], n_jobs=1).fit(X, tags)
    staged = TopicClassifier(["money", "sport"], n_jobs=1).fit(X, tags, refit=False)
    assert not hasattr(staged, "estimators_")
    staged.refit(X, tags)
    assert all(np.array_equal(a.coef_, b.coef_) for a, b in zip(whole.estimators_, staged.estimators_, strict=True))


def test_the_out_of_fold_tolerance_leaves_the_final_models_as_they_are() -> None:
    articles = corpus() * 3
    texts, tags = [a.full_text for a in articles], [a.topics for a in articles]
    X = Recipe(["money", "sport"], use_priors=False).pipeline()[:-1].fit_transform(texts)
    exact = TopicClassifier(["money", "sport"], n_jobs=1, oof_tol=None).fit(X, tags)
    loose = TopicClassifier(["money", "sport"], n_jobs=1, oof_tol=1e-2).fit(X, tags)
    assert np.allclose(exact.oof_scores_, loose.oof_scores_, rtol=0, atol=0.02)
    for a, b in zip(exact.estimators_, loose.estimators_, strict=True):
        assert a.get_params() == b.get_params()
        assert np.array_equal(a.coef_, b.coef_) and np.array_equal(a.intercept_, b.intercept_)


def test_out_of_fold_fits_on_rows_sorted_once_are_those_on_the_rows_as_they_are() -> None:
    """The training rows are sorted once before the fits; scikit-learn sorted them in each fit: the same fits."""
    from sklearn.model_selection import KFold
    from sklearn.preprocessing import MultiLabelBinarizer

    articles = corpus() * 3
    texts, tags = [a.full_text for a in articles], [a.topics for a in articles]
    X = Recipe(["money", "sport"], use_priors=False).pipeline()[:-1].fit_transform(texts)
    assert not X.has_sorted_indices, "the union's rows come unsorted: the case that matters"
    classifier = TopicClassifier(["money", "sport"], n_jobs=2)
    Y = MultiLabelBinarizer(classes=["money", "sport"]).fit_transform(tags)
    weights = np.ones(len(Y))
    decisions, final = classifier._out_of_fold_decisions(X, Y, weights, final=True)
    expected = np.zeros(Y.shape)
    for train, held in KFold(n_splits=5, shuffle=True, random_state=0).split(X):
        for j in range(Y.shape[1]):
            model = classifier._new_estimator(classifier.oof_tol).fit(
                X[train], Y[train, j], sample_weight=weights[train]
            )
            expected[held, j] = model.decision_function(X[held])
    assert np.array_equal(decisions, expected)
    for j, model in enumerate(final):
        alone = classifier._new_estimator().fit(X.copy(), Y[:, j], sample_weight=weights)
        assert np.array_equal(model.coef_, alone.coef_) and np.array_equal(model.intercept_, alone.intercept_)


def test_scores_in_processes_are_those_of_one_pass() -> None:
    from classifier.model.estimator import scores_and_topics, scores_and_topics_in_processes

    pipeline = Recipe(["money", "sport"]).fit(corpus()).pipeline
    texts = [f"{a.full_text} {i}" for i, a in enumerate(corpus() * 60)]
    scores, topics = scores_and_topics(pipeline, texts)
    pieces, piece_topics = scores_and_topics_in_processes(pipeline, texts, processes=2)
    assert np.array_equal(scores, pieces) and topics == piece_topics
