"""The tagger: articles in, one record out per article (topics, scores, keywords, explanations), in input order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.model.decision import assign_columns
from classifier.model.text import JiebaTokenizer
from classifier.tagging.compiled import Block, CompiledModel, compile_model

BATCH_SIZE = 256


@dataclass
class TaggingModel:
    """A model ready to tag: its compiled form (or its pipeline, when it has none), metadata and directory."""

    model: Any
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def version(self) -> str:
        return str(self.meta.get("version") or (self.path.name if self.path else ""))


def load_tagging_model(model: Path | str | None = None, trust_pickle: bool = False) -> TaggingModel:
    """Load a model for tagging: its arrays when the version has them, else its pipeline.

    The arrays are read from the version directory after checking it against its manifest
    (:func:`classifier.model.store.read_tagger`), with no scikit-learn import and no pickle.
    A version without arrays (a pipeline the exporter does not know), or an old pickled model
    with ``trust_pickle``, is loaded as a pipeline and compiled in memory when it can be.
    """
    from classifier.model.store import is_legacy, load_model, read_meta, read_tagger, resolve_model_dir

    model_dir = resolve_model_dir(model)
    if not (trust_pickle and is_legacy(read_meta(model_dir))):
        exported = read_tagger(model_dir)
        if exported is not None:
            arrays, settings, meta = exported
            try:
                compiled = CompiledModel.from_export(arrays, settings)
            except (KeyError, ValueError, TypeError) as error:
                raise ClassifierError(f"{model_dir}: tagging arrays do not fit together ({error}); refused") from None
            return TaggingModel(compiled, meta, model_dir)
    loaded = load_model(model_dir, trust_pickle=trust_pickle)
    return TaggingModel(compile_model(loaded.pipeline) or _PipelineModel(loaded.pipeline), loaded.meta, model_dir)


class Tagger:
    """Tags articles in batches with one model.

    Parameters
    ----------
    model : TaggingModel, CompiledModel or LoadedModel
        A model loaded by :func:`load_tagging_model`; a :class:`~classifier.model.store.LoadedModel`
        is compiled here, or, if it cannot be, tagged through its scikit-learn pipeline.
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
        elif not isinstance(model, CompiledModel | _PipelineModel):
            model = compile_model(model.pipeline) or _PipelineModel(model.pipeline)
        self.model = model
        self.topics = list(model.topics)
        self.top = top
        self.explain = explain
        self.n_keywords = n_keywords
        first = model.blocks[0]
        self._word_block = first if first.kind == "words" else None

    def tag(self, articles: Iterable[Article]) -> Iterator[dict[str, Any]]:
        """Yield one record per article, in input order, reading the input lazily in batches."""
        iterator = iter(articles)
        while batch := list(islice(iterator, BATCH_SIZE)):
            yield from self.tag_batch(batch)

    def tag_batch(self, batch: list[Article]) -> list[dict[str, Any]]:
        """The records of a list of articles (the unit of work of a worker process)."""
        return [self._record(article, *self.model.row(article.full_text)) for article in batch]

    def _record(self, article: Article, indices: np.ndarray, data: np.ndarray) -> dict[str, Any]:
        row = self.model.scores(indices, data)
        # A pipeline with an abstention model decides with it; thresholds alone decide otherwise.
        decide = getattr(self.model, "assign_columns", None)
        (assigned,) = (
            decide(indices, data, row, self.top) if decide else assign_columns(row, self.model.thresholds, self.top)
        )
        record: dict[str, Any] = {
            "id": article.id,
            "title": article.title,
            "topics": [self.topics[j] for j in assigned],
            "scores": {t: round(float(s), 4) for t, s in zip(self.topics, row, strict=True)},
            "keywords": self._keywords(indices, data),
        }
        if self.explain:
            record["explain"] = {self.topics[j]: self._reasons(indices, data, j) for j in assigned}
        return record

    def reasons(self, article: Article, topics: Iterable[str], n: int = 5) -> dict[str, list[list[Any]]]:
        """Per named topic, assigned or not, the terms that raised its score most (as ``explain`` records them)."""
        indices, data = self.model.row(article.full_text)
        return {t: self._reasons(indices, data, self.topics.index(t), n) for t in topics if t in self.topics}

    def _keywords(self, indices: np.ndarray, data: np.ndarray) -> list[str]:
        """The article's highest-weighted jieba words (two characters or more)."""
        block = self._word_block
        if block is None:
            return []
        words = [(w, i) for i, w in zip(indices.tolist(), data.tolist(), strict=True) if i < block.width]
        words.sort(key=lambda pair: -pair[0])
        out = []
        for _, index in words:
            term = block.names[index]
            if len(term) >= 2:
                out.append(term)
            if len(out) == self.n_keywords:
                break
        return out

    def _reasons(self, indices: np.ndarray, data: np.ndarray, topic: int, n: int = 5) -> list[list[Any]]:
        """The terms whose weight times coefficient pushed this topic's score up most."""
        contributions = data * self.model.coef[indices, topic]
        order = np.argsort(-contributions)[:n]
        return [
            [self.model.feature_name(int(indices[k])).replace("__", ":", 1), round(float(contributions[k]), 4)]
            for k in order
            if contributions[k] > 0
        ]


class _PipelineModel:
    """A pipeline the compiler does not know, behind the same interface (slower, imports sklearn)."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        classifier = pipeline[-1]
        self.topics = [str(t) for t in classifier.classes_]
        self.thresholds = classifier.thresholds_
        self.coef = np.column_stack([est.coef_.ravel() for est in classifier.estimators_])
        union = pipeline.named_steps["features"]
        self._names = union.get_feature_names_out()
        first_name, first = union.transformer_list[0]
        vocabulary = getattr(first, "vocabulary_", None)
        words = [""] * len(vocabulary or {})
        for term, column in (vocabulary or {}).items():
            words[column] = term
        kind = "words" if isinstance(getattr(first, "tokenizer", None), JiebaTokenizer) else "other"
        self.blocks = [Block(name=first_name, kind=kind, offset=0, names=words)]

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        features = self.pipeline[:-1].transform([text]).tocsr()
        return features.indices.astype(np.int64), features.data.astype(np.float64)

    def scores(self, indices: np.ndarray, data: np.ndarray) -> np.ndarray:
        return self.pipeline[-1].predict_proba(self._features(indices, data))[0]

    def _features(self, indices: np.ndarray, data: np.ndarray) -> Any:
        from scipy import sparse

        return sparse.csr_matrix((data, indices, [0, len(indices)]), shape=(1, self.coef.shape[0]))

    def assign_columns(
        self, indices: np.ndarray, data: np.ndarray, row: np.ndarray, top: int | None
    ) -> list[list[int]]:
        """The topic columns of one article, the classifier's abstention model applied when it has one."""
        classifier = self.pipeline[-1]
        if not getattr(classifier, "abstains", False):
            return assign_columns(row, self.thresholds, top)
        p_empty = classifier.empty_proba(self._features(indices, data))
        index = {t: j for j, t in enumerate(self.topics)}
        return [[index[t] for t in topics] for topics in classifier.assign(np.atleast_2d(row), top, p_empty)]

    def feature_name(self, column: int) -> str:
        return str(self._names[column])
