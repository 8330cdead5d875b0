"""The topic classifier (one calibrated, thresholded logistic regression per topic) and the pipeline it ends.

``build_pipeline()`` gives::

    Pipeline([
        ("normalise", TextNormaliser()),          # headline weight, NFKC, lower case, spaces
        ("features", FeatureUnion(words, chars, terms)), # TF-IDF words + char n-grams, term priors
        ("classify", TopicClassifier()),          # one logistic regression per topic
    ])

fitted on ``Article.full_text`` strings and lists of topic ids. ``predict_proba`` gives a
calibrated score in [0, 1] per topic; ``assign`` (and ``predict``) apply per-topic thresholds
that were chosen by cross-validation on the training data, so the empty set is a legal answer.
An optional abstention model (``abstain``, off by default) learns "has no topic" as a decision
of its own; :func:`scores_and_topics` applies it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MultiLabelBinarizer

from classifier.model.decision import ABSTAIN_RULES, best_abstention_cut, calibrate, decide_columns
from classifier.model.features import TextNormaliser, make_features
from classifier.processes import available_cpus, can_fork, fork_pool


def best_f1_threshold(scores: np.ndarray, truth: np.ndarray, fallback: float = 0.5) -> float:
    """The score cut that maximises F1 of ``scores >= cut`` against binary ``truth``.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
        Out-of-fold scores in [0, 1].
    truth : ndarray of shape (n_samples,)
        0/1 gold labels.
    fallback : float
        Returned when ``truth`` has no positive.

    Returns
    -------
    float
        A cut half-way between the lowest kept score and the next score below it, so that a
        small shift of the scores does not flip the decision on the boundary example.
    """
    positives = int(truth.sum())
    if positives == 0:
        return fallback
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_truth = scores[order], truth[order]
    true_pos = np.cumsum(sorted_truth)
    kept = np.arange(1, len(scores) + 1)
    f1 = 2 * true_pos / (kept + positives)
    # Only cut between distinct scores: equal scores must get the same decision.
    distinct = np.append(sorted_scores[:-1] > sorted_scores[1:], True)
    f1 = np.where(distinct, f1, -1.0)
    best = int(np.argmax(f1))
    below = sorted_scores[best + 1] if best + 1 < len(scores) else 0.0
    return float((sorted_scores[best] + below) / 2)


class TopicClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label classifier: one logistic regression per topic, Platt-calibrated, thresholded.

    Parameters
    ----------
    topics : sequence of str or None
        The topic ids, in output column order. ``None``: the sorted topics seen in ``y``.
    C : float
        Inverse regularisation strength of each logistic regression.
    class_weight : "balanced" or None
        Reweight positives so that rare topics are not drowned out.
    cv_folds : int
        Folds used to get out-of-fold scores for calibration, threshold and prior-weight choice.
        3 would make 40% fewer out-of-fold fits, but was not adopted: on the seeds-only model
        scored on dev it lost 0.029 micro-F1 and 0.046 macro-F1 (benchmarks/results/train_profile.md).
    random_state : int
        Seed of the fold shuffling and of liblinear's data shuffling.
    n_jobs : int or None
        Processes that fit the logistic regressions side by side (forked, so the features are
        shared, not copied); ``None``: one per CPU this process may use. Not threads: liblinear draws from the C
        library's one random generator, so fits in threads would disturb each other's shuffles.
        Each fit is seeded on its own, so the fitted model is the same whatever the number.
    abstain : {None, "veto", "fill", "scale"}
        How a learned "has no topic" model takes part in the decision. ``None`` (the default):
        no such model; the empty set is what is left when no topic clears its threshold.
        Otherwise one more logistic regression over the same features learns "the article has
        no topic" (target: the empty gold set), Platt-calibrated out of fold like the topics, and

        - ``"veto"``: an article with ``P(empty) >= empty_threshold_`` gets the empty set;
          the others get the topics that clear their thresholds (maybe none);
        - ``"fill"``: as ``"veto"``, and an article not abstained on gets at least its best topic;
        - ``"scale"``: topic scores are multiplied by ``1 - P(empty)`` before the per-topic
          thresholds (chosen on the scaled out-of-fold scores).

        ``empty_threshold_`` is chosen on the out-of-fold scores to maximise micro-F1 of the
        whole decision. Measured on dev it did not improve the decisions
        (benchmarks/results/accuracy_research.md), hence off by default.
    joint_thresholds : bool
        With ``"veto"`` / ``"fill"``: after choosing the abstention cut, choose each topic's
        threshold again on the articles not abstained on (two rounds).
    abstain_model : {"linear", "stack"}
        ``"linear"``: P(empty) is the calibrated "has no topic" regression itself. ``"stack"``:
        a small logistic regression over meta-features of each article (log-odds of its best
        and second-best topic score, of the linear P(empty), and the raw feature columns
        ``abstain_columns``, e.g. the no-topic term count), fitted on out-of-fold values.
    abstain_columns : tuple of int
        Feature columns given to the stacked abstention model as they are.
    oof_tol : float or None
        liblinear's stopping tolerance for the out-of-fold fits only (``None``: its default, 1e-4,
        which the final fits always use). Those fits only give the scores that set calibration,
        thresholds and the prior weight: at 1e-2 (the default since issue #13) they take about a
        third fewer iterations and their decision values move by about 1e-3; on dev's protocols
        the decisions stayed the same but for a handful of articles
        (benchmarks/results/train_profile.md).

    Attributes
    ----------
    classes_ : ndarray of shape (n_topics,)
        Topic ids, the columns of ``predict_proba``.
    estimators_ : list of LogisticRegression
        One per topic, fitted on all training data.
    calibrators_ : ndarray of shape (n_topics, 2)
        Platt scaling ``(a, b)`` per topic: score = sigmoid(a * decision + b).
    thresholds_ : ndarray of shape (n_topics,)
        A topic is assigned when its score is at least its threshold.
    oof_scores_ : ndarray of shape (n_samples, n_topics)
        Calibrated out-of-fold scores of the training articles (for reporting).
    abstainer_ : LogisticRegression or None
        The "has no topic" model (``None`` without ``abstain``, or when the training data has
        fewer than two articles with, or without, a topic).
    empty_calibrator_ : ndarray of shape (2,)
        Its Platt scaling (with an abstainer).
    stacker_ : tuple (mean, scale, LogisticRegression) or None
        The stacked abstention model and the standardisation of its meta-features.
    empty_threshold_ : float
        Abstain when ``P(empty)`` is at least this (``inf``: never; always so with ``"scale"``).
    oof_empty_ : ndarray of shape (n_samples,)
        Calibrated out-of-fold ``P(empty)`` of the training articles (with an abstainer).
    """

    def __init__(
        self,
        topics: Sequence[str] | None = None,
        C: float = 30.0,
        class_weight: str | None = "balanced",
        cv_folds: int = 5,
        random_state: int = 0,
        n_jobs: int | None = None,
        abstain: str | None = None,
        joint_thresholds: bool = False,
        abstain_model: str = "linear",
        abstain_columns: tuple[int, ...] = (),
        oof_tol: float | None = 1e-2,
    ) -> None:
        self.topics = topics
        self.C = C
        self.class_weight = class_weight
        self.cv_folds = cv_folds
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.abstain = abstain
        self.joint_thresholds = joint_thresholds
        self.abstain_model = abstain_model
        self.abstain_columns = abstain_columns
        self.oof_tol = oof_tol

    def __setstate__(self, state: dict) -> None:
        # Models saved before the abstention model existed decide by thresholds alone.
        state.setdefault("abstain", None)
        state.setdefault("joint_thresholds", False)
        state.setdefault("abstain_model", "linear")
        state.setdefault("abstain_columns", ())
        state.setdefault("abstainer_", None)
        state.setdefault("empty_calibrator_", None)
        state.setdefault("stacker_", None)
        state.setdefault("empty_threshold_", float("inf"))
        state.setdefault("oof_tol", None)
        super().__setstate__(state)

    def _new_estimator(self, tol: float | None = None) -> LogisticRegression:
        # The dual solver: with far more features than articles it is hundreds of times faster.
        # liblinear shuffles the data with its own seed: fix it so the same labels give the same model.
        model = LogisticRegression(
            C=self.C,
            class_weight=self.class_weight,
            solver="liblinear",
            dual=True,
            max_iter=1000,
            random_state=self.random_state,
        )
        return model if tol is None else model.set_params(tol=tol)

    def fit(
        self,
        X: sparse.spmatrix,
        y: Sequence[Sequence[str]],
        sample_weight: np.ndarray | None = None,
        calibrate_on: np.ndarray | None = None,
        refit: bool = True,
    ) -> TopicClassifier:
        """Fit on a feature matrix and topic lists.

        Parameters
        ----------
        X : sparse matrix of shape (n_samples, n_features)
        y : sequence of ``n_samples`` lists of topic ids
        sample_weight : ndarray of shape (n_samples,) or None
            Weight of each example in the logistic regressions.
        calibrate_on : boolean ndarray of shape (n_samples,) or None
            The examples whose out-of-fold scores set the Platt scaling and the thresholds
            (default: all). Used to keep synthetic examples, which are easy, out of that choice.
        refit : bool
            False: stop after the out-of-fold scores, calibration and thresholds (enough to compare
            settings by ``oof_scores_``); :meth:`refit` then fits the final models.
        """
        topics = list(self.topics) if self.topics is not None else sorted({t for tags in y for t in tags})
        binariser = MultiLabelBinarizer(classes=topics)
        Y = binariser.fit_transform(y)
        for j, topic in enumerate(topics):
            positives = int(Y[:, j].sum())
            if positives < 2 or positives > len(Y) - 2:
                raise ValueError(f"topic {topic!r} has {positives} positive examples of {len(Y)}; need 2 each way")
        weights = np.ones(len(Y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        mask = np.ones(len(Y), dtype=bool) if calibrate_on is None else np.asarray(calibrate_on, dtype=bool)
        if self.abstain not in ABSTAIN_RULES:
            raise ValueError(f"abstain must be one of {ABSTAIN_RULES}, got {self.abstain!r}")
        if self.abstain_model not in ("linear", "stack"):
            raise ValueError(f"abstain_model must be 'linear' or 'stack', got {self.abstain_model!r}")
        self.classes_ = np.array(topics)
        n = len(topics)
        empty = (Y.sum(1) == 0).astype(int)
        abstaining = self.abstain is not None and min(empty[mask].sum(), (1 - empty[mask]).sum()) >= 2
        # The "has no topic" target rides along as one more column: same folds, same calibration.
        targets = np.column_stack([Y, empty]) if abstaining else Y
        # With refit, the final models are fitted in the same map as the out-of-fold ones (they need
        # nothing from them): one set of processes, and no wait between the two for the slowest fit.
        decisions, final = self._out_of_fold_decisions(X, targets, weights, final=refit)
        with one_blas_thread():
            calibrators = np.array([_fit_platt(decisions[mask, j], targets[mask, j]) for j in range(targets.shape[1])])
        oof = calibrate(decisions, calibrators)
        self.calibrators_ = calibrators[:n]
        self.oof_scores_ = oof[:, :n]
        self.abstainer_ = None
        self.stacker_ = None
        self.empty_threshold_ = float("inf")
        self.empty_calibrator_ = None
        if abstaining:
            self.empty_calibrator_ = calibrators[n]
            self.oof_empty_ = oof[:, n]
            if self.abstain_model == "stack":
                meta = self._meta(self.oof_scores_, self.oof_empty_, X)
                with one_blas_thread():
                    self.stacker_, self.oof_empty_ = _fit_stacker(meta, empty, mask, self.random_state)
            self._choose_thresholds(self.oof_scores_[mask], self.oof_empty_[mask], Y[mask])
        else:
            self.thresholds_ = np.array([best_f1_threshold(self.oof_scores_[mask, j], Y[mask, j]) for j in range(n)])
        if refit:  # what refit() fits, the "has no topic" column included when abstaining
            self.estimators_ = final[:n]
            self.abstainer_ = final[n] if len(final) > n else None
        return self

    def _choose_thresholds(self, scores: np.ndarray, p_empty: np.ndarray, Y: np.ndarray) -> None:
        """Per-topic thresholds and the abstention cut, on out-of-fold scores of real articles."""
        n = Y.shape[1]
        if self.abstain == "scale":
            scaled = scores * (1 - p_empty)[:, None]
            self.thresholds_ = np.array([best_f1_threshold(scaled[:, j], Y[:, j]) for j in range(n)])
            return
        fill = self.abstain == "fill"
        self.thresholds_ = np.array([best_f1_threshold(scores[:, j], Y[:, j]) for j in range(n)])
        self.empty_threshold_ = best_abstention_cut(scores, p_empty, Y, self.thresholds_, fill)
        for _ in range(2 if self.joint_thresholds else 0):
            kept = p_empty < self.empty_threshold_
            if kept.sum() < 2:
                break
            self.thresholds_ = np.array([best_f1_threshold(scores[kept, j], Y[kept, j]) for j in range(n)])
            self.empty_threshold_ = best_abstention_cut(scores, p_empty, Y, self.thresholds_, fill)

    def refit(
        self, X: sparse.spmatrix, y: Sequence[Sequence[str]], sample_weight: np.ndarray | None = None
    ) -> TopicClassifier:
        """Fit the final per-topic models on all of ``X`` (after ``fit(..., refit=False)`` on the same data)."""
        Y = MultiLabelBinarizer(classes=list(self.classes_)).fit_transform(y)
        weights = np.ones(len(Y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        n = Y.shape[1]
        if self.empty_calibrator_ is not None:  # the "has no topic" model is one more column
            Y = np.column_stack([Y, (Y.sum(1) == 0).astype(int)])
        fitted = self._map(_fit_final, (self, _sorted_rows(X), Y, weights), range(Y.shape[1]))
        self.estimators_ = fitted[:n]
        self.abstainer_ = fitted[n] if len(fitted) > n else None
        return self

    def _map(self, function: Callable[[Any], Any], shared: tuple[Any, ...], items: Iterable[Any]) -> list[Any]:
        """``[function(item) for item in items]``, in forked processes that see ``shared`` as ``_SHARED``."""
        global _SHARED
        items = list(items)
        processes = min(getattr(self, "n_jobs", None) or available_cpus(), len(items))  # models saved before n_jobs
        with _SHARED_LOCK:  # two fits in threads of one process must not see each other's data
            _SHARED = shared
            try:
                if processes <= 1 or not can_fork():
                    return [function(item) for item in items]
                with fork_pool(processes) as pool:
                    # One task at a time: a fit takes 30-150 ms against well under 1 ms to hand it out,
                    # and with several in a chunk one process was left alone with the last chunk for
                    # up to a chunk's time (6-15 fits) at the end of every map.
                    return pool.map(function, items, chunksize=1)
            finally:
                _SHARED = ()

    def _out_of_fold_decisions(
        self, X: sparse.spmatrix, Y: np.ndarray, weights: np.ndarray, final: bool = False
    ) -> tuple[np.ndarray, list[LogisticRegression]]:
        """Out-of-fold decision values of every column of ``Y``, and with ``final`` the models of :meth:`refit`."""
        folds = KFold(n_splits=min(self.cv_folds, len(Y)), shuffle=True, random_state=self.random_state)
        # liblinear's fit sorts the column indices of each row of its training matrix (in place, as
        # scikit-learn checks it): sort them once here rather than in every process for every topic.
        # The held-out rows keep their order: a decision value sums its row in the order stored.
        ordered = _sorted_rows(X)
        splits = [(train, held, ordered[train], X[held]) for train, held in folds.split(X)]
        # The final fits first: at liblinear's own tolerance on every row, they are the longest.
        tasks = [(-1, j) for j in range(Y.shape[1])] if final else []
        tasks += [(f, j) for f in range(len(splits)) for j in range(Y.shape[1])]
        decisions = np.zeros(Y.shape, dtype=float)
        models = []
        for (f, j), value in zip(tasks, self._map(_fit_task, (self, splits, Y, weights, ordered), tasks), strict=True):
            if f < 0:
                models.append(value)
            else:
                decisions[splits[f][1], j] = value
        return decisions, models

    def decision_function(self, X: sparse.spmatrix) -> np.ndarray:
        """Raw linear scores, shape ``(n_samples, n_topics)``."""
        return np.column_stack([est.decision_function(X) for est in self.estimators_])

    def predict_proba(self, X: sparse.spmatrix) -> np.ndarray:
        """Calibrated scores in [0, 1], shape ``(n_samples, n_topics)``; rows need not sum to 1."""
        return calibrate(self.decision_function(X), self.calibrators_)

    @property
    def abstains(self) -> bool:
        """Whether a learned "has no topic" model takes part in the decision."""
        return getattr(self, "abstainer_", None) is not None

    def empty_proba(self, X: sparse.spmatrix) -> np.ndarray:
        """Calibrated P(the article has no topic), shape ``(n_samples,)``.

        From the abstention model when there is one, else ``1 -`` the highest topic score.
        """
        if not self.abstains:
            return 1.0 - self.predict_proba(X).max(1)
        linear = calibrate(self.abstainer_.decision_function(X)[:, None], self.empty_calibrator_[None, :])[:, 0]
        if getattr(self, "stacker_", None) is None:
            return linear
        mean, scale, model = self.stacker_
        return model.predict_proba((self._meta(self.predict_proba(X), linear, X) - mean) / scale)[:, 1]

    def _meta(self, scores: np.ndarray, p_empty: np.ndarray, X: sparse.spmatrix) -> np.ndarray:
        """Meta-features of the stacked abstention model."""
        top = np.sort(scores, axis=1)[:, ::-1]
        second = top[:, 1] if top.shape[1] > 1 else top[:, 0]
        columns = [_logit(top[:, 0]), _logit(second), _logit(p_empty)]
        for c in self.abstain_columns:
            columns.append(np.asarray(X[:, c].todense()).ravel() if sparse.issparse(X) else np.asarray(X[:, c]))
        return np.column_stack(columns)

    def assign(self, scores: np.ndarray, top: int | None = None, p_empty: np.ndarray | None = None) -> list[list[str]]:
        """The topics of each row of ``predict_proba`` scores: at or above their thresholds, highest first.

        ``p_empty`` (:meth:`empty_proba` of the same rows) applies the abstention model, when the
        classifier has one; without it the thresholds alone decide.
        """
        names = [str(t) for t in self.classes_]
        columns = decide_columns(
            scores,
            self.thresholds_,
            top,
            p_empty if self.abstains else None,
            getattr(self, "abstain", None),
            getattr(self, "empty_threshold_", float("inf")),
        )
        return [[names[j] for j in row] for row in columns]

    def topics_of(self, X: sparse.spmatrix, top: int | None = None) -> tuple[np.ndarray, list[list[str]]]:
        """Scores and assigned topics of a feature matrix, the abstention model applied when there is one."""
        scores = self.predict_proba(X)
        return scores, self.assign(scores, top, self.empty_proba(X) if self.abstains else None)

    def predict(self, X: sparse.spmatrix) -> np.ndarray:
        """0/1 indicator matrix ``(n_samples, n_topics)`` of the topics assigned (see ``abstain``)."""
        scores, assigned = self.topics_of(X)
        index = {t: j for j, t in enumerate(self.classes_)}
        out = np.zeros(scores.shape, dtype=int)
        for i, topics in enumerate(assigned):
            out[i, [index[t] for t in topics]] = 1
        return out


#: What the fitting processes read (set just before they fork, so nothing is pickled to them).
_SHARED: tuple[Any, ...] = ()
_SHARED_LOCK = threading.Lock()


def _fit_task(task: tuple[int, int]) -> Any:
    """Out-of-fold decision values of topic ``j`` on fold ``f``'s held-out rows; ``f < 0``: its final model."""
    classifier, splits, Y, weights, X = _SHARED
    f, j = task
    if f < 0:
        return classifier._new_estimator().fit(X, Y[:, j], sample_weight=weights)
    train, held, X_train, X_held = splits[f]
    y_train = Y[train, j]
    if y_train.min() == y_train.max():
        # A fold without positives (or negatives) of a rare topic: score it as unsure.
        return np.full(len(held), -1.0 if y_train.max() == 0 else 1.0)
    model = classifier._new_estimator(getattr(classifier, "oof_tol", None)).fit(
        X_train, y_train, sample_weight=weights[train]
    )
    return model.decision_function(X_held)


def _sorted_rows(X: Any) -> Any:
    """``X`` with each row's column indices sorted (a copy when they were not), as liblinear's fits sort them."""
    if not sparse.issparse(X) or X.format != "csr" or X.has_sorted_indices:
        return X
    ordered = X.copy()
    ordered.sort_indices()
    return ordered


def _fit_final(j: int) -> LogisticRegression:
    classifier, X, Y, weights = _SHARED
    return classifier._new_estimator().fit(X, Y[:, j], sample_weight=weights)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _fit_stacker(
    meta: np.ndarray, empty: np.ndarray, mask: np.ndarray, random_state: int
) -> tuple[tuple[np.ndarray, np.ndarray, LogisticRegression], np.ndarray]:
    """The stacked abstention model on the real rows, and its out-of-fold P(empty) of every row."""
    rows = meta[mask]
    mean, scale = rows.mean(0), rows.std(0) + 1e-9
    z = (meta - mean) / scale
    oof = np.zeros(len(meta))
    folds = KFold(n_splits=min(5, int(mask.sum())), shuffle=True, random_state=random_state)
    real = np.flatnonzero(mask)
    for train, held in folds.split(real):
        y = empty[real[train]]
        if y.min() == y.max():
            oof[real[held]] = y[0]
            continue
        part = LogisticRegression(C=1.0).fit(z[real[train]], y)
        oof[real[held]] = part.predict_proba(z[real[held]])[:, 1]
    model = LogisticRegression(C=1.0).fit(z[mask], empty[mask])
    if not mask.all():
        oof[~mask] = model.predict_proba(z[~mask])[:, 1]
    return (mean, scale, model), oof


def one_blas_thread() -> Any:
    """A context in which BLAS (OpenBLAS, NumPy's and SciPy's) runs on one thread.

    For the small L-BFGS fits of Platt scaling and the stacker (one to four columns): OpenBLAS
    wakes its threads for their tiny products, and on a busy machine they wait for a core; such
    a fit took 20-28 ms instead of 2-4 ms (790 and 10,000 rows, 2 cores). One thread also keeps
    their sums in one order whatever the machine's core count: the same labels give the same
    calibration everywhere (threaded BLAS splits sums only above some tens of thousands of rows,
    so the models of up to 10,000 articles are the same bit for bit either way).
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


MIN_PLATT_SLOPE = 0.05


def _fit_platt(decision: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Fit ``sigmoid(a * decision + b)`` to ``truth`` (Platt scaling, lightly regularised).

    When the out-of-fold decisions do not rank positives above negatives (too little data),
    the fit would flip or flatten the scores; then keep the model's own ``sigmoid(decision)``.
    """
    if truth.min() == truth.max():
        return 1.0, 0.0
    platt = LogisticRegression(C=1.0).fit(decision.reshape(-1, 1), truth)
    slope, intercept = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    if slope < MIN_PLATT_SLOPE:
        return 1.0, 0.0
    return slope, intercept


def build_pipeline(
    topics: Sequence[str] | None = None,
    user_words: Sequence[str] = (),
    term_groups: Mapping[str, Sequence[str]] | None = None,
    prior_weight: float = 0.5,
    **params: object,
) -> Pipeline:
    """The default recipe, unfitted.

    ``term_groups`` (topic or ``none`` -> hand-written terms) adds the term-prior features;
    ``params`` are ``TopicClassifier`` parameters.
    """
    return Pipeline(
        [
            ("normalise", TextNormaliser()),
            ("features", make_features(user_words=user_words, term_groups=term_groups, prior_weight=prior_weight)),
            ("classify", TopicClassifier(topics=topics, **params)),  # type: ignore[arg-type]
        ]
    )


def scores_and_topics(pipeline: Pipeline, texts: Sequence[str]) -> tuple[np.ndarray, list[list[str]]]:
    """Scores ``(n_samples, n_topics)`` and the assigned topic lists, from one feature pass.

    The abstention model, when the classifier has one, takes part in the decision.
    """
    classifier = pipeline[-1]
    if not getattr(classifier, "abstains", False):
        scores = pipeline.predict_proba(texts)
        return scores, classifier.assign(scores)
    return classifier.topics_of(pipeline[:-1].transform(texts))


#: Scores and assigned topics of a list of texts, as :func:`scores_and_topics` gives them for one pipeline.
TextScorer = Callable[[Sequence[str]], tuple[np.ndarray, list[list[str]]]]


def scores_and_topics_in_processes(
    pipeline: Pipeline, texts: Sequence[str], processes: int | None = None, score: TextScorer | None = None
) -> tuple[np.ndarray, list[list[str]]]:
    """:func:`scores_and_topics` of many texts, cut in pieces scored by forked processes.

    A row's features and scores depend on that row alone (its counts, the fitted idf, its own
    normalisation, its products with the coefficients), so the pieces give the values one pass
    gives, bit for bit. For self-training, which scores up to 2,000 unlabelled articles between
    its two fits. ``processes``: ``None``, one per CPU this process may use; one, or where forking
    is not possible, the texts are scored here. ``score``: what scores a piece, when not the
    pipeline itself (the compiled tagger of :func:`classifier.tagging.fast.compiled_scorer` gives
    the same values about three times faster).
    """
    global _SHARED
    score = score or partial(scores_and_topics, pipeline)
    processes = min(processes or available_cpus(), max(1, len(texts) // 100))
    if processes <= 1 or not can_fork():
        return score(texts)
    size = -(-len(texts) // (4 * processes))  # a few pieces a process: none left alone with a long last one
    pieces = [(start, min(start + size, len(texts))) for start in range(0, len(texts), size)]
    with _SHARED_LOCK:
        _SHARED = (score, list(texts))
        try:
            with fork_pool(processes) as pool:
                parts = pool.map(_score_piece, pieces, chunksize=1)
        finally:
            _SHARED = ()
    return np.concatenate([scores for scores, _ in parts]), [topics for _, part in parts for topics in part]


def _score_piece(piece: tuple[int, int]) -> tuple[np.ndarray, list[list[str]]]:
    score, texts = _SHARED
    return score(texts[piece[0] : piece[1]])
