"""The accuracy-research additions: the abstention model, its decision rules and self-training."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from classifier.article import Article
from classifier.model.decision import abstention_decisions, best_abstention_cut, decide_columns
from classifier.model.estimator import TopicClassifier, build_pipeline, scores_and_topics
from classifier.model.training import SELF_ID_PREFIX, Recipe
from tests.model import corpus as two_topics

# Articles with no topic: diplomatic and weather news, in neither category's words.
NEITHER = [
    "外交部发言人今天主持例行记者会，回答记者提问",
    "国家主席会见来访的外国总统，双方举行会谈",
    "中央气象台发布寒潮预警，北方大部将迎来降温",
    "两国领导人互致贺电，庆祝建交周年",
]


def corpus() -> list[Article]:
    return two_topics() + [Article(f"n{i}", "", t, []) for i, t in enumerate(NEITHER)]


def fit(articles: list[Article], **params: object):
    pipeline = build_pipeline(topics=["money", "sport"], cv_folds=3, **params)
    return pipeline.fit([a.full_text for a in articles], [a.topics for a in articles])


def test_abstention_decisions_veto_and_fill() -> None:
    scores = np.array([[0.9, 0.1], [0.3, 0.2], [0.8, 0.7]])
    p_empty = np.array([0.1, 0.2, 0.9])
    thresholds = np.array([0.5, 0.5])
    veto = abstention_decisions(scores, p_empty, thresholds, cut=0.5, fill=False)
    assert veto.tolist() == [[True, False], [False, False], [False, False]]  # row 3 vetoed
    fill = abstention_decisions(scores, p_empty, thresholds, cut=0.5, fill=True)
    assert fill.tolist() == [[True, False], [True, False], [False, False]]  # row 2 gets its best topic
    assert decide_columns(scores, thresholds, None, p_empty, "fill", 0.5) == [[0], [0], []]
    assert decide_columns(scores, thresholds, None, p_empty, None, 0.5) == [[0], [], [0, 1]], "no rule: thresholds"


def test_abstention_cut_is_never_when_abstaining_does_not_help() -> None:
    scores = np.array([[0.9, 0.1], [0.2, 0.8]])
    Y = np.array([[1, 0], [0, 1]])
    assert best_abstention_cut(scores, np.array([0.1, 0.2]), Y, np.array([0.5, 0.5]), fill=False) == np.inf


def test_abstention_cut_vetoes_a_false_positive_with_high_p_empty() -> None:
    scores = np.array([[0.9, 0.1], [0.7, 0.1], [0.1, 0.8]])
    Y = np.array([[1, 0], [0, 0], [0, 1]])  # article 2 has no topic but clears topic 1's threshold
    cut = best_abstention_cut(scores, np.array([0.1, 0.9, 0.2]), Y, np.array([0.5, 0.5]), fill=False)
    assert 0.2 < cut <= 0.9


@pytest.mark.parametrize("model", ["linear", "stack"])
def test_classifier_with_an_abstention_model(model: str) -> None:
    pipeline = fit(corpus(), abstain="veto", abstain_model=model)
    classifier: TopicClassifier = pipeline[-1]
    assert classifier.abstains and classifier.abstainer_ is not None
    texts = ["外交部发言人回答记者提问", "足球比赛今晚开赛"]
    X = pipeline[:-1].transform(texts)
    p_empty = classifier.empty_proba(X)
    assert p_empty.shape == (2,) and ((p_empty >= 0) & (p_empty <= 1)).all()
    assert p_empty[0] > p_empty[1]
    decided = classifier.predict(X)
    assert decided.shape == (2, 2)
    assert not decided[p_empty >= classifier.empty_threshold_].any(), "abstained rows carry no topic"
    _, topics = scores_and_topics(pipeline, texts)
    assert topics == [
        classifier.assign(classifier.predict_proba(X[i]), p_empty=p_empty[i : i + 1])[0] for i in range(2)
    ]
    if model == "linear":  # the stacker, fitted on 12 articles, is too unsure to be asked more
        assert topics[1] == ["sport"]


def test_abstention_is_skipped_without_enough_empty_examples() -> None:
    pipeline = fit(two_topics(), abstain="veto")
    classifier = pipeline[-1]
    assert classifier.abstainer_ is None and classifier.empty_threshold_ == np.inf and not classifier.abstains
    X = pipeline[:-1].transform(["足球比赛"])
    assert np.allclose(classifier.empty_proba(X), 1 - classifier.predict_proba(X).max(1))


def test_unknown_abstain_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="abstain"):
        fit(corpus(), abstain="maybe")


def test_without_abstain_the_decisions_are_the_thresholds() -> None:
    pipeline = fit(corpus())
    texts = ["股市上涨", "足球比赛", "外交部发言人"]
    scores, topics = scores_and_topics(pipeline, texts)
    classifier = pipeline[-1]
    assert topics == [
        [str(t) for t, s, c in zip(classifier.classes_, row, classifier.thresholds_, strict=True) if s >= c]
        for row in scores
    ]


def test_classifier_pickled_before_abstention_still_predicts() -> None:
    pipeline = fit(corpus())
    classifier = pipeline[-1]
    state = classifier.__dict__.copy()
    for key in ("abstain", "joint_thresholds", "abstain_model", "abstain_columns", "abstainer_", "empty_threshold_"):
        state.pop(key, None)
    old = TopicClassifier.__new__(TopicClassifier)
    old.__setstate__(state)
    restored = pickle.loads(pickle.dumps(old))
    X = pipeline[:-1].transform(["股市上涨", "足球比赛"])
    assert np.array_equal(restored.predict(X), classifier.predict(X))


UNLABELLED = [
    Article("u1", "", "银行股市上涨，基金净值回升"),
    Article("u2", "", "足球队在决赛中夺得冠军"),
    Article("u3", "", ""),  # no text: ignored
]


def test_self_training_adds_the_confident_unlabelled_articles() -> None:
    plain = Recipe(["money", "sport"]).fit(corpus())
    assert plain.self_trained == 0
    recipe = Recipe(["money", "sport"], unlabelled=UNLABELLED, self_train_weight=1.0, self_train_margin=0.0)
    extra = recipe.self_training_articles(plain.pipeline)
    assert [a.id for a in extra] == [f"{SELF_ID_PREFIX}u1", f"{SELF_ID_PREFIX}u2"]
    assert all(set(a.topics) <= {"money", "sport"} for a in extra)
    trained = recipe.fit(corpus())
    assert trained.self_trained == 2
    assert not np.allclose(trained.pipeline.predict_proba(["银行股市"]), plain.pipeline.predict_proba(["银行股市"]))
    strict = Recipe(["money", "sport"], unlabelled=UNLABELLED, self_train_weight=1.0, self_train_margin=50.0)
    assert strict.self_training_articles(plain.pipeline) == []
    newest = Recipe(["money", "sport"], unlabelled=UNLABELLED, self_train_margin=0.0, self_train_max=1)
    assert [a.id for a in newest.self_training_articles(plain.pipeline)] == [f"{SELF_ID_PREFIX}u2"], (
        "the newest one with text"
    )


def test_self_training_off_or_without_unlabelled_is_training_as_before() -> None:
    plain = Recipe(["money", "sport"]).fit(corpus()).pipeline
    off = Recipe(["money", "sport"], unlabelled=UNLABELLED, self_train_weight=0.0).fit(corpus()).pipeline
    texts = ["银行股市", "足球"]
    assert np.array_equal(plain.predict_proba(texts), off.predict_proba(texts))
    assert np.array_equal(plain[-1].thresholds_, off[-1].thresholds_)
