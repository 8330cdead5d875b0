"""Tagging articles with a fitted model: topics, scores, keywords and explanations."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import numpy as np

from classifier.article import Article
from classifier.store import LoadedModel

BATCH_SIZE = 256


class Tagger:
    """Tags articles in batches with one loaded model.

    Parameters
    ----------
    model : LoadedModel
    top : int or None
        Keep at most this many assigned topics per article (the highest-scored).
    explain : bool
        Add, per assigned topic, the terms that raised its score most.
    n_keywords : int
        How many of the article's top TF-IDF words to report.
    """

    def __init__(self, model: LoadedModel, top: int | None = None, explain: bool = False, n_keywords: int = 5):
        self.pipeline = model.pipeline
        self.classifier = model.pipeline[-1]
        self.topics = [str(t) for t in self.classifier.classes_]
        self.top = top
        self.explain = explain
        self.n_keywords = n_keywords
        union = self.pipeline.named_steps["features"]
        self._n_words = len(union.transformer_list[0][1].vocabulary_)
        self._feature_names: np.ndarray | None = None

    @property
    def feature_names(self) -> np.ndarray:
        if self._feature_names is None:
            self._feature_names = self.pipeline.named_steps["features"].get_feature_names_out()
        return self._feature_names

    def tag(self, articles: Iterable[Article]) -> Iterator[dict[str, Any]]:
        """Yield one record per article, in input order, reading the input lazily in batches."""
        iterator = iter(articles)
        while batch := list(islice(iterator, BATCH_SIZE)):
            yield from self._tag_batch(batch)

    def _tag_batch(self, batch: list[Article]) -> Iterator[dict[str, Any]]:
        features = self.pipeline[:-1].transform([a.full_text for a in batch])
        scores = self.classifier.predict_proba(features)
        for i, article in enumerate(batch):
            row = scores[i]
            assigned = [j for j in np.argsort(-row, kind="stable") if row[j] >= self.classifier.thresholds_[j]]
            if self.top is not None:
                assigned = assigned[: self.top]
            record: dict[str, Any] = {
                "id": article.id,
                "title": article.title,
                "topics": [self.topics[j] for j in assigned],
                "scores": {t: round(float(s), 4) for t, s in zip(self.topics, row, strict=True)},
                "keywords": self._keywords(features[i]),
            }
            if self.explain:
                record["explain"] = {self.topics[j]: self._reasons(features[i], j) for j in assigned}
            yield record

    def _keywords(self, row: Any) -> list[str]:
        """The article's highest-weighted jieba words (two characters or more)."""
        row = row.tocsr()
        words = [(w, i) for i, w in zip(row.indices, row.data, strict=True) if i < self._n_words]
        words.sort(key=lambda pair: -pair[0])
        out = []
        for _, index in words:
            term = str(self.feature_names[index]).split("__", 1)[1]
            if len(term) >= 2:
                out.append(term)
            if len(out) == self.n_keywords:
                break
        return out

    def _reasons(self, row: Any, topic: int, n: int = 5) -> list[list[Any]]:
        """The terms whose weight times coefficient pushed this topic's score up most."""
        row = row.tocsr()
        coef = self.classifier.estimators_[topic].coef_.ravel()
        contributions = row.data * coef[row.indices]
        order = np.argsort(-contributions)[:n]
        return [
            [str(self.feature_names[row.indices[k]]).replace("__", ":", 1), round(float(contributions[k]), 4)]
            for k in order
            if contributions[k] > 0
        ]
