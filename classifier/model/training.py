"""Training: the recipe that turns labelled articles (plus the term lists) into a fitted pipeline and its metadata."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from classifier.model.imports import import_scikit_learn

import_scikit_learn()  # before any scikit-learn import: without pandas (see there)

from sklearn.metrics import average_precision_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import MultiLabelBinarizer  # noqa: E402

from classifier.article import Article, topic_counts  # noqa: E402
from classifier.errors import ClassifierError  # noqa: E402
from classifier.files import sha256_file  # noqa: E402
from classifier.locations import project_relative  # noqa: E402
from classifier.metrics import compute_metrics  # noqa: E402
from classifier.model.estimator import TextScorer, build_pipeline  # noqa: E402
from classifier.model.features import fit_features  # noqa: E402
from classifier.taxonomy import Taxonomy, load_taxonomy  # noqa: E402

MIN_EXAMPLES = 2
PRIOR_ID_PREFIX = "prior:"
SELF_ID_PREFIX = "self:"


@dataclass
class FittedRecipe:
    """What :meth:`Recipe.fit` gives: the fitted pipeline and the term-prior weight it was fitted with.

    Attributes
    ----------
    pipeline : Pipeline
        Fitted; see :mod:`classifier.model.estimator`.
    prior_weight : float or None
        The weight of the term-prior columns (``None`` when the recipe has no priors).
    prior_weight_scores : dict of float to float
        When the weight was chosen: each candidate tried, in grid order, and its out-of-fold micro
        average precision.
    self_trained : int
        How many unlabelled articles joined the training with the model's own answer.
    """

    pipeline: Pipeline
    prior_weight: float | None = None
    prior_weight_scores: dict[float, float] = field(default_factory=dict)
    self_trained: int = 0


@dataclass
class Recipe:
    """How a model is made from labelled articles: the pipeline plus prior knowledge.

    When the taxonomy has term lists for every topic of the model, the recipe uses them twice:
    as term-prior feature columns (:class:`classifier.model.features.TermPriors`) and as short
    pseudo-articles (random draws of a topic's terms labelled with that topic, and draws of the
    no-topic terms labelled with the empty set) added to the training data. Both teach the
    model words the few hand labels never show it, and the no-topic ones teach it to abstain.

    Parameters
    ----------
    topics : list of str
        The model's topics.
    taxonomy : Taxonomy or None
        Where the term lists come from.
    use_priors : bool
        Set False for the plain baseline (TF-IDF + linear model on the labels alone).
    docs_per_topic, none_docs, terms_per_doc : int
        How many pseudo-articles to draw per topic and for the empty set, and their length in terms.
    prior_weight : float or None
        Scale of the term-prior feature columns. ``None`` (the default): chosen at each fit from
        ``prior_weight_grid`` by cross-validation on the training labels (see :meth:`fit`).
    prior_weight_grid : tuple of float
        The candidates when ``prior_weight`` is ``None``.
    pipeline_params : dict
        ``set_params`` applied to every pipeline the recipe builds (e.g.
        ``{"normalise__title_repeats": 2}``, or ``{"classify__abstain": "veto"}`` for the
        abstention model), for experiments with one setting changed.
    unlabelled : sequence of Article
        Unlabelled news at hand (e.g. the newest pool), oldest first, for self-training: after a
        first fit the newest ``self_train_max`` are scored, and those whose every topic score is
        at least ``self_train_margin`` log-odds from its threshold join the training data with
        the model's answer as their topics (ids prefixed ``self:``), at weight
        ``self_train_weight`` (0: off); the recipe is then fitted again with the term-prior
        weight of the first fit. They never set calibration or thresholds. Without unlabelled
        articles training is exactly as before.
    self_train_weight, self_train_max, self_train_margin
        Chosen on dev (benchmarks/results/accuracy_research.md): weight 1, the newest 2000,
        margin 2; the gain is forward in time (+0.024 micro-F1 on dev's later half-years).
    scorer : callable or None
        How self-training scores the unlabelled news with the first fit: given the fitted pipeline,
        a function of a list of texts giving what
        :func:`classifier.model.estimator.scores_and_topics` gives, bit for bit (or ``None`` when it
        cannot). ``None``: the pipeline itself. The command line passes
        :func:`classifier.tagging.fast.compiled_scorer`, which does it about three times faster;
        the choice changes no value, so it is not part of the model's ``meta.json``.

    A recipe holds settings only: :meth:`fit` returns what it fitted and changes nothing here.
    """

    topics: list[str]
    taxonomy: Taxonomy | None = None
    use_priors: bool = True
    # Chosen by 5-fold cross-validation on the seed labels (benchmarks/choose_priors.py).
    docs_per_topic: int = 20
    none_docs: int = 80
    terms_per_doc: int = 12
    prior_weight: float | None = None
    # The grid of benchmarks/choose_priors.py (seed-label CV chose 0.5 among these).
    prior_weight_grid: tuple[float, ...] = (0.25, 0.5, 1.0)
    pseudo_weight: float = 1.0
    pipeline_params: dict[str, Any] = field(default_factory=dict)
    calibrate_on_real: bool = True
    seed: int = 0
    unlabelled: Sequence[Article] = ()
    self_train_weight: float = 1.0
    self_train_max: int = 2000
    self_train_margin: float = 2.0
    scorer: Callable[[Pipeline], TextScorer | None] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_meta(cls, meta: dict[str, Any], taxonomy: Taxonomy | None) -> Recipe:
        """The recipe a model was trained with, as its ``meta.json`` records it.

        Topics, priors, a fixed weight, the abstention rule, and the unlabelled news it
        self-trained on (read again from ``unlabelled_sources``).

        Raises
        ------
        ClassifierError
            When an unlabelled file the model self-trained on is gone or has changed.
        """
        recorded = meta.get("recipe", {})
        fixed = recorded.get("prior_weight") if not recorded.get("prior_weight_choice") else None
        params = {"classify__abstain": recorded["abstain"]} if recorded.get("abstain") else {}
        unlabelled: list[Article] = []
        if meta.get("unlabelled_sources"):
            from classifier.locations import from_project

            files = [from_project(source["path"]) for source in meta["unlabelled_sources"]]
            for source, path in zip(meta["unlabelled_sources"], files, strict=True):
                if not path.is_file() or sha256_file(path) != source["sha256"]:
                    raise ClassifierError(
                        f"the model self-trained on {source['path']}, which is gone or has changed since; "
                        "its recipe cannot be refitted as it was"
                    )
            unlabelled, _ = load_unlabelled(files)
        return cls(
            list(meta["topics"]),
            taxonomy if recorded.get("priors", True) else None,
            prior_weight=fixed,
            pipeline_params=params,
            unlabelled=unlabelled,
        )

    @property
    def priors_active(self) -> bool:
        if not self.use_priors or self.taxonomy is None:
            return False
        with_terms = {t.id for t in self.taxonomy.topics if t.terms}
        return set(self.topics) <= with_terms

    def term_groups(self) -> dict[str, tuple[str, ...]] | None:
        if not self.priors_active:
            return None
        assert self.taxonomy is not None
        groups = {t.id: t.terms for t in self.taxonomy.topics if t.id in self.topics}
        if self.taxonomy.none_terms:
            groups["none"] = self.taxonomy.none_terms
        return groups

    def pipeline(self, prior_weight: float | None = None) -> Pipeline:
        """A new, unfitted pipeline; ``prior_weight`` overrides the recipe's (``None``: its first candidate)."""
        weight = prior_weight if prior_weight is not None else self.prior_weight
        if weight is None:
            weight = self.prior_weight_grid[0]
        pipeline = build_pipeline(topics=self.topics, term_groups=self.term_groups(), prior_weight=weight)
        return pipeline.set_params(**self.pipeline_params)

    def prior_articles(self) -> list[Article]:
        """The pseudo-articles drawn from the term lists (none when priors are off)."""
        groups = self.term_groups()
        if not groups:
            return []
        rng = random.Random(self.seed)
        out = []
        for group, terms in groups.items():
            count = self.none_docs if group == "none" else self.docs_per_topic
            for i in range(count):
                words = rng.sample(list(terms), min(self.terms_per_doc, len(terms)))
                topics = [] if group == "none" else [group]
                out.append(Article(id=f"{PRIOR_ID_PREFIX}{group}:{i}", title="", text="，".join(words), topics=topics))
        return out

    def fit(self, articles: Sequence[Article]) -> FittedRecipe:
        """Fit a new pipeline on ``articles`` plus the pseudo-articles.

        Thresholds and calibration are chosen on the real articles only: pseudo-articles are
        easy to score and would pull the thresholds their way.

        When ``prior_weight`` is ``None`` the classifier is fitted once per candidate weight tried and
        the one whose out-of-fold scores rank the real articles' topics best (micro average
        precision, threshold-free) is kept; the candidates are tried from the middle of the grid
        towards the better scores, up to a peak (:func:`_climb`). The hand-written terms matter most when labels are
        few; as labels accumulate the model should lean on them less, and this lets the training
        labels say when. The out-of-fold scores come from the classifier's own calibration folds,
        so the choice costs one classifier fit per candidate and never looks at held-out data.

        With ``unlabelled`` articles (and ``self_train_weight > 0``) the recipe self-trains: a
        second fit adds :meth:`self_training_articles` of the first, with its prior weight fixed.
        """
        fitted = self._fit(articles)
        if self.self_train_weight <= 0 or not self.unlabelled:
            return fitted
        extra = self.self_training_articles(fitted.pipeline)
        if not extra:
            return fitted
        refit = self._fit(articles, extra, prior_weight=fitted.prior_weight)
        refit.prior_weight_scores = fitted.prior_weight_scores
        refit.self_trained = len(extra)
        return refit

    def self_training_articles(self, pipeline: Pipeline) -> list[Article]:
        """The newest unlabelled articles (with text) with the model's confident answers as their topics.

        Confident: every topic score is at least ``self_train_margin`` log-odds from its threshold.
        """
        from classifier.model.estimator import scores_and_topics_in_processes

        pool = [a for a in self.unlabelled if a.text.strip()][-self.self_train_max :] if self.self_train_max else []
        if not pool:
            return []
        score = self.scorer(pipeline) if self.scorer is not None else None
        scores, topics = scores_and_topics_in_processes(pipeline, [a.full_text for a in pool], score=score)
        margin = np.abs(_logit(scores) - _logit(np.asarray(pipeline[-1].thresholds_)))
        sure = margin.min(1) >= self.self_train_margin
        return [
            Article(id=f"{SELF_ID_PREFIX}{a.id}", title=a.title, text=a.text, topics=list(t))
            for a, t, ok in zip(pool, topics, sure, strict=True)
            if ok
        ]

    def _fit(
        self, articles: Sequence[Article], extra: Sequence[Article] = (), prior_weight: float | None = None
    ) -> FittedRecipe:
        """One fit on ``articles`` + pseudo-articles + ``extra`` (self-trained, never calibrated on).

        ``prior_weight`` fixes the term-prior weight (else the recipe's, or chosen).
        """
        pseudo = self.prior_articles()
        training = list(articles) + pseudo + list(extra)
        real = np.r_[np.ones(len(articles), dtype=bool), np.zeros(len(pseudo) + len(extra), dtype=bool)]
        weights = np.r_[
            np.ones(len(articles)),
            np.full(len(pseudo), self.pseudo_weight),
            np.full(len(extra), self.self_train_weight),
        ]
        texts = [a.full_text for a in training]
        tags = [a.topics or [] for a in training]

        def fit_with(weight: float | None) -> Pipeline:
            # What Pipeline.fit does, with the feature blocks fitted side by side (fit_features).
            pipeline = self.pipeline(weight)
            X = fit_features(pipeline[:-1], texts)
            pipeline[-1].fit(X, tags, sample_weight=weights, calibrate_on=real if self.calibrate_on_real else None)
            return pipeline

        if not self.priors_active:
            return FittedRecipe(fit_with(None))
        fixed = prior_weight if prior_weight is not None else self.prior_weight
        if fixed is not None:
            return FittedRecipe(fit_with(fixed), prior_weight=fixed)
        # The candidates differ only in the scale of the term-prior columns, which come last in
        # the feature union: tokenise and fit the vectorisers once, rescale those columns.
        prefix = self.pipeline(1.0)[:-1]
        X = fit_features(prefix, texts)
        n_terms = len(self.term_groups() or {})
        gold = MultiLabelBinarizer(classes=self.topics).fit_transform([a.topics or [] for a in articles])
        grid = self.prior_weight_grid
        tried: dict[int, tuple[float, Any, Any]] = {}

        def score_of(i: int) -> float:
            """Candidate ``i``'s out-of-fold micro average precision (its classifier fitted once, kept)."""
            if i not in tried:
                scale = np.ones(X.shape[1])
                scale[-n_terms:] = grid[i]
                scaled = sparse.csr_matrix(X.multiply(scale))
                # The final models are fitted for the chosen weight only.
                classifier = self.pipeline(grid[i])[-1].fit(
                    scaled,
                    tags,
                    sample_weight=weights,
                    calibrate_on=real if self.calibrate_on_real else None,
                    refit=False,
                )
                tried[i] = (_micro_average_precision(gold, classifier.oof_scores_[: len(articles)]), classifier, scaled)
            return tried[i][0]

        chosen = _climb(len(grid), score_of)
        choice = {grid[i]: round(tried[i][0], 4) for i in sorted(tried)}
        best = (tried[chosen][0], grid[chosen], tried[chosen][1], tried[chosen][2])
        best[2].refit(best[3], tags, sample_weight=weights)
        prefix.set_params(features__terms__weight=best[1])
        return FittedRecipe(
            Pipeline([*prefix.steps, ("classify", best[2])]), prior_weight=best[1], prior_weight_scores=choice
        )


def _climb(n: int, score: Callable[[int], float]) -> int:
    """The index of the best of ``n`` candidates, found by climbing from the middle one to a peak of ``score``.

    From the middle candidate it steps down the grid while a lower candidate scores at least as
    well, else up while a higher one scores better, and stops at the first that does not. Where
    the scores along the grid rise to one peak and fall (as the prior weight's out-of-fold scores
    do in every training of the dev protocols checked, benchmarks/results/train_profile.md), that
    is the candidate a scan of all of them keeps (the best, the lowest of equal ones), from two
    fits of three instead of three when the best is at an end of the grid (the all-labels
    model's 0.25). Where they dip and rise again it may keep a lesser peak.
    """
    here = (n - 1) // 2
    start = here
    score(start)  # the one candidate of a grid of one is fitted too
    while here > 0 and score(here - 1) >= score(here):
        here -= 1
    if here == start:
        while here + 1 < n and score(here + 1) > score(here):
            here += 1
    return here


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _micro_average_precision(gold: np.ndarray, scores: np.ndarray) -> float:
    """Average precision of all (article, topic) scores pooled, against the 0/1 ``gold`` matrix."""
    if not gold.any():
        return 0.0
    return float(average_precision_score(gold.ravel(), scores.ravel()))


def data_fingerprint(articles: Sequence[Article]) -> str:
    """SHA-256 over the ids, texts and topics of the training articles, order-independent."""
    digest = hashlib.sha256()
    for key in sorted(json.dumps([a.id, a.full_text, sorted(a.topics or [])], ensure_ascii=False) for a in articles):
        digest.update(key.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def load_training(
    labels: Sequence[Path | str] | None = None,
    taxonomy: Path | None = None,
    own_topics: bool = False,
    prior_weight: float | None = None,
) -> tuple[list[Article], Recipe, list[Path]]:
    """The labelled articles, the recipe and the label files of a training on label files.

    Parameters
    ----------
    labels : paths or None
        Label files or directories; default: every ``labels/*.jsonl``.
    taxonomy : Path or None
        The taxonomy TOML; default: ``labels/taxonomy.toml``. A taxonomy of one's own (its topics
        without term lists) trains a model on those topics, without term priors.
    own_topics : bool
        Train on the topics the labels use, whatever the taxonomy says (no term priors). Without
        it a topic the taxonomy does not know stops the training: it is far more often a typo
        than a new category.
    prior_weight : float or None
        Fix the term-prior weight instead of choosing it (see :class:`Recipe`).

    Raises
    ------
    ClassifierError
        With the file, line and nearest known topic of the first unknown topic, or the first
        other problem of the label files.
    """
    from classifier.reading.labels import label_files, load_labelled_articles

    files = label_files(labels)
    if own_topics:
        articles = load_labelled_articles(files, topics=None)
        topics = sorted({t for a in articles for t in a.topics or []})
        return articles, Recipe(topics, None, prior_weight=prior_weight), files
    tax = load_taxonomy(taxonomy)
    articles = load_labelled_articles(files, topics=tax.ids)
    return articles, Recipe(tax.ids, tax, prior_weight=prior_weight), files


def load_unlabelled(paths: Sequence[Path | str], labelled: Sequence[Article] = ()) -> tuple[list[Article], list[Path]]:
    """Unlabelled news for self-training, and the files it came from.

    Read like any input (JSONL, JSON, text files, directories); any ``topics`` in the files are
    ignored. Articles whose id or text is among ``labelled`` are left out: a labelled article
    must not come back as its own self-label. When every article has a date they are put oldest
    first (self-training keeps the newest), else kept in file order.

    Raises
    ------
    ClassifierError
        When a path is standard input, missing or unreadable, or the inputs hold no article with text.
    """
    from classifier.reading.reader import expand_paths, read_articles

    if any(str(p) == "-" for p in paths):
        raise ClassifierError("--unlabelled reads files, not standard input (their sha256 goes into meta.json)")
    files = [Path(f) for f in expand_paths(paths)]
    ids = {a.id for a in labelled}
    texts = {a.text for a in labelled}
    articles = [
        Article(id=a.id, title=a.title, text=a.text, topics=None, extra=a.extra)
        for a in read_articles(files)
        if a.text.strip() and a.id not in ids and a.text not in texts
    ]
    if not articles:
        raise ClassifierError(f"--unlabelled {', '.join(str(p) for p in paths)}: no article with text to self-train on")
    if all(a.date is not None for a in articles):
        articles.sort(key=lambda a: a.date)
    return articles, files


def extend_recipe(
    recipe: Recipe,
    labelled: Sequence[Article],
    unlabelled: Sequence[Path | str] = (),
    abstain: str | None = None,
    scorer: Callable[[Pipeline], TextScorer | None] | None = None,
) -> tuple[Recipe, list[Path]]:
    """``recipe`` with self-training on the ``unlabelled`` files and an abstention rule, when given.

    Returns the recipe (a copy when changed) and the unlabelled files read (for ``meta.json``).
    ``labelled`` are every labelled article at hand, test ones included, kept out of the
    unlabelled news (see :func:`load_unlabelled`). ``scorer``: :attr:`Recipe.scorer` when it self-trains.
    """
    files: list[Path] = []
    if unlabelled:
        articles, files = load_unlabelled(unlabelled, labelled)
        recipe = replace(recipe, unlabelled=articles, scorer=scorer)
    if abstain is not None:
        recipe = replace(recipe, pipeline_params={**recipe.pipeline_params, "classify__abstain": abstain})
    return recipe, files


def check_trainable(articles: Sequence[Article], topics: Sequence[str]) -> None:
    """Refuse data a model cannot be fitted on, with a one-line reason."""
    if len(articles) < 2 * MIN_EXAMPLES:
        raise ClassifierError(f"only {len(articles)} labelled articles; need at least {2 * MIN_EXAMPLES}")
    counts = topic_counts(articles, topics)
    for topic in topics:
        if counts[topic] < MIN_EXAMPLES:
            raise ClassifierError(
                f"topic {topic!r} has {counts[topic]} labelled article(s); need at least {MIN_EXAMPLES}"
            )
        if len(articles) - counts[topic] < MIN_EXAMPLES:
            raise ClassifierError(f"topic {topic!r} is on nearly every article; need {MIN_EXAMPLES} without it")


def train_model(
    articles: Sequence[Article],
    recipe: Recipe,
    label_sources: Sequence[Path] = (),
    unlabelled_sources: Sequence[Path] = (),
) -> tuple[Pipeline, dict[str, Any]]:
    """Fit the default recipe on labelled articles.

    Returns
    -------
    pipeline : Pipeline
        Fitted; see :mod:`classifier.model.estimator`.
    meta : dict
        Topics, thresholds, data fingerprint, counts per topic, label sources and
        ``cv_metrics``: metrics of the out-of-fold scores the thresholds were chosen on
        (slightly optimistic for that reason; ``classifier evaluate`` gives the nested figure).
        With ``recipe.unlabelled``: ``unlabelled_sources`` (the files, as label sources are
        recorded) and ``recipe.self_training`` (how many unlabelled articles were read and
        joined, and the settings).
    """
    topics = recipe.topics
    check_trainable(articles, topics)
    fitted = recipe.fit(articles)
    classifier = fitted.pipeline[-1]
    # Report on the real articles only: the pseudo-articles come last and are easy.
    oof = classifier.oof_scores_[: len(articles)]
    p_empty = classifier.oof_empty_[: len(articles)] if getattr(classifier, "abstains", False) else None
    cv = compute_metrics([a.topics or [] for a in articles], classifier.assign(oof, p_empty=p_empty), oof, topics)
    meta = {
        "topics": list(topics),
        "thresholds": {t: round(float(c), 4) for t, c in zip(topics, classifier.thresholds_, strict=True)},
        "data_fingerprint": data_fingerprint(articles),
        "n_articles": len(articles),
        "recipe": {
            "priors": recipe.priors_active,
            "pseudo_articles": len(recipe.prior_articles()),
            "prior_weight": fitted.prior_weight,
            "prior_weight_choice": {str(w): s for w, s in fitted.prior_weight_scores.items()},
            "abstain": getattr(classifier, "abstain", None),
            "self_training": {
                "unlabelled": len(recipe.unlabelled),
                "added": fitted.self_trained,
                "weight": recipe.self_train_weight,
                "max": recipe.self_train_max,
                "margin": recipe.self_train_margin,
            }
            if recipe.unlabelled
            else None,
        },
        "counts": topic_counts(articles, topics),
        "label_sources": [{"path": project_relative(p), "sha256": sha256_file(p)} for p in label_sources],
        "unlabelled_sources": [{"path": project_relative(p), "sha256": sha256_file(p)} for p in unlabelled_sources],
        "cv_metrics": {k: v for k, v in cv.items() if k != "per_topic"},
    }
    return fitted.pipeline, meta
