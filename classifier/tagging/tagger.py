"""The tagger: articles in, one record out per article (topics, scores, keywords, explanations), in input order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.model.decision import assign_columns
from classifier.tagging.fast import FastModel, from_export, from_pipeline

BATCH_SIZE = 256


@dataclass
class TaggingModel:
    """A model ready to tag: its array tagger (or its pipeline, when it has none), metadata and directory."""

    model: Any
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def version(self) -> str:
        return str(self.meta.get("version") or (self.path.name if self.path else ""))


def load_tagging_model(
    model: Path | str | None = None, trust_pickle: bool = False, dictionary: bool = True
) -> TaggingModel:
    """Load a model for tagging: its arrays when the version has them, else its pipeline.

    The arrays are read from the version directory after checking it against its manifest
    (:func:`classifier.model.store.read_tagger`), with no scikit-learn import and no pickle;
    jieba's dictionary (``jieba.npz``), when the version has it, is read and checked only when a
    small input first needs it. A version without arrays (a pipeline the exporter does not know,
    a format-3 version saved without them), or an old pickled model with ``trust_pickle``, is
    loaded as a pipeline and turned into arrays in memory when it can be. ``dictionary=False``:
    leave jieba's dictionary aside (every input cut with rjieba), for a process that only tags
    large batches and whose version directory may hold only the tagging arrays.
    """
    from classifier.model.store import (
        has_dictionary,
        is_legacy,
        load_model,
        read_dictionary,
        read_meta,
        read_tagger,
        resolve_model_dir,
    )

    model_dir = resolve_model_dir(model)
    if not (trust_pickle and is_legacy(read_meta(model_dir))):
        exported = read_tagger(model_dir)
        if exported is not None:
            arrays, settings, meta = exported
            stored = dictionary and has_dictionary(model_dir)
            try:
                fast = from_export(
                    arrays, settings, dictionary=(lambda: read_dictionary(model_dir)) if stored else None
                )
            except (KeyError, ValueError, TypeError) as error:
                raise ClassifierError(f"{model_dir}: tagging arrays do not fit together ({error}); refused") from None
            return TaggingModel(fast, meta, model_dir)
    loaded = load_model(model_dir, trust_pickle=trust_pickle)
    return TaggingModel(_from_pipeline(loaded.pipeline), loaded.meta, model_dir)


def _from_pipeline(pipeline: Any) -> FastModel | _PipelineModel:
    return from_pipeline(pipeline) or _PipelineModel(pipeline)


class Tagger:
    """Tags articles in batches with one model: the array tagger, or the pipeline of a model it does not know.

    Parameters
    ----------
    model : TaggingModel, FastModel or LoadedModel
        A model loaded by :func:`load_tagging_model`; anything with a ``pipeline`` (a
        :class:`~classifier.model.store.LoadedModel`) is turned into arrays here or, if the
        exporter does not know it, tagged through its scikit-learn pipeline.
    top : int or None
        Keep at most this many assigned topics per article (the highest-scored).
    explain : bool
        Add, per assigned topic, the terms that raised its score most.
    n_keywords : int
        How many of the article's top TF-IDF words to report.
    """

    def __init__(self, model: Any, top: int | None = None, explain: bool = False, n_keywords: int = 5):
        if isinstance(model, TaggingModel):
            model = model.model
        elif not isinstance(model, FastModel | _PipelineModel):
            model = _from_pipeline(model.pipeline)
        self.model = model
        self.topics = list(model.topics)
        self.top = top
        self.explain = explain
        self.n_keywords = n_keywords

    def tag(self, articles: Iterable[Article]) -> Iterator[dict[str, Any]]:
        """Yield one record per article, in input order, reading the input lazily in batches."""
        iterator = iter(articles)
        while batch := list(islice(iterator, BATCH_SIZE)):
            yield from self.tag_batch(batch)

    def tag_batch(self, batch: list[Article]) -> list[dict[str, Any]]:
        """The records of a list of articles (the unit of work of a worker process), vectorised over the batch."""
        return self.model.records(batch, top=self.top, explain=self.explain, n_keywords=self.n_keywords)

    def reasons(self, article: Article, topics: Iterable[str], n: int = 5) -> dict[str, list[list[Any]]]:
        """Per named topic, assigned or not, the terms that raised its score most (as ``explain`` records them)."""
        return self.model.reasons(article.full_text, list(topics), n)

    def prepare(self) -> None:
        """Load the tokenizer and build every lookup table now: before forking workers, which then share them."""
        self.model.prepare()


class _PipelineModel:
    """A pipeline the exporter does not know, behind the array tagger's interface (one row at a time, imports sklearn)."""

    def __init__(self, pipeline: Any) -> None:
        from classifier.model.text import JiebaTokenizer

        self.pipeline = pipeline
        classifier = pipeline[-1]
        self.topics = [str(t) for t in classifier.classes_]
        self.thresholds = classifier.thresholds_
        self.coef = np.column_stack([est.coef_.ravel() for est in classifier.estimators_])
        union = pipeline.named_steps["features"]
        self._names = union.get_feature_names_out()
        _, first = union.transformer_list[0]
        vocabulary = getattr(first, "vocabulary_", None)
        words = [""] * len(vocabulary or {})
        for term, column in (vocabulary or {}).items():
            words[column] = term
        # keywords come from the first block when it is jieba words, as the array tagger's
        self._words = words if isinstance(getattr(first, "tokenizer", None), JiebaTokenizer) else []

    def prepare(self) -> None:
        """Nothing to build ahead."""

    def records(
        self, articles: Sequence[Article], top: int | None = None, explain: bool = False, n_keywords: int = 5
    ) -> list[dict[str, Any]]:
        """The records of a batch, as :meth:`classifier.tagging.fast.FastModel.records` makes them."""
        out = []
        for article in articles:
            indices, data = self._row(article.full_text)
            row = self._scores(indices, data)
            (assigned,) = self._assign_columns(indices, data, row, top)
            record: dict[str, Any] = {
                "id": article.id,
                "title": article.title,
                "topics": [self.topics[j] for j in assigned],
                "scores": {t: round(float(s), 4) for t, s in zip(self.topics, row, strict=True)},
                "keywords": self._keywords(indices, data, n_keywords),
            }
            if explain:
                record["explain"] = {self.topics[j]: self._reasons(indices, data, j) for j in assigned}
            out.append(record)
        return out

    def reasons(self, text: str, topics: Sequence[str], n: int = 5) -> dict[str, list[list[Any]]]:
        indices, data = self._row(text)
        return {t: self._reasons(indices, data, self.topics.index(t), n) for t in topics if t in self.topics}

    def _row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        features = self.pipeline[:-1].transform([text]).tocsr()
        return features.indices.astype(np.int64), features.data.astype(np.float64)

    def _scores(self, indices: np.ndarray, data: np.ndarray) -> np.ndarray:
        return self.pipeline[-1].predict_proba(self._features(indices, data))[0]

    def _features(self, indices: np.ndarray, data: np.ndarray) -> Any:
        from scipy import sparse

        return sparse.csr_matrix((data, indices, [0, len(indices)]), shape=(1, self.coef.shape[0]))

    def _assign_columns(
        self, indices: np.ndarray, data: np.ndarray, row: np.ndarray, top: int | None
    ) -> list[list[int]]:
        """The topic columns of one article; a classifier with an abstention model decides with it."""
        classifier = self.pipeline[-1]
        if not getattr(classifier, "abstains", False):
            return assign_columns(row, self.thresholds, top)
        p_empty = classifier.empty_proba(self._features(indices, data))
        index = {t: j for j, t in enumerate(self.topics)}
        return [[index[t] for t in topics] for topics in classifier.assign(np.atleast_2d(row), top, p_empty)]

    def _keywords(self, indices: np.ndarray, data: np.ndarray, n_keywords: int) -> list[str]:
        """The article's highest-weighted jieba words (two characters or more; ties: lower column first)."""
        width = len(self._words)
        words = sorted((-w, i) for i, w in zip(indices.tolist(), data.tolist(), strict=True) if i < width)
        return [self._words[i] for _, i in words if len(self._words[i]) >= 2][:n_keywords]

    def _reasons(self, indices: np.ndarray, data: np.ndarray, topic: int, n: int = 5) -> list[list[Any]]:
        """The terms whose weight times coefficient pushed this topic's score up most."""
        contributions = data * self.coef[indices, topic]
        order = np.argsort(-contributions)[:n]
        return [
            [str(self._names[int(indices[k])]).replace("__", ":", 1), round(float(contributions[k]), 4)]
            for k in order
            if contributions[k] > 0
        ]
